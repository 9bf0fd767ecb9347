"""Issue 14's fuzz: random lies of a hostile node (tests/fixtures/hostile_node.py) over the send
use-case and the balance read, on anvil. Whatever the node says, what is signed is what the
user asked for (recipient, token, amount in the token's true base units, the network's chain
id), a fee beyond the bound is signed only when the review flagged it, and every failure is a
typed error with a message (no traceback would reach the user)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chains.errors import ChainError
from chains.evm import EvmBackend, decode_erc20_transfer
from chains.fees import TYPICAL_MAX_FEE_PER_GAS, FeeTier
from chains.models import Asset
from chains.networks import devnet as devnet_network
from tests.fixtures.devnet import DEMO_DERIVATION_PATH, DEMO_MNEMONIC, Devnet
from tests.fixtures.hostile_node import (
    DECIMALS_SELECTOR,
    SYMBOL_SELECTOR,
    HostileNode,
    RpcError,
    abi_string,
    on_call,
    word,
)
from wallet.send import EvmSender, SendDraft
from wallet.send_checks import SendError, decode_signed
from wallet.store import Store

pytestmark = pytest.mark.devnet
TO = "0x00000000000000000000000000000000C0FFEE01"


def _scaled(key: str, factor: int) -> Any:
    def lie(params: list[Any], honest: Any) -> Any:
        if not isinstance(honest, dict):
            return honest
        out = dict(honest)
        out[key] = [hex(int(v, 16) * factor) for v in honest.get(key) or []]
        if key == "baseFeePerGas":
            out["reward"] = [[hex(int(v, 16) * factor) for v in r] for r in honest["reward"]]
        return out

    return lie


LIES: dict[str, Any] = {
    "chain_id": st.sampled_from(["0x1", "0x0", None, "0x7a6a"]).map(
        lambda v: ("eth_chainId", lambda p, h: v)
    ),
    "decimals": st.sampled_from([0, 5, 12, 18, 37, 255]).map(
        lambda d: ("eth_call", on_call(DECIMALS_SELECTOR, word(d)))
    ),
    "symbol": st.sampled_from(["USDC", "DUSD\x1b[2K", ""]).map(
        lambda s: ("eth_call", on_call(SYMBOL_SELECTOR, abi_string(s)))
    ),
    "fees": st.sampled_from([2, 10, 1000, 10**6]).map(
        lambda k: ("eth_feeHistory", _scaled("baseFeePerGas", k))
    ),
    "fee_null": st.just(("eth_feeHistory", lambda p, h: None)),
    "nonce": st.sampled_from([1, 5, 2**64, 2**70]).map(
        lambda k: (
            "eth_getTransactionCount",
            lambda p, h: hex(int(h, 16) + k) if p[-1] == "pending" else h,
        )
    ),
    "balance": st.sampled_from([0, 10**30]).map(lambda v: ("eth_getBalance", lambda p, h: hex(v))),
    "gas": st.sampled_from(["0x0", "0x5208", hex(2**40)]).map(
        lambda g: ("eth_estimateGas", lambda p, h: g)
    ),
    "refuse": st.just(("eth_sendRawTransaction", lambda p, h: RpcError("insufficient funds"))),
    "block": st.just(("eth_getBlockByNumber", lambda p, h: None)),
}


class Recorder:
    """The software signer, keeping what it signed."""

    def __init__(self) -> None:
        from devices.emulator import SoftwareSigner

        self.inner = SoftwareSigner.from_mnemonic(DEMO_MNEMONIC)
        self.signed: list[bytes] = []

    def sign_evm_tx(self, path: str, tx: Any) -> Any:
        sig = self.inner.sign_evm_tx(path, tx)
        self.signed.append(bytes(sig.raw_transaction))
        return sig


@pytest.fixture(scope="module")
def node(devnet: Devnet) -> Iterator[HostileNode]:
    n = HostileNode(devnet.rpc_url)
    yield n
    n.close()


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    lies=st.lists(st.sampled_from(sorted(LIES)), min_size=1, max_size=3, unique=True).flatmap(
        lambda names: st.tuples(*(LIES[n] for n in names))
    ),
    token=st.booleans(),
    truncate=st.booleans(),
)
def test_whatever_the_node_says_what_is_signed_is_what_was_asked(
    devnet: Devnet, node: HostileNode, tmp_path: Path, lies: Any, token: bool, truncate: bool
) -> None:
    dusd = devnet.deployment.token("DUSD")
    asset = (
        Asset(network="devnet", symbol="DUSD", name=dusd.name, decimals=dusd.decimals,
              contract=dusd.address)
        if token
        else Asset(network="devnet", symbol="ETH", name="Ether", decimals=18)
    )  # fmt: skip
    amount = 3 * 10**asset.decimals // 2  # 1.5 of it, in its true base units
    with devnet.snapshot():
        node.honest()
        for method, fn in lies:
            node.lie(method, fn)
        node.truncate = truncate and len(lies) == 1
        asyncio.run(_one(node, tmp_path, asset, amount))
    node.honest()


async def _one(node: HostileNode, tmp_path: Path, asset: Asset, amount: int) -> None:
    backend = EvmBackend(devnet_network(node.url), timeout=5)
    db = tmp_path / f"w{id(asset)}{amount}.sqlite"
    db.unlink(missing_ok=True)
    store = Store(db)
    signer = Recorder()
    try:
        sender = EvmSender(store, backend.network, backend)
        review = None
        try:
            review = await sender.prepare(
                SendDraft(TO, amount, asset, FeeTier.NORMAL), DEMO_ADDRESS, DEMO_DERIVATION_PATH
            )
            await sender.sign_and_send(review, signer)
        except (ChainError, SendError) as exc:
            assert str(exc) and getattr(exc, "code", None)
        for raw in signer.signed:
            assert review is not None
            d = decode_signed(raw)
            assert d["chain_id"] == 31337 and d["sender"] == DEMO_ADDRESS
            if asset.contract is None:
                assert (d["to"], d["value"], d["data"]) == (TO, amount, b"")
            else:
                assert d["to"] == asset.contract and d["value"] == 0
                assert decode_erc20_transfer(d["data"]) == (TO, amount)
            if d["max_fee_per_gas"] > TYPICAL_MAX_FEE_PER_GAS["devnet"]:
                assert review.high_fee
        # The balance read: a typed error or figures, never anything else.
        try:
            await backend.balances([DEMO_ADDRESS], [asset])
        except ChainError as exc:
            assert str(exc) and exc.code
    finally:
        await backend.aclose()
        store.close()


DEMO_ADDRESS = "0x9858EfFD232B4033E47d90003D41EC34EcaEda94"
