"""Coin control and labels in the app on litecoind + ElectrumX (regtest): Assets `c` opens the
account's coins with their imported BIP329 labels (shown as text, never markup or escapes),
`f` freezes, a frozen coin cannot be chosen, `space` + `s` sends from the chosen coin with a
labelled recipient, and the transaction label shows in History."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path

import pytest
from textual.widgets import Input, Select

from tests.fixtures.litecoin import Regtest
from tests.tui.test_utxo_app import _config, _text, _until
from tui.app import make_app
from tui.screens.coins import CoinsScreen
from tui.screens.send_utxo import SendUtxoReviewScreen, SendUtxoScreen
from tui.screens.unlock import UnlockScreen
from tui.screenshots import settle
from tui.services import UserServices
from wallet.paths import Paths

PASSWORD = "correct horse battery"
COIN = 10**8


def _restore(paths: Paths) -> str:
    from wallet.accounts import AccountBook
    from wallet.keys import ScriptKind, generate_mnemonic
    from wallet.keystore import KdfParams, Keystore
    from wallet.store import Store

    # A fresh phrase per run: the regtest node is shared by the test session, and a phrase
    # another test also restored shared its coins with it (test_psbt_electrum used this one).
    unlocked = Keystore(paths.data_dir / "keystore.json", kdf=KdfParams.cheap_for_tests()).create(
        generate_mnemonic(12), PASSWORD, ""
    )
    signer = unlocked.signer()
    store = Store(paths.database)
    try:
        book = AccountBook(store)
        book.add_default_accounts(signer, book.software_wallet())
        return book.address("ltc-regtest", ScriptKind.P2WPKH, 0)
    finally:
        signer.close()
        unlocked.lock()
        store.close()


def _import(paths: Paths, records: list[dict[str, object]]) -> None:
    from wallet.labels import LabelBook
    from wallet.store import Store

    store = Store(paths.database)
    try:
        LabelBook(store).import_jsonl(io.StringIO("".join(json.dumps(r) + "\n" for r in records)))
    finally:
        store.close()


@pytest.mark.regtest
async def test_coins_screen_freeze_choose_and_send_with_labels(
    regtest: Regtest, termwallet_home: Path
) -> None:
    paths = Paths.default().ensure()
    _config(paths, regtest.electrum_tcp)
    first = _restore(paths)
    keep = regtest.fund(first, 7 * COIN // 10)
    spend = regtest.fund(first, 3 * COIN // 10)
    regtest.mine(1)
    keep_vout = next(
        o["n"] for o in regtest.rpc("getrawtransaction", keep, True, wallet=None)["vout"]
        if round(o["value"] * 10) == 7
    )  # fmt: skip
    to = str(regtest.rpc("getnewaddress", "", "bech32"))
    # Labels from another wallet, before the first sync: hostile text included.
    _import(paths, [
        {"type": "output", "ref": f"{keep}:{keep_vout}", "label": "[red]savings[/red]\x1b[2J"},
        {"type": "tx", "ref": spend, "label": "salary march"},
        {"type": "addr", "ref": to, "label": "exchange deposit"},
        {"type": "addr", "ref": first, "label": "my own first address"},
    ])  # fmt: skip
    await asyncio.to_thread(regtest.wait_electrum_height, regtest.height(), funded=first)

    app = make_app(services=UserServices(paths), language="en")
    async with app.run_test(size=(130, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, UnlockScreen)
        await pilot.press(*PASSWORD, "enter")
        for _ in range(4):
            await settle(pilot)
        assets = app.screen
        await _until(pilot, lambda: assets.utxo_view is not None, "Litecoin balances")

        # Also in the command palette (Assets' own commands), by name.
        assert any(c.title == "Coins (coin control)" for c in assets.palette_commands())
        await pilot.press("c")
        await settle(pilot)
        coins = app.screen
        assert isinstance(coins, CoinsScreen)
        await _until(pilot, lambda: coins.rows is not None and len(coins.rows) == 2, "coins")
        text = _text(app)
        assert "[red]savings[/red]\ufffd[2J" in text  # as text: no markup, no escape
        # The other coin has no label of its own: its address's comes before its transaction's.
        assert "my own first address" in text
        assert [r.value for r in coins.rows] == [7 * COIN // 10, 3 * COIN // 10]

        await pilot.press("f")  # the cursor is on the largest coin
        await settle(pilot)
        assert coins.rows[0].frozen and "frozen" in _text(app)
        from wallet.coin_control import CoinControl

        assert CoinControl(app.session.store).is_frozen(f"{keep}:{keep_vout}")
        await pilot.press("space")  # a frozen coin cannot be chosen
        await pilot.pause()
        assert coins.chosen == []
        assert any("unfreeze it first" in n.message for n in app._notifications)

        await pilot.press("down", "space")
        await settle(pilot)
        assert coins.chosen == [coins.rows[1].outpoint]
        assert "1 coins chosen: 0.3 rLTC" in _text(app)
        await pilot.press("s")
        await settle(pilot)
        send = app.screen
        assert isinstance(send, SendUtxoScreen)
        assert "Spending exactly the 1 coins chosen (0.3 rLTC)" in _text(app)
        picker = send.query_one("#send-labelled", Select)
        offered = [v for _, v in picker._options if isinstance(v, str)]
        assert offered == [to]  # the wallet's own labelled address is not a recipient
        picker.value = to
        await settle(pilot)
        assert send.query_one("#send-to", Input).value == to
        send.query_one("#send-amount", Input).value = "max"
        await pilot.press("ctrl+r")
        await settle(pilot)
        review_screen = app.screen
        assert isinstance(review_screen, SendUtxoReviewScreen), _text(app)
        review = review_screen.review
        assert [c.outpoint for c in review.unsigned.inputs] == [coins.rows[1].outpoint]
        assert review.change == 0 and review.amount == 3 * COIN // 10 - review.fee
        await pilot.press("ctrl+s")
        await _until(pilot, lambda: review_screen.phase == "pending", "broadcast")
        txid = review_screen.txid
        raw = regtest.rpc("getrawtransaction", txid, True, wallet=None)
        assert [f"{i['txid']}:{i['vout']}" for i in raw["vin"]] == [coins.rows[1].outpoint]

        # History shows the label imported before the transaction was ever synced.
        await pilot.press("escape", "escape", "escape")
        await settle(pilot)
        await pilot.press("ctrl+r")
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        await _until(pilot, lambda: "salary march" in _text(app), "the label in History")
