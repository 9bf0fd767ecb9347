"""Pending transactions against the real anvil devnet: speed-up, cancel, reconciliation of
what the chain did. Automine is switched off to keep a transaction pending."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from chains.errors import NodeUnreachable
from chains.evm import EvmBackend
from chains.models import Asset
from chains.networks import devnet as devnet_network
from devices.models import EvmTx
from tests.fixtures.devnet import DEMO_DERIVATION_PATH, DEMO_MNEMONIC, Devnet
from wallet.pending import TxState
from wallet.send import EvmSender, SendDraft
from wallet.send_checks import NotPending
from wallet.store import Store

pytestmark = pytest.mark.devnet
ETH = Asset(network="devnet", symbol="ETH", name="Ether", decimals=18)


@pytest.fixture
def paused(devnet_snapshot: Devnet) -> Iterator[Devnet]:
    """The devnet with automine off: transactions wait in the pool until evm_mine."""
    devnet_snapshot.rpc("evm_setAutomine", [False])
    try:
        yield devnet_snapshot
    finally:
        devnet_snapshot.rpc("evm_setAutomine", [True])


@pytest.fixture
def signer() -> Iterator[object]:
    from devices.emulator import SoftwareSigner

    s = SoftwareSigner.from_mnemonic(DEMO_MNEMONIC)
    yield s
    s.close()


@pytest.fixture
async def sender(paused: Devnet, tmp_path: Path) -> AsyncIterator[EvmSender]:
    backend = EvmBackend(devnet_network(paused.rpc_url), timeout=10)
    store = Store(tmp_path / "w.sqlite")
    yield EvmSender(store, backend.network, backend, [paused.demo_address])
    await backend.aclose()
    store.close()


async def _balance(sender: EvmSender, address: str) -> int:
    return (await sender.backend.balances([address], [ETH]))[0].amount


async def _send(sender: EvmSender, signer: object, devnet: Devnet, to: str, amount: int):  # type: ignore[no-untyped-def]
    review = await sender.prepare(
        SendDraft(recipient=to, amount=amount, asset=ETH),
        devnet.demo_address,
        DEMO_DERIVATION_PATH,
    )
    return await sender.sign_and_send(review, signer)


TO = "0x00000000000000000000000000000000caFe0001"  # EIP-55 form


async def test_speed_up_replaces_the_pending_send_and_pays_once(
    sender: EvmSender, signer: object, paused: Devnet
) -> None:
    first = await _send(sender, signer, paused, TO, 10**16)
    assert (await sender.backend.receipt(first.tx_hash)) is None  # pending
    review = await sender.replacement(first.id, "speedup", DEMO_DERIVATION_PATH)
    assert review.nonce == first.nonce and review.tx.value == 10**16 and review.tx.to == TO
    assert review.fee.max_fee_per_gas > first.max_fee_per_gas
    assert review.fee.max_priority_fee_per_gas > first.max_priority_fee_per_gas
    faster = await sender.sign_and_send(review, signer)
    assert faster.replaces == first.id and faster.kind == "speedup"
    paused.rpc("evm_mine")
    settled = await sender.wait(first, timeout=10, poll=0.1)
    assert settled.state is TxState.REPLACED
    assert sender.outbox.get(faster.id).state is TxState.MINED
    assert await _balance(sender, TO) == 10**16  # exactly one transfer


async def test_cancel_sends_nothing_to_the_recipient(
    sender: EvmSender, signer: object, paused: Devnet
) -> None:
    to = "0x00000000000000000000000000000000caFe0002"
    first = await _send(sender, signer, paused, to, 10**16)
    review = await sender.replacement(first.id, "cancel", DEMO_DERIVATION_PATH)
    assert review.tx.to == paused.demo_address and review.tx.value == 0
    cancel = await sender.sign_and_send(review, signer)
    paused.rpc("evm_mine")
    await sender.reconcile(rebroadcast=False)
    assert sender.outbox.get(first.id).state is TxState.REPLACED
    assert sender.outbox.get(cancel.id).state is TxState.MINED
    assert await _balance(sender, to) == 0
    with pytest.raises(NotPending):
        await sender.replacement(first.id, "speedup", DEMO_DERIVATION_PATH)


async def test_a_nonce_used_elsewhere_marks_ours_dropped(
    sender: EvmSender, signer: object, paused: Devnet
) -> None:
    ours = await _send(sender, signer, paused, TO, 10**15)
    # The same key used by another wallet app: a different transaction with our nonce and a
    # higher fee takes its place in the pool and is mined.
    other = EvmTx(
        chain_id=31337,
        nonce=ours.nonce,
        gas=21_000,
        to=paused.demo_address,
        value=0,
        max_fee_per_gas=ours.max_fee_per_gas * 2,
        max_priority_fee_per_gas=ours.max_priority_fee_per_gas * 2,
    )
    signed = signer.sign_evm_tx(DEMO_DERIVATION_PATH, other)  # type: ignore[attr-defined]
    await sender.backend.broadcast(signed.raw_transaction)
    paused.rpc("evm_mine")
    report = await sender.reconcile()
    assert report.dropped == (ours.tx_hash,)
    assert sender.outbox.get(ours.id).state is TxState.DROPPED
    assert await _balance(sender, TO) == 0
    nxt = await sender.prepare(
        SendDraft(recipient=TO, amount=1, asset=ETH), paused.demo_address, DEMO_DERIVATION_PATH
    )
    assert nxt.nonce == ours.nonce + 1


async def test_reconcile_reports_a_dead_node(tmp_path: Path) -> None:
    backend = EvmBackend(devnet_network("http://127.0.0.1:9"), timeout=2)
    store = Store(tmp_path / "w.sqlite")
    from wallet.pending import NewEntry

    sender = EvmSender(store, backend.network, backend)
    sender.outbox.record(
        NewEntry(
            network="devnet",
            chain_id=31337,
            sender="0x" + "1" * 40,
            nonce=0,
            tx_hash="0x" + "ab" * 32,
            raw_tx=b"\x02",
            kind="send",
            recipient=TO,
            asset="devnet:native",
            amount=1,
            gas=21000,
            max_fee_per_gas=1,
            max_priority_fee_per_gas=1,
        )
    )
    with pytest.raises(NodeUnreachable):
        await sender.reconcile()
    assert sender.outbox.entries("devnet")[0].state is TxState.SIGNED  # untouched
    await backend.aclose()
    store.close()
