"""Fee bumps on a real Litecoin regtest chain (litecoind + ElectrumX): the node's mempool says
whether a replacement replaced and a child lifts its parent; signing is the software signer's
sign_psbt, the path every Signer (device, SSH agent) takes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from chains.electrum import ElectrumBackend
from chains.utxo_networks import utxo_network
from devices.emulator import SoftwareSigner
from tests.fixtures.litecoin import Regtest, poll
from wallet.accounts import AccountBook
from wallet.keys import ScriptKind
from wallet.store import Store
from wallet.utxo_bump import BumpError, BumpKind, UtxoBumper
from wallet.utxo_send import TxState, UtxoSender, signer_fingerprint
from wallet.utxo_sync import UtxoAccount

pytestmark = pytest.mark.regtest

MNEMONIC = "vessel ladder alter error federal sibling chat ability sun glass valve picture"
COIN = 10**8


@pytest.fixture
def signer() -> SoftwareSigner:
    return SoftwareSigner.from_mnemonic(MNEMONIC)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "w.sqlite3")


@pytest.fixture
async def backend(regtest: Regtest) -> AsyncIterator[ElectrumBackend]:
    b = ElectrumBackend(utxo_network("ltc-regtest"), servers=[regtest.electrum_tcp])
    yield b
    await b.aclose()


async def _funded(
    regtest: Regtest, store: Store, signer: SoftwareSigner, backend: Any, index: int, *coins: int
) -> tuple[UtxoAccount, UtxoSender]:
    book = AccountBook(store)
    acct = book.add_from_signer(
        signer, book.software_wallet(), "ltc-regtest", ScriptKind.P2WPKH, index
    )
    ua = UtxoAccount(store, acct, backend)
    for n, value in enumerate(coins):
        regtest.fund(ua.keys.key(0, n).address, value)
    regtest.mine(1)
    await poll(ua.sync, lambda r: r.confirmed == sum(coins))
    return ua, UtxoSender(store, acct, backend)


def _mempool(regtest: Regtest) -> set[str]:
    return set(regtest.rpc("getrawmempool", wallet=None))


def _node_fee(regtest: Regtest, txid: str) -> int:
    return round(float(regtest.rpc("getmempoolentry", txid, wallet=None)["fees"]["base"]) * COIN)


async def test_rbf_replaces_the_original_and_confirms(
    regtest: Regtest, store: Store, signer: SoftwareSigner, backend: ElectrumBackend
) -> None:
    ua, sender = await _funded(regtest, store, signer, backend, 20, COIN)
    fp = signer_fingerprint(signer)
    outside = str(regtest.rpc("getnewaddress", "", "bech32"))
    review = await sender.prepare(outside, 30_000_000, fp, fee_rate=2)
    old = await sender.broadcast(sender.sign(review, signer))
    await poll(ua.sync, lambda r: any(h.txid == old for h in r.history))

    bumper = UtxoBumper(sender)
    # Not higher: the same rate is refused, with the least that would do.
    with pytest.raises(BumpError, match="does not beat") as err:
        await bumper.prepare_rbf(old, fp, fee_rate=2)
    assert "at least" in str(err.value)

    bump = await bumper.prepare_rbf(old, fp, fee_rate=10)
    assert bump.kind is BumpKind.RBF and bump.txid == old
    assert bump.old_fee == review.fee == _node_fee(regtest, old)
    assert bump.new_fee >= bump.new_vsize * 10
    assert bump.new_fee >= bump.old_fee + bump.new_vsize  # BIP125 rule 4 (1 sat/vB)
    # Same payment, the fee increase taken from the change, no coin added.
    assert bump.payments == ((review.unsigned.outputs[0][0], 30_000_000),)
    assert bump.old_change == review.change
    assert bump.new_change == review.change - bump.fee_increase
    assert bump.added_inputs == 0
    assert {c.outpoint for c in bump.unsigned.inputs} == {
        c.outpoint for c in review.unsigned.inputs
    }

    signed = bumper.sign(bump, signer)
    new = await bumper.broadcast(bump, signed)
    pool = _mempool(regtest)
    assert new in pool and old not in pool
    assert _node_fee(regtest, new) == bump.new_fee
    states = dict(store.db.execute("SELECT txid, state FROM utxo_outgoing").fetchall())
    assert states == {old: TxState.REPLACED.value, new: TxState.BROADCAST.value}

    regtest.mine(1)
    status = await poll(lambda: sender.status(new), lambda s: s.state is TxState.CONFIRMED)
    assert status.confirmations == 1
    assert regtest.rpc("gettransaction", new)["confirmations"] == 1
    final = sender.last_sync
    assert final is not None and old not in {h.txid for h in final.history}
    assert final.total == COIN - 30_000_000 - bump.new_fee

    # Confirmed now: refused, and said so.
    with pytest.raises(BumpError, match="already confirmed"):
        await bumper.prepare_rbf(new, fp, fee_rate=20)


async def test_rbf_without_change_adds_a_confirmed_coin(
    regtest: Regtest, store: Store, signer: SoftwareSigner, backend: ElectrumBackend
) -> None:
    ua, sender = await _funded(regtest, store, signer, backend, 21, COIN, COIN // 2)
    fp = signer_fingerprint(signer)
    outside = str(regtest.rpc("getnewaddress", "", "bech32"))
    # 1 LTC in, 110 vB at 2 sat/vB, and what is left below dust: no change output.
    review = await sender.prepare(outside, COIN - 220 - 1000, fp, fee_rate=2)
    assert review.change == 0 and review.inputs == 1
    old = await sender.broadcast(sender.sign(review, signer))
    await poll(ua.sync, lambda r: any(h.txid == old for h in r.history))

    bumper = UtxoBumper(sender)
    bump = await bumper.prepare_rbf(old, fp, fee_rate=20)
    assert bump.added_inputs == 1 and bump.old_change == 0 and bump.new_change > 0
    assert bump.payments == ((review.unsigned.outputs[0][0], COIN - 1220),)
    new = await bumper.broadcast(bump, bumper.sign(bump, signer))
    pool = _mempool(regtest)
    assert new in pool and old not in pool
    assert _node_fee(regtest, new) == bump.new_fee
    regtest.mine(1)
    await poll(lambda: sender.status(new), lambda s: s.state is TxState.CONFIRMED)


async def test_rbf_refuses_what_it_cannot_replace(
    regtest: Regtest, store: Store, signer: SoftwareSigner, backend: ElectrumBackend
) -> None:
    ua, sender = await _funded(regtest, store, signer, backend, 22, COIN)
    fp = signer_fingerprint(signer)
    bumper = UtxoBumper(sender)
    # Incoming: its inputs are the node's, so only the node could replace it.
    incoming = regtest.fund(ua.keys.key(0, 5).address, COIN // 10)
    await poll(ua.sync, lambda r: any(h.txid == incoming for h in r.history))
    with pytest.raises(BumpError, match="not sent by this account"):
        await bumper.prepare_rbf(incoming, fp, fee_rate=20)
    # Unknown to this account.
    with pytest.raises(BumpError, match="not one of this account's"):
        await bumper.prepare_rbf("ab" * 32, fp, fee_rate=20)
    # Send everything: no change and no other confirmed coin to pay a higher fee with.
    outside = str(regtest.rpc("getnewaddress", "", "bech32"))
    allout = await sender.prepare(outside, None, fp, fee_rate=2)
    # (the incoming coin is unconfirmed and is spent too: a send-max takes all)
    sent = await sender.broadcast(sender.sign(allout, signer))
    await poll(ua.sync, lambda r: any(h.txid == sent for h in r.history))
    with pytest.raises(BumpError, match="no other confirmed coin"):
        await bumper.prepare_rbf(sent, fp, fee_rate=50)
    regtest.mine(1)


async def test_cpfp_child_lifts_an_incoming_parent_and_confirms_with_it(
    regtest: Regtest, store: Store, signer: SoftwareSigner, backend: ElectrumBackend
) -> None:
    book = AccountBook(store)
    acct = book.add_from_signer(
        signer, book.software_wallet(), "ltc-regtest", ScriptKind.P2WPKH, 23
    )
    ua = UtxoAccount(store, acct, backend)
    sender = UtxoSender(store, acct, backend)
    fp = signer_fingerprint(signer)
    # A slow payment to us: 10 sat/vB (the least the node's wallet pays) from the node.
    parent = str(
        regtest.rpc("sendtoaddress", ua.keys.key(0, 0).address, "0.5", "", "", False, True,
                    None, "unset", False, 10)
    )  # fmt: skip
    await poll(ua.sync, lambda r: any(h.txid == parent for h in r.history))
    entry = regtest.rpc("getmempoolentry", parent, wallet=None)
    parent_fee = round(float(entry["fees"]["base"]) * COIN)

    bumper = UtxoBumper(sender)
    with pytest.raises(BumpError, match="already pays"):
        await bumper.prepare_cpfp(parent, fp, fee_rate=10)
    review = await bumper.prepare_cpfp(parent, fp, fee_rate=40)
    assert review.kind is BumpKind.CPFP and review.old_fee == parent_fee
    assert review.new_fee >= 40 * review.new_vsize
    assert review.new_change == COIN // 2 - review.child_fee
    child = await bumper.broadcast(review, bumper.sign(review, signer))
    # The node's own view of the package: parent and child together reach the target.
    ce = regtest.rpc("getmempoolentry", child, wallet=None)
    anc_fee = round(float(ce["fees"]["ancestor"]) * COIN)
    assert anc_fee == parent_fee + review.child_fee
    assert anc_fee / ce["ancestorsize"] >= 40
    regtest.mine(1)
    done = await poll(
        ua.sync, lambda r: all(h.confirmed for h in r.history) and len(r.history) == 2
    )
    heights = {h.txid: h.height for h in done.history}
    assert heights[parent] == heights[child] > 0
    assert done.confirmed == COIN // 2 - review.child_fee
    # Confirmed: nothing left to speed up.
    with pytest.raises(BumpError, match="already confirmed"):
        await bumper.prepare_cpfp(parent, fp, fee_rate=30)


async def test_cpfp_refuses_a_transaction_without_an_output_of_ours(
    regtest: Regtest, store: Store, signer: SoftwareSigner, backend: ElectrumBackend
) -> None:
    ua, sender = await _funded(regtest, store, signer, backend, 24, COIN)
    fp = signer_fingerprint(signer)
    outside = str(regtest.rpc("getnewaddress", "", "bech32"))
    allout = await sender.prepare(outside, None, fp, fee_rate=2)
    sent = await sender.broadcast(sender.sign(allout, signer))
    await poll(ua.sync, lambda r: any(h.txid == sent for h in r.history))
    with pytest.raises(BumpError, match="no unspent output of this account"):
        await UtxoBumper(sender).prepare_cpfp(sent, fp, fee_rate=20)
    regtest.mine(1)


async def test_a_bump_is_signed_through_the_ssh_agent_which_tells_the_new_fee(
    regtest: Regtest,
    store: Store,
    signer: SoftwareSigner,
    backend: ElectrumBackend,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The agent (devices/agent_server.py) is a Signer like the others: the replacement's PSBT
    goes through it unchanged, and what it tells its user is the new fee and the same payee.
    The socket and protocol are real; only ssh is left out (tests/tui/test_agent_ssh.py)."""
    import devices.agent_client as client
    from devices import registry
    from devices.agent_server import AgentConfig, AgentRequest, SignerAgent

    secret = bytes(range(32))
    monkeypatch.setattr(client, "_secret", None)
    monkeypatch.setenv("TERMWALLET_AGENT_SOCK", str(tmp_path / "agent" / "agent.sock"))
    monkeypatch.setenv("TERMWALLET_AGENT_SECRET", secret.hex())
    seen: list[AgentRequest] = []
    config = AgentConfig(
        secret=secret,
        directory=tmp_path / "agent",
        accounts=frozenset({25}),
        announce=seen.append,
        software=lambda: SoftwareSigner.from_mnemonic(MNEMONIC),
        discover=registry.Discovery,
    )
    ua, sender = await _funded(regtest, store, signer, backend, 25, COIN)
    fp = signer_fingerprint(signer)
    outside = str(regtest.rpc("getnewaddress", "", "bech32"))
    with SignerAgent(config):
        remote = registry.open_entry(registry.find("agent", registry.discover_for("agent")), None)
        try:
            assert signer_fingerprint(remote) == fp
            review = await sender.prepare(outside, COIN // 3, fp, fee_rate=2)
            old = await sender.broadcast(sender.sign(review, remote))
            await poll(ua.sync, lambda r: any(h.txid == old for h in r.history))
            bumper = UtxoBumper(sender)
            bump = await bumper.prepare_rbf(old, fp, fee_rate=15)
            new = await bumper.broadcast(bump, bumper.sign(bump, remote))
        finally:
            remote.close()
    pool = _mempool(regtest)
    assert new in pool and old not in pool
    told = [r.prompt for r in seen if r.method == "sign_psbt"]
    assert len(told) == 2 and all(p is not None and p.fee is not None for p in told)
    assert told[0].fee.value == review.fee and told[1].fee.value == bump.new_fee  # type: ignore[union-attr]
    assert any(o.address == outside and o.amount.value == COIN // 3 for o in told[1].outputs)  # type: ignore[union-attr]
    regtest.mine(1)
    await poll(lambda: sender.status(new), lambda s: s.state is TxState.CONFIRMED)


async def test_cpfp_on_our_own_stuck_payment_spends_its_change(
    regtest: Regtest, store: Store, signer: SoftwareSigner, backend: ElectrumBackend
) -> None:
    """Where replacements are refused (Litecoin Core's default), our slow payment is sped up
    by a child spending its change back to us."""
    ua, sender = await _funded(regtest, store, signer, backend, 26, COIN)
    fp = signer_fingerprint(signer)
    outside = str(regtest.rpc("getnewaddress", "", "bech32"))
    review = await sender.prepare(outside, COIN // 4, fp, fee_rate=1)
    parent = await sender.broadcast(sender.sign(review, signer))
    await poll(ua.sync, lambda r: any(h.txid == parent for h in r.history))
    bumper = UtxoBumper(sender)
    cpfp = await bumper.prepare_cpfp(parent, fp, fee_rate=30)
    assert cpfp.old_fee == review.fee and cpfp.old_change == review.change
    (spent,) = cpfp.unsigned.inputs  # the change, nothing else
    assert spent.txid == parent and spent.value == review.change
    child = await bumper.broadcast(cpfp, bumper.sign(cpfp, signer))
    ce = regtest.rpc("getmempoolentry", child, wallet=None)
    assert round(float(ce["fees"]["ancestor"]) * COIN) / ce["ancestorsize"] >= 30
    regtest.mine(1)
    done = await poll(ua.sync, lambda r: all(h.confirmed for h in r.history))
    heights = {h.txid: h.height for h in done.history}
    assert heights[parent] == heights[child] > 0
    assert done.total == COIN - COIN // 4 - review.fee - cpfp.child_fee
