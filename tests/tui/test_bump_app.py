"""Speeding up from the app: History details of an unconfirmed Litecoin payment, `u`, the
review (old fee, new fee, what changes), ctrl+s; on litecoind + ElectrumX the replacement takes
the original's place in the mempool and confirms."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.fixtures.litecoin import Regtest
from tests.tui import test_utxo_app as base
from tui.app import make_app
from tui.screens.bump_review import BumpReviewScreen
from tui.screens.history_details import HistoryDetailsScreen
from tui.screenshots import settle
from tui.services import UserServices
from wallet.paths import Paths

PHRASE = (
    "void come effort suffer camp survey warrior heavy shoot primary clutch crush open "
    "amazing screen patrol group space point ten exist slush involve unfold"
)
COIN = 10**8


@pytest.mark.regtest
async def test_speed_up_from_history_details_replaces_and_confirms(
    regtest: Regtest, termwallet_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from devices.emulator import SoftwareSigner
    from wallet.accounts import AccountBook
    from wallet.store import Store
    from wallet.utxo_send import UtxoSender, signer_fingerprint

    monkeypatch.setattr(base, "PHRASE", PHRASE)
    paths = Paths.default().ensure()
    base._config(paths, regtest.electrum_tcp)
    segwit_first, _ = base._restore(paths)
    regtest.fund(segwit_first, COIN)
    regtest.mine(1)
    await asyncio.to_thread(regtest.wait_electrum_height, regtest.height(), funded=segwit_first)

    # A slow payment made before (at 1 sat/vB), still unconfirmed.
    to = str(regtest.rpc("getnewaddress", "", "bech32"))
    store = Store(paths.database)
    signer = SoftwareSigner.from_mnemonic(PHRASE)
    try:
        from chains.electrum import ElectrumBackend
        from chains.utxo_networks import utxo_network

        family = utxo_network("ltc-regtest").family
        acct = next(
            a
            for a in AccountBook(store).list()
            if a.family == family and a.script.value == "p2wpkh" and a.account_index == 0
        )

        backend = ElectrumBackend(utxo_network("ltc-regtest"), servers=[regtest.electrum_tcp])
        sender = UtxoSender(store, acct, backend)
        review = await sender.prepare(to, COIN // 5, signer_fingerprint(signer), fee_rate=1)
        old = await sender.broadcast(sender.sign(review, signer))
        await backend.aclose()
    finally:
        signer.close()
        store.close()

    app = make_app(services=UserServices(paths), language="en")
    async with app.run_test(size=(110, 44)) as pilot:
        await base._unlock(pilot)
        screen = app.screen
        await base._until(pilot, lambda: screen.utxo_view is not None, "Litecoin balances")
        await pilot.press("ctrl+r")  # sync: the history rows are written
        await settle(pilot)
        from wallet.history.store import HistoryStore

        assert app.session is not None
        history = HistoryStore(app.session.store)

        def row() -> object:
            return next((r for r in history.page() if r.tx_hash == old), None)

        await base._until(pilot, lambda: row() is not None, "the payment in history")
        app.push_screen(HistoryDetailsScreen(history, row(), head=None))  # type: ignore[arg-type]
        await settle(pilot)
        assert "Speed up" in base._text(app)
        await pilot.press("u")
        await base._until(
            pilot, lambda: isinstance(app.screen, BumpReviewScreen), "the speed-up review"
        )
        bump_screen = app.screen
        assert isinstance(bump_screen, BumpReviewScreen)
        bump = bump_screen.review
        await settle(pilot)  # drawn, not only pushed
        assert bump.txid == old and bump.old_fee == review.fee and bump.new_fee > review.fee
        text = base._text(app)
        for words in ("Old fee", "New fee", "Change back", "(unchanged)", to):
            assert words in text, text
        await pilot.press("ctrl+s")
        await base._until(pilot, lambda: bump_screen.phase == "pending", "broadcast")
        new = bump_screen.txid
        pool = set(regtest.rpc("getrawmempool", wallet=None))
        assert new in pool and old not in pool
        regtest.mine(1)
        await base._until(pilot, lambda: bump_screen.phase == "settled", "confirmation", 90)
        assert regtest.rpc("gettransaction", new)["confirmations"] >= 1
