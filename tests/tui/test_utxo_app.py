"""Bitcoin/Litecoin in the app, through UserServices and the real unlock: balances on the Assets
screen from litecoind + ElectrumX (regtest), the receive screen (address, QR, copy), a send
that confirms on litecoind, its history row, and the server-down case (no node needed)."""

from __future__ import annotations

import asyncio
import html
import re
import socket
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from tests.fixtures.litecoin import Regtest
from tui.app import TermwalletApp, make_app
from tui.screens.receive import ReceiveScreen
from tui.screens.send_utxo import SendUtxoReviewScreen, SendUtxoScreen
from tui.screens.unlock import UnlockScreen
from tui.screenshots import settle
from tui.services import UserServices
from wallet.paths import Paths

# BIP39 test vector phrase no other regtest test uses: its coins stay its own.
PHRASE = "zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrong"
PASSWORD = "correct horse battery"
COIN = 10**8


def _text(app: TermwalletApp) -> str:
    svg = app.export_screenshot()
    return html.unescape(re.sub(r"<[^>]+>", "", svg)).replace("\xa0", " ")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _config(paths: Paths, electrum: str) -> None:
    # The EVM network's node is unreachable on purpose: nothing here reaches the internet,
    # and the Litecoin rows must not wait for it.
    paths.config_file.write_text(
        'network = "eth"\nrpc_urls = { eth = ["http://127.0.0.1:9"] }\n'
        'utxo_networks = ["ltc-regtest"]\n'
        f'[electrum_servers]\nltc-regtest = ["{electrum}"]\n',
        "utf-8",
    )


def _restore(paths: Paths) -> list[str]:
    """The phrase restored as the CLI would (cheap KDF for the test), default accounts; the
    first receiving address of each Litecoin testnet account (SegWit, Taproot)."""
    from wallet.accounts import AccountBook
    from wallet.keys import ScriptKind
    from wallet.keystore import KdfParams, Keystore
    from wallet.store import Store

    unlocked = Keystore(paths.data_dir / "keystore.json", kdf=KdfParams.cheap_for_tests()).create(
        PHRASE, PASSWORD, ""
    )
    signer = unlocked.signer()
    store = Store(paths.database)
    try:
        book = AccountBook(store)
        book.add_default_accounts(signer, book.software_wallet())
        # Stored in testnet form (tltc1...): the same keys on regtest are rltc1...
        return [book.address("ltc-regtest", s) for s in (ScriptKind.P2WPKH, ScriptKind.P2TR)]
    finally:
        signer.close()
        unlocked.lock()
        store.close()


async def _unlock(pilot: Pilot[int]) -> None:
    await settle(pilot)
    assert isinstance(pilot.app.screen, UnlockScreen)
    await pilot.press(*PASSWORD, "enter")
    for _ in range(4):
        await settle(pilot)


async def _until(pilot: Pilot[int], ok: object, what: str, timeout: float = 60) -> None:
    """Wait for a condition the app reaches through a worker that runs on (tracking)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not ok():  # type: ignore[operator]
        if loop.time() > deadline:
            raise AssertionError(f"{what}: not after {timeout} s\n{_text(pilot.app)}")
        await pilot.pause(0.2)


@pytest.mark.regtest
async def test_balances_receive_send_and_history_in_the_app(
    regtest: Regtest, termwallet_home: Path
) -> None:
    paths = Paths.default().ensure()
    _config(paths, regtest.electrum_tcp)
    segwit_first, _taproot_first = _restore(paths)
    funding = regtest.fund(segwit_first, 3 * COIN // 2)
    regtest.mine(1)
    await asyncio.to_thread(
        regtest.wait_electrum_height, regtest.height(), funded=segwit_first, txid=funding
    )

    app = make_app(services=UserServices(paths), language="en")
    async with app.run_test(size=(100, 40)) as pilot:
        await _unlock(pilot)
        screen = app.screen
        await _until(pilot, lambda: screen.utxo_view is not None, "Litecoin balances")
        text = _text(app)
        assert "Litecoin Regtest · SegWit #0" in text and "Litecoin Regtest · Taproot #0" in text
        rows = {h.script: h for h in screen.utxo_view}
        assert rows["p2wpkh"].amount == 3 * COIN // 2 and not rows["p2wpkh"].stale
        assert rows["p2tr"].amount == 0
        assert re.search(r"rLTC\s+│?\s*Litecoin Regtest · SegWit #0\s+│?\s*1\.5\b", text), text
        assert "127.0.0.1:9" in text  # the EVM node is down and the screen says so, apart

        # Receive on the SegWit row (the first: the EVM network has no rows, it is down).
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, ReceiveScreen)
        info = app.screen.info
        assert info is not None and info.checked
        # The first address got coins: the next unused one is shown, with its QR code.
        assert info.address != segwit_first and info.address.startswith("rltc1q")
        text = _text(app)
        assert info.address in text
        assert info.qr.payload == "litecoin:" + info.address.upper()
        assert info.qr.lines[3] in text and len(info.qr.lines) >= 15
        await pilot.press("c")
        await pilot.pause()
        assert app.clipboard == info.address
        # OSC 52 has no answer: the app says it offered the address, not that it is copied.
        said = [n.message for n in app._notifications]
        assert any("offered to your terminal's clipboard" in m for m in said), said
        assert not any("copied to the clipboard" in m for m in said)
        await pilot.press("escape")
        await settle(pilot)

        # Send 0.25 to the node's wallet from the app.
        to = str(regtest.rpc("getnewaddress", "", "bech32"))
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, SendUtxoScreen)
        app.screen.query_one("#send-to", Input).value = to
        app.screen.query_one("#send-amount", Input).value = "0.25"
        await pilot.press("ctrl+r")
        await settle(pilot)
        review_screen = app.screen
        assert isinstance(review_screen, SendUtxoReviewScreen), _text(app)
        review = review_screen.review
        assert review.amount == COIN // 4 and review.fee > 0 and review.fee_rate >= 1
        text = _text(app)
        assert to in text and "0.25 rLTC" in text and "sat/vB" in text
        assert f"{review.fee_rate} sat/vB × {review.vsize} vB" in text
        await pilot.press("ctrl+s")
        await _until(pilot, lambda: review_screen.phase == "pending", "broadcast")
        txid = review_screen.txid
        assert txid is not None and txid in regtest.rpc("getrawmempool", wallet=None)
        regtest.mine(1)
        await _until(pilot, lambda: review_screen.phase == "settled", "confirmation", 90)
        assert regtest.rpc("gettransaction", txid)["confirmations"] >= 1
        assert f"Confirmed in block {regtest.height()}" in _text(app)

        # Back on Assets: the confirmed send made it read its balances again, no ctrl+r
        # (issue 17), which also writes the history rows.
        await pilot.press("escape", "escape")
        await settle(pilot)
        left = 3 * COIN // 2 - COIN // 4 - review.fee

        def segwit() -> int | None:
            view = getattr(app.screen, "utxo_view", None) or ()
            return next((h.amount for h in view if h.script == "p2wpkh"), None)

        await _until(pilot, lambda: segwit() == left, "Assets read again after the send", 10)

        from wallet.history.store import HistoryStore

        assert app.session is not None
        rows = {r.tx_hash: r for r in HistoryStore(app.session.store).page()}
        assert rows[funding].direction == "in" and rows[funding].amount == 3 * COIN // 2
        assert rows[txid].direction == "out" and rows[txid].amount == COIN // 4
        assert rows[txid].counterparty == to and rows[txid].made_here
        await pilot.press("2")
        await settle(pilot)
        text = _text(app)
        assert "rLTC" in text and "0.25" in text and "1.5" in text


async def test_server_down_marks_litecoin_rows_stale_in_the_app(termwallet_home: Path) -> None:
    """No node: the configured Electrum server does not answer. A watch-only account (xpub),
    so the wallet opens without a password."""
    from devices.emulator import SoftwareSigner
    from wallet.accounts import AccountBook, convert_xpub
    from wallet.keys import ScriptKind, account_path
    from wallet.store import Store

    paths = Paths.default().ensure()
    port = _closed_port()
    _config(paths, f"tcp://127.0.0.1:{port}")
    signer = SoftwareSigner.from_mnemonic(PHRASE)
    xpub = convert_xpub(signer.get_xpub(account_path("ltc-regtest", ScriptKind.P2WPKH, 0)), "tpub")
    store = Store(paths.database)
    AccountBook(store).add_watch_xpub("ltc-testnet", xpub, ScriptKind.P2WPKH)
    store.close()

    app = make_app(services=UserServices(paths), language="en")
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await _until(pilot, lambda: app.screen.utxo_view is not None, "Litecoin rows")
        (row,) = app.screen.utxo_view
        assert row.stale and row.amount is None and row.watch_only
        text = _text(app)
        assert "Litecoin Regtest: could not read balances" in text
        assert f"127.0.0.1:{port}" in text  # which server, so the user can fix it
        assert re.search(r"Litecoin Regtest · SegWit \(watch-only\)\s+│?\s*—", text), text
        # Receiving works from the stored key, and says the server could not check it.
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, ReceiveScreen) and app.screen.info is not None
        assert not app.screen.info.checked
        assert "may have been used" in _text(app)


@pytest.mark.regtest
async def test_a_device_wallet_receives_on_its_device_and_sends_in_the_app(
    regtest: Regtest, termwallet_home: Path
) -> None:
    """A hardware-only wallet in the app: no password asked, the receiving address shown on
    the device (`d`) matches the screen, and a Litecoin send is signed on the device and
    confirms. The device is the stand-in of tests/wallet/test_device_wallet.py (the software
    signer listed as a Trezor, on a random phrase): no emulated device signs Litecoin regtest
    (the Trezor One's coin list has no such network)."""
    from tests.wallet.test_device_wallet import Registry, StandIn
    from wallet.device_wallet import read_device_keys, store_device_wallet
    from wallet.keys import ScriptKind, generate_mnemonic
    from wallet.store import Store

    paths = Paths.default().ensure()
    _config(paths, regtest.electrum_tcp)
    device = StandIn(generate_mnemonic(12))
    store = Store(paths.database)
    wallet, _ = store_device_wallet(store, read_device_keys(device))
    from wallet.accounts import AccountBook

    first = AccountBook(store, wallet.id).address("ltc-regtest", ScriptKind.P2WPKH)
    store.close()
    regtest.fund(first, COIN)
    regtest.mine(1)
    await asyncio.to_thread(regtest.wait_electrum_height, regtest.height(), funded=first)

    services = UserServices(paths)
    services.device_registry = Registry([device])  # type: ignore[attr-defined]
    app = make_app(services=services, language="en")
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        assert not isinstance(app.screen, UnlockScreen)
        screen = app.screen
        await _until(pilot, lambda: screen.utxo_view is not None, "Litecoin balances")
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, ReceiveScreen)
        info = app.screen.info
        assert info is not None and info.path == "m/84'/1'/0'/0/1"  # the first got coins
        await pilot.press("d")
        await _until(pilot, lambda: bool(device.shown), "the address on the device")
        assert device.shown == [("ltc-regtest", info.address)]
        await _until(
            pilot,
            lambda: any("showed the same address" in n.message for n in app._notifications),
            "the device's answer",
        )
        await pilot.press("escape")
        await settle(pilot)

        to = str(regtest.rpc("getnewaddress", "", "bech32"))
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, SendUtxoScreen)
        app.screen.query_one("#send-to", Input).value = to
        app.screen.query_one("#send-amount", Input).value = "0.25"
        await pilot.press("ctrl+r")
        await settle(pilot)
        review_screen = app.screen
        assert isinstance(review_screen, SendUtxoReviewScreen), _text(app)
        await pilot.press("ctrl+s")
        await _until(pilot, lambda: review_screen.phase == "pending", "broadcast")
        txid = review_screen.txid
        regtest.mine(1)
        await _until(pilot, lambda: review_screen.phase == "settled", "confirmation", 90)
        got = regtest.rpc("gettransaction", txid)
        assert got["confirmations"] >= 1 and got["amount"] == pytest.approx(0.25)
    assert not (paths.data_dir / "keystore.json").exists()


@pytest.mark.parametrize(
    ("amount", "says"),
    [("0.000000001", "has 9 decimal places; rLTC has at most 8"), ("1e3", "exponent"),
     ("-1", "negative"), ("0", "more than 0 rLTC")],
)  # fmt: skip
async def test_a_bad_utxo_amount_says_why_next_to_the_field_at_80x24(
    tmp_path: Path, amount: str, says: str
) -> None:
    """Issue 17: the amount's reason under the amount field, on screen at 80x24, before any
    server is asked (none answers here)."""
    paths = Paths.default().ensure()
    _config(paths, f"tcp://127.0.0.1:{_closed_port()}")
    _restore(paths)
    app = make_app(services=UserServices(paths), language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await _unlock(pilot)
        key = next(iter(app.session.utxo.keys()))  # type: ignore[union-attr]
        app.push_screen(SendUtxoScreen(key))
        await settle(pilot)
        screen = app.screen
        screen.query_one("#send-to", Input).value = "rltc1qw508d6qejxtdg4y5r3zarvary0c5xw7kgmn4n9"
        screen.query_one("#send-amount", Input).value = amount
        await pilot.press("ctrl+r")
        await settle(pilot)
        line = screen.query_one("#send-amount-error")
        body = screen.query_one("#send-body")
        assert line.region.height > 0 and body.region.contains_region(line.region)
        text = str(line.render())
        assert says in text and "not valid" not in text, text
