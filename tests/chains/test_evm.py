"""chains.evm against the real anvil devnet, through a local proxy that counts HTTP requests and
can misbehave on demand (garbage, HTTP errors, silence)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chains.errors import BadResponse, NodeUnreachable
from chains.evm import EvmBackend
from chains.models import Asset
from chains.networks import devnet as devnet_network
from tests.fixtures.devnet import Devnet
from tests.fixtures.rpc_proxy import Proxy

pytestmark = pytest.mark.devnet


@pytest.fixture
def proxy(devnet: Devnet) -> Iterator[Proxy]:
    p = Proxy(devnet.rpc_url)
    yield p
    p.close()


def _assets(devnet: Devnet) -> list[Asset]:
    net = devnet_network(devnet.rpc_url)
    return [Asset(network=net.id, symbol="ETH", name="Ether", decimals=18)] + [
        Asset(network=net.id, symbol=t.symbol, name=t.name, decimals=t.decimals, contract=t.address)
        for t in devnet.deployment.tokens
    ]


def _random_addresses(n: int) -> list[str]:
    return ["0x" + f"{i + 1:040x}" for i in range(n)]


async def test_many_balances_in_one_round_trip(devnet: Devnet, proxy: Proxy) -> None:
    backend = EvmBackend(devnet_network(proxy.url), timeout=5)
    assets = _assets(devnet)
    addresses = [devnet.demo_address, *_random_addresses(9)]
    try:
        balances = await backend.balances(addresses, assets)
    finally:
        await backend.aclose()
    assert proxy.requests == 1
    assert len(balances) == len(addresses) * len(assets)
    mine = {b.asset.symbol: b.amount for b in balances if b.address == devnet.demo_address}
    assert mine["ETH"] == devnet.deployment.demo_native_wei
    for tok in devnet.deployment.tokens:
        assert mine[tok.symbol] == tok.demo_amount
        assert isinstance(mine[tok.symbol], int)
    others = [b.amount for b in balances if b.address != devnet.demo_address]
    assert others == [0] * len(others)
    assert len({b.block for b in balances}) == 1


async def test_node_down_is_node_unreachable_with_its_url() -> None:
    net = devnet_network("http://127.0.0.1:9")  # discard port: nothing listens
    backend = EvmBackend(net, timeout=2)
    with pytest.raises(NodeUnreachable) as info:
        await backend.balances(
            ["0x" + "1" * 40], [Asset(network="devnet", symbol="ETH", name="Ether", decimals=18)]
        )
    assert info.value.url == "http://127.0.0.1:9"
    assert info.value.code == "NODE_UNREACHABLE"


@pytest.mark.parametrize(
    ("mode", "error"),
    [("garbage", BadResponse), ("http500", NodeUnreachable), ("hang", NodeUnreachable)],
)
async def test_misbehaving_node_gives_a_typed_error(
    devnet: Devnet, proxy: Proxy, mode: str, error: type[Exception]
) -> None:
    proxy.mode = mode
    backend = EvmBackend(devnet_network(proxy.url), timeout=1)
    try:
        with pytest.raises(error):
            await backend.balances([devnet.demo_address], _assets(devnet))
    finally:
        await backend.aclose()
