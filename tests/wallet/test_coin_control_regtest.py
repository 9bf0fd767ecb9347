"""Coin control on a real Litecoin regtest chain (litecoind + ElectrumX): frozen coins are
never spent by automatic selection, chosen coins are spent exactly, "send max from these
coins", a changeless branch-and-bound match that the node accepts, and labels (BIP329) on the
listed coins."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from chains.coin_selection import estimate_vsize
from chains.electrum import ElectrumBackend
from chains.errors import InsufficientFunds
from chains.utxo import parse_tx
from chains.utxo_networks import utxo_network
from devices.emulator import SoftwareSigner
from tests.fixtures.litecoin import Regtest, poll
from wallet.accounts import AccountBook
from wallet.coin_control import CoinChoiceError, CoinControl
from wallet.keys import ScriptKind
from wallet.labels import LabelBook
from wallet.store import Store
from wallet.utxo_send import TxState, UtxoSender, signer_fingerprint
from wallet.utxo_sync import UtxoAccount

pytestmark = pytest.mark.regtest

# Its own phrase, so no other test's coins mix in.
MNEMONIC = "letter advice cage absurd amount doctor acoustic avoid letter advice cage above"
COIN = 10**8
NET = utxo_network("ltc-regtest")


@pytest.fixture
def signer() -> SoftwareSigner:
    return SoftwareSigner.from_mnemonic(MNEMONIC)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "w.sqlite3")


@pytest.fixture
async def backend(regtest: Regtest) -> AsyncIterator[ElectrumBackend]:
    b = ElectrumBackend(NET, servers=[regtest.electrum_tcp])
    yield b
    await b.aclose()


async def _funded(
    regtest: Regtest, store: Store, signer: SoftwareSigner, backend: ElectrumBackend,
    index: int, values: list[int],
) -> tuple[Any, UtxoAccount]:  # fmt: skip
    book = AccountBook(store)
    acct = book.add_from_signer(signer, book.software_wallet(), NET.id, ScriptKind.P2WPKH, index)
    ua = UtxoAccount(store, acct, backend, gap_limit=5)
    for i, v in enumerate(values):
        regtest.fund(ua.keys.key(0, i).address, v)
    regtest.mine(1)
    await poll(ua.sync, lambda r: r.confirmed == sum(values))
    return acct, ua


def _inputs(raw: bytes) -> set[str]:
    return {f"{i.txid.hex()}:{i.vout}" for i in parse_tx(raw).vin}


async def _confirm(regtest: Regtest, sender: UtxoSender, signed: Any) -> None:
    txid = await sender.broadcast(signed)
    regtest.mine(1)
    await poll(lambda: sender.status(txid), lambda s: s.state is TxState.CONFIRMED)


async def test_frozen_coins_are_never_selected_and_chosen_ones_are_spent_exactly(
    regtest: Regtest, store: Store, signer: SoftwareSigner, backend: ElectrumBackend
) -> None:
    acct, ua = await _funded(regtest, store, signer, backend, 3, [COIN, 30_000_000, 20_000_000])
    synced = await ua.sync()
    big = next(c for c in synced.coins if c.value == COIN)
    control = CoinControl(store)
    control.set_frozen([big.outpoint], True)
    rows = control.rows(synced.coins, NET)
    assert [(r.value, r.frozen) for r in rows] == [
        (COIN, True), (30_000_000, False), (20_000_000, False)
    ]  # fmt: skip

    sender = UtxoSender(store, acct, backend, gap_limit=5)
    fp = signer_fingerprint(signer)
    outside = str(regtest.rpc("getnewaddress", "", "bech32"))
    # Largest-first would take the frozen 1 LTC alone; it must use the two others.
    review = await sender.prepare(outside, 35_000_000, fp, fee_rate=2)
    assert big.outpoint not in {c.outpoint for c in review.unsigned.inputs}
    assert review.inputs == 2
    # More than the unfrozen coins hold (the account has 1.5 LTC): refused, not spent.
    with pytest.raises(InsufficientFunds) as refused:
        await sender.prepare(outside, 60_000_000, fp, fee_rate=2)
    assert refused.value.have == 50_000_000 and refused.value.frozen == COIN  # type: ignore[attr-defined]
    # Naming the frozen coin is refused until it is unfrozen.
    with pytest.raises(CoinChoiceError, match="frozen"):
        await sender.prepare(outside, 10_000_000, fp, fee_rate=2, coins=[big.outpoint])
    with pytest.raises(CoinChoiceError, match="not an unspent coin"):
        await sender.prepare(outside, 10_000_000, fp, fee_rate=2, coins=["ab" * 32 + ":0"])

    # Chosen coin: exactly it is spent, change comes back; the node takes it.
    small = next(c for c in synced.coins if c.value == 20_000_000)
    review = await sender.prepare(outside, 5_000_000, fp, fee_rate=2, coins=[small.outpoint])
    assert [c.outpoint for c in review.unsigned.inputs] == [small.outpoint]
    assert review.change == 20_000_000 - 5_000_000 - review.fee
    signed = sender.sign(review, signer)
    assert _inputs(signed.raw) == {small.outpoint}
    await _confirm(regtest, sender, signed)

    # Send max from the frozen coin once unfrozen: one input, no change, all of it less fee.
    control.set_frozen([big.outpoint], False)
    review = await sender.prepare(outside, None, fp, fee_rate=2, coins=[big.outpoint])
    assert review.change == 0 and review.inputs == 1
    assert review.amount == COIN - review.fee
    signed = sender.sign(review, signer)
    assert _inputs(signed.raw) == {big.outpoint}
    await _confirm(regtest, sender, signed)
    got = regtest.rpc("gettransaction", signed.txid)
    assert got["confirmations"] == 1
    assert round(float(got["amount"]) * COIN) == COIN - review.fee  # the node's wallet got it


async def test_a_changeless_match_is_found_and_the_node_accepts_it(
    regtest: Regtest, store: Store, signer: SoftwareSigner, backend: ElectrumBackend
) -> None:
    values = [70_000_000, 25_000_000, 15_000_000]
    acct, ua = await _funded(regtest, store, signer, backend, 4, values)
    sender = UtxoSender(store, acct, backend, gap_limit=5)
    outside = str(regtest.rpc("getnewaddress", "", "bech32"))
    rate = 3
    script = bytes.fromhex(regtest.rpc("getaddressinfo", outside)["scriptPubKey"])
    # 25M + 15M pay this exactly at 3 sat/vB; largest-first would spend 70M and make change.
    amount = 40_000_000 - estimate_vsize(["p2wpkh"] * 2, [script]) * rate
    review = await sender.prepare(outside, amount, signer_fingerprint(signer), fee_rate=rate)
    assert review.change == 0 and review.unsigned.change is None
    assert sorted(c.value for c in review.unsigned.inputs) == [15_000_000, 25_000_000]
    assert review.amount + review.fee == 40_000_000
    signed = sender.sign(review, signer)
    txid = await sender.broadcast(signed)
    entry = regtest.rpc("getmempoolentry", txid, wallet=None)
    assert round(float(entry["fees"]["base"]) * COIN) == review.fee
    assert len(parse_tx(signed.raw).vout) == 1  # no change output
    regtest.mine(1)
    await poll(lambda: sender.status(txid), lambda s: s.state is TxState.CONFIRMED)

    # A label imported from another wallet shows on the coin it names; spendable false
    # freezes it.
    synced = await ua.sync()
    coin = next(c for c in synced.coins if c.value == 70_000_000)
    line = {"type": "output", "ref": coin.outpoint, "label": "from Sparrow", "spendable": False}
    LabelBook(store).import_jsonl(io.StringIO(json.dumps(line) + "\n"))
    row = next(r for r in CoinControl(store).rows(synced.coins, NET) if r.outpoint == coin.outpoint)
    assert (row.label, row.frozen) == ("from Sparrow", True)
