"""chains/evm_abi.py: the EIP-55 checksum the first balance read uses without eth_utils, and
that read itself without web3 (it ran after web3's 0.6 s import before)."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from chains.evm_abi import address_checksum
from tests.fixtures.devnet import Devnet

ROOT = Path(__file__).resolve().parents[2]


def test_the_checksum_is_eth_utils_own() -> None:
    from eth_utils import to_checksum_address

    rng = random.Random(16)
    samples = ["0x" + rng.randbytes(20).hex() for _ in range(200)]
    samples += ["0x" + "0" * 40, "0x" + "f" * 40, "0x52908400098527886E0F7030069857D2E4169EE7"]
    for address in samples:
        for form in (address, address.lower(), "0x" + address[2:].upper()):
            assert address_checksum(form) == to_checksum_address(form)


@pytest.mark.parametrize(
    "bad",
    ["", "0x", "52908400098527886e0f7030069857d2e4169ee7", "0x" + "g" * 40, "0x" + "a" * 41,
     "0x" + "a" * 39, " 0x" + "a" * 40, "0x" + "a" * 40 + "\n", "0x" + "٣" * 40],
)  # fmt: skip
def test_what_is_not_an_address_is_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        address_checksum(bad)


_READ = """
import asyncio, sys
from chains.evm import EvmBackend
from chains.models import Asset
from chains.networks import devnet

async def main(url, token):
    net = devnet(url)
    backend = EvmBackend(net)
    assets = [net.native_asset, Asset(network=net.id, symbol="T", name="T", decimals=18,
                                      contract=token)]
    balances = await backend.balances([sys.argv[3]], assets)
    await backend.aclose()
    heavy = sorted(m for m in ("web3", "eth_utils", "eth_abi", "aiohttp") if m in sys.modules)
    print(balances[0].amount, balances[1].amount, heavy)

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


@pytest.mark.devnet
def test_the_first_balance_read_needs_no_web3(devnet: Devnet) -> None:
    token = devnet.deployment.tokens[0].address
    who = devnet.demo_address
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", _READ, devnet.rpc_url, token, who],
        capture_output=True, text=True, env=env, timeout=120, check=True,
    ).stdout.split(maxsplit=2)  # fmt: skip
    eth = int(devnet.rpc("eth_getBalance", [who, "latest"]), 16)
    word = devnet.rpc("eth_call", [{"to": token, "data": "0x70a08231" + who[2:].rjust(64, "0")}])
    assert int(out[0]) == eth > 0 and int(out[1]) == int(word, 16)
    assert out[2].strip() == "[]", "the read imported " + out[2]


@pytest.mark.devnet
def test_one_backend_reads_from_one_event_loop_after_another(devnet: Devnet) -> None:
    """The CLI runs each step in its own asyncio.run: the JSON-RPC client's connections of a
    closed loop are not reused (httpx would fail on them)."""
    import asyncio

    from chains.evm import EvmBackend
    from chains.networks import devnet as devnet_network

    backend = EvmBackend(devnet_network(devnet.rpc_url))
    head = int(devnet.rpc("eth_blockNumber"), 16)
    assert asyncio.run(backend.block_number()) == head
    assert asyncio.run(backend.block_number()) == head
    asyncio.run(backend.aclose())
