"""Incremental history sync on the real devnet: the demo's own history, then approvals,
outgoing transfers not made here, lookalike dust, a failed transaction and a send made by this
app, each flagged (or not) as the activity rules say; re-syncs add nothing twice; a reverted
chain drops what is gone."""

from __future__ import annotations

from pathlib import Path

import pytest

from chains.models import Asset
from chains.networks import devnet as devnet_network
from tests.chains.test_evm_history import MAX, erc20, impersonate, send
from tests.fixtures.devnet import DEMO_DERIVATION_PATH, DEMO_MNEMONIC, Devnet
from wallet.activity import Flag
from wallet.addressbook import AddressBook
from wallet.history.model import HistoryQuery
from wallet.history.store import HistoryStore
from wallet.history.sync import HistorySync, sources_for
from wallet.store import Store

pytestmark = pytest.mark.devnet


def _assets(d: Devnet) -> list[Asset]:
    out = [Asset(network="devnet", symbol="ETH", name="Ether", decimals=18)]
    out += [
        Asset(network="devnet", symbol=t.symbol, name=t.name, decimals=t.decimals,
              contract=t.address)
        for t in d.deployment.tokens
    ]  # fmt: skip
    return out


async def _sync(store: Store, d: Devnet):  # type: ignore[no-untyped-def]
    network = devnet_network(d.rpc_url)
    sources = sources_for(network, _assets(d))
    try:
        return await HistorySync(store, network, [d.demo_address], sources, _assets(d)).run()
    finally:
        for s in sources:
            await s.aclose()


async def test_sync_flags_abnormal_activity(devnet_snapshot: Devnet, tmp_path: Path) -> None:
    d = devnet_snapshot
    store = Store(tmp_path / "w.sqlite3")
    hs = HistoryStore(store)
    demo = d.demo_address
    dusd, dgld = d.deployment.token("DUSD"), d.deployment.token("DGLD")

    first = await _sync(store, d)
    rows = hs.page(HistoryQuery())
    assert {(r.symbol, r.direction, r.amount, r.counterparty) for r in rows} == {
        ("DUSD", "in", dusd.demo_amount, d.deployment.deployer),
        ("DGLD", "in", dgld.demo_amount, d.deployment.deployer),
    }
    assert all(r.status == "confirmed" and r.flags == Flag(0) for r in rows)
    assert first.flagged == ()

    dev1, dev2 = [a for a in d.rpc("eth_accounts")[1:3]]
    AddressBook(store).add("devnet", dev2, "Bob")
    lookalike = dev2[:6] + "0" * 32 + dev2[-4:]
    impersonate(d, demo)
    impersonate(d, lookalike, fund=True)
    h_approve = send(d, demo, dusd.address, data=erc20("0x095ea7b3", d.deployment.router, MAX))
    h_out = send(d, demo, dusd.address, data=erc20("0xa9059cbb", dev2, 100 * 10**6))
    h_fail = send(d, demo, dusd.address, data=erc20("0xa9059cbb", dev2, 10**30), gas=100_000)
    h_dust = send(d, lookalike, dusd.address, data=erc20("0xa9059cbb", demo, 0))
    h_in = send(d, dev1, demo, value=10**18)
    d.rpc("anvil_stopImpersonatingAccount", [demo])
    h_mine = await _send_here(store, d, dev2, 10**17)

    report = await _sync(store, d)
    flags = {r.tx_hash: r.flags for r in hs.page(HistoryQuery(), 0, 100)}
    assert flags[h_approve] == Flag.APPROVAL | Flag.UNLIMITED_APPROVAL
    assert flags[h_out] == Flag.NOT_MADE_HERE
    assert flags[h_fail] == Flag.FAILED | Flag.NOT_MADE_HERE
    assert flags[h_dust] == Flag.POISONING
    assert flags[h_in] == Flag(0)
    assert flags[h_mine] == Flag(0)
    assert {r.tx_hash for r in report.flagged} == {h_approve, h_out, h_fail, h_dust}
    mine = hs.transaction("devnet", h_mine)
    assert [(r.made_here, r.direction, r.amount, r.status) for r in mine] == [
        (True, "out", 10**17, "confirmed")
    ]
    assert mine[0].fee is not None and mine[0].fee > 0
    (fail,) = hs.transaction("devnet", h_fail)
    assert (fail.status, fail.kind, fail.amount) == ("failed", "call", 0)
    assert fail.fee is not None and fail.fee > 0

    count = hs.count()
    again = await _sync(store, d)
    assert (again.added, again.flagged, hs.count()) == (0, (), count)


async def _send_here(store: Store, d: Devnet, to: str, amount: int) -> str:
    """A send made by this app (issue 4's EvmSender: signed, stored in the outbox, broadcast)."""
    from chains.evm import EvmBackend
    from devices.emulator import SoftwareSigner
    from wallet.send import EvmSender, SendDraft

    network = devnet_network(d.rpc_url)
    backend = EvmBackend(network)
    signer = SoftwareSigner.from_mnemonic(DEMO_MNEMONIC)
    try:
        sender = EvmSender(store, network, backend, [d.demo_address])
        eth = Asset(network="devnet", symbol="ETH", name="Ether", decimals=18)
        review = await sender.prepare(
            SendDraft(recipient=to, amount=amount, asset=eth), d.demo_address,
            DEMO_DERIVATION_PATH,
        )  # fmt: skip
        entry = await sender.sign_and_send(review, signer)
        await sender.reconcile(rebroadcast=False)
        return entry.tx_hash
    finally:
        signer.close()
        await backend.aclose()


async def test_a_reverted_chain_drops_what_is_gone(devnet_snapshot: Devnet, tmp_path: Path) -> None:
    d = devnet_snapshot
    store = Store(tmp_path / "w.sqlite3")
    hs = HistoryStore(store)
    dev1 = d.rpc("eth_accounts")[1]
    with d.snapshot():
        for _ in range(3):
            send(d, dev1, d.demo_address, value=10**15)
        await _sync(store, d)
        assert hs.count(HistoryQuery(direction="in", asset="devnet:native")) == 3
    await _sync(store, d)  # the chain is back before those blocks
    assert hs.count(HistoryQuery(asset="devnet:native")) == 0
    assert hs.count() == 2  # the demo's own two token deposits remain
