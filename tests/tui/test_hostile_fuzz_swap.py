"""Issue 14's fuzz over swaps: random lies of a hostile node (the LIES of test_hostile_fuzz.py)
while a swap is reviewed and executed on anvil with Uniswap V2. Whatever the node says, every
transaction signed is one the review described: the approval gives the reviewed router exactly
the reviewed amount of the reviewed token, the swap sells the reviewed amount of the reviewed
token for the reviewed one with the reviewed minimum to the wallet itself, on the network's
chain id; a fee beyond the bound is signed only when the review flagged it (and the user
accepted it); every failure is a typed error with a message (no traceback would reach the
user)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from chains.errors import ChainError
from chains.evm import EvmBackend, erc20_approve_data
from chains.fees import TYPICAL_MAX_FEE_PER_GAS
from chains.models import Asset
from chains.networks import devnet as devnet_network
from tests.fixtures.devnet import DEMO_ADDRESS, DEMO_DERIVATION_PATH, Devnet
from tests.fixtures.hostile_node import HostileNode
from tests.tui.test_hostile_fuzz import LIES, Recorder
from wallet.send import EvmSender
from wallet.send_checks import SendError, decode_signed
from wallet.store import Store
from wallet.swap import SwapDraft, Swapper, providers_for

pytestmark = pytest.mark.devnet
# The payment's lies, and one a swap meets more: a contract read answered with null (the
# quote's getAmountsOut, the allowance). Found a web3 TypeError reaching the caller.
SWAP_LIES: dict[str, Any] = LIES | {
    "call_null": st.just(("eth_call", lambda p, h: None)),
}


@pytest.fixture(scope="module")
def node(devnet: Devnet) -> Iterator[HostileNode]:
    n = HostileNode(devnet.rpc_url)
    yield n
    n.close()


def _asset(devnet: Devnet, symbol: str) -> Asset:
    if symbol == "ETH":
        return Asset(network="devnet", symbol="ETH", name="Ether", decimals=18)
    t = devnet.deployment.token(symbol)
    return Asset(network="devnet", symbol=symbol, name=t.name, decimals=t.decimals,
                 contract=t.address)  # fmt: skip


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    lies=st.lists(st.sampled_from(sorted(SWAP_LIES)), min_size=1, max_size=2, unique=True).flatmap(
        lambda names: st.tuples(*(SWAP_LIES[n] for n in names))
    ),
    pair=st.sampled_from([("ETH", "DUSD"), ("DUSD", "ETH"), ("DUSD", "DGLD")]),
    truncate=st.booleans(),
)
def test_whatever_the_node_says_a_swap_signs_what_was_reviewed(
    devnet: Devnet, node: HostileNode, tmp_path: Path, lies: Any, pair: Any, truncate: bool
) -> None:
    sell, buy = (_asset(devnet, s) for s in pair)
    amount = 10**sell.decimals // 100  # 0.01 of it, in its true base units
    with devnet.snapshot():
        node.honest()
        for method, fn in lies:
            node.lie(method, fn)
        node.truncate = truncate and len(lies) == 1
        asyncio.run(_one(devnet, node, tmp_path, sell, buy, amount))
    node.honest()


async def _one(
    devnet: Devnet, node: HostileNode, tmp_path: Path, sell: Asset, buy: Asset, amount: int
) -> None:
    backend = EvmBackend(devnet_network(node.url), timeout=5)
    db = tmp_path / "swap.sqlite"
    db.unlink(missing_ok=True)
    store = Store(db)
    signer = Recorder()
    net = backend.network
    swapper = Swapper(store, net, backend, EvmSender(store, net, backend, [DEMO_ADDRESS]),
                      providers_for(net, backend), poll=0.05, timeout=3)  # fmt: skip
    review = None
    try:
        try:
            review = await swapper.review(
                SwapDraft(sell=sell, buy=buy, amount=amount), DEMO_ADDRESS, DEMO_DERIVATION_PATH
            )
            # The user accepts what the review flagged (the CLI's --accept-high-fee).
            await swapper.execute(review, signer, accept_high_fee=review.high_fee)
        except (ChainError, SendError) as exc:
            assert str(exc) and getattr(exc, "code", None)
        event(f"signed {len(signer.signed)}")  # --hypothesis-show-statistics: not all refused
        for raw in signer.signed:
            assert review is not None
            _check_signed(devnet, raw, review, sell, buy, amount)
    finally:
        await swapper.aclose()
        await backend.aclose()
        store.close()


def _check_signed(
    devnet: Devnet, raw: bytes, review: Any, sell: Asset, buy: Asset, amount: int
) -> None:
    from chains.swaps.uniswap_v2 import decode_swap_call

    d = decode_signed(raw)
    router, weth = devnet.deployment.router, devnet.deployment.weth
    assert d["chain_id"] == 31337 and d["sender"] == DEMO_ADDRESS
    assert review.quote.sell_amount == amount
    if d["max_fee_per_gas"] > TYPICAL_MAX_FEE_PER_GAS["devnet"]:
        assert review.high_fee
    assert d["max_fee_per_gas"] == review.fee.max_fee_per_gas
    if d["to"] == sell.contract:  # the approval: exactly the amount, to the router
        assert d["value"] == 0 and d["data"] == erc20_approve_data(router, amount)
        return
    assert d["to"] == router
    args = decode_swap_call(d["data"])
    assert args["to"] == DEMO_ADDRESS and args["min_out"] == review.quote.min_buy_amount > 0
    assert args["path"][0] == (sell.contract or weth) and args["path"][-1] == (buy.contract or weth)
    if sell.contract is None:
        assert args["amount_in"] is None and d["value"] == amount
    else:
        assert args["amount_in"] == amount and d["value"] == 0
