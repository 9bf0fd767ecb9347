"""PSBTs in the app (Pilot, litecoind + ElectrumX regtest): a watch-only account's Send review
exports an unsigned PSBT (ctrl+e) instead of signing; the key's holder signs it elsewhere (here
embit, as an air-gapped signer would); the palette's "Load a signed PSBT" checks the pasted
base64 against the node, shows what it pays, and broadcasts it (ctrl+s); it confirms."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path

import pytest
from textual.widgets import Input

from tests.fixtures.litecoin import Regtest
from tests.tui.helpers import run_palette_command
from tests.tui.test_utxo_app import _config, _text, _until
from tui.app import make_app
from tui.screens.psbt_load import PsbtLoadScreen
from tui.screens.psbt_qr import PsbtQrScreen
from tui.screens.send_utxo import SendUtxoReviewScreen, SendUtxoScreen
from tui.screenshots import settle
from tui.services import UserServices
from wallet.paths import Paths
from wallet.psbt_ur import decode_ur_text

# BIP39 test vector no other regtest test uses: its coins stay its own.
PHRASE = "ozone drill grab fiber curtain grace pudding thank cruise elder eight picnic"
COIN = 10**8


def _watch(paths: Paths) -> tuple[object, str]:
    """The phrase's SegWit testnet account watched by xpub (no keystore: no password asked);
    the account's private key (what the air-gapped signer holds) and first address."""
    from embit.bip32 import HDKey
    from embit.bip39 import mnemonic_to_seed

    from wallet.accounts import AccountBook
    from wallet.keys import ScriptKind
    from wallet.store import Store

    account = HDKey.from_seed(mnemonic_to_seed(PHRASE)).derive("m/84h/1h/0h")
    tpub = account.to_public().to_base58(version=bytes.fromhex("043587cf"))
    store = Store(paths.database)
    try:
        acct = AccountBook(store).add_watch_xpub("ltc-testnet", tpub, ScriptKind.P2WPKH)
    finally:
        store.close()
    from embit import bech32

    program = acct.address
    hrp, _, _ = program.partition("1")
    ver, data = bech32.decode(hrp, program)
    return account, str(bech32.encode("rltc", ver, bytes(data)))


@pytest.mark.regtest
async def test_export_unsigned_then_load_signed_and_broadcast(
    regtest: Regtest, termwallet_home: Path
) -> None:
    from devices.psbt import sign_psbt

    paths = Paths.default().ensure()
    _config(paths, regtest.electrum_tcp)
    account, first = _watch(paths)
    regtest.fund(first, COIN)
    regtest.mine(1)
    await asyncio.to_thread(regtest.wait_electrum_height, regtest.height(), funded=first)
    to = str(regtest.rpc("getnewaddress", "", "bech32"))

    app = make_app(services=UserServices(paths), language="en")
    async with app.run_test(size=(110, 40)) as pilot:
        await settle(pilot)
        await _until(pilot, lambda: app.screen.utxo_view is not None, "Litecoin rows")
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, SendUtxoScreen)
        assert "signed here." in _text(app)  # the watch-only hint (export), not a refusal
        app.screen.query_one("#send-to", Input).value = to
        app.screen.query_one("#send-amount", Input).value = "0.4"
        await pilot.press("ctrl+r")
        await _until(pilot, lambda: isinstance(app.screen, SendUtxoReviewScreen), "review")
        review_screen = app.screen
        assert isinstance(review_screen, SendUtxoReviewScreen)
        # No keys here: ctrl+s signs nothing; ctrl+e exports.
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert review_screen.phase == "idle" and review_screen.exported is None
        await pilot.press("ctrl+e")
        await _until(pilot, lambda: review_screen.phase == "settled", "export")
        path = review_screen.exported
        assert path is not None and path.read_bytes() == review_screen.review.unsigned.psbt
        assert "Unsigned PSBT written to" in _text(app)
        assert regtest.rpc("getrawmempool", wallet=None) == []

        # The same PSBT as an animated QR (BC-UR): the frames drawn decode back to it.
        await pilot.press("ctrl+u")
        await settle(pilot)
        qr = app.screen
        assert isinstance(qr, PsbtQrScreen)
        need = qr.encoder.seq_len + 2
        await _until(pilot, lambda: len(qr.shown) >= need, "QR frames", 30)
        assert decode_ur_text("\n".join(qr.shown)) == path.read_bytes()
        assert qr.shown[-1] == qr.encoder.part(len(qr.shown))
        assert "UR" in _text(app) and "█" in _text(app)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is review_screen

        # The air-gapped signer (it holds the account key; the PSBT names it as its root).
        signed = sign_psbt(path.read_bytes(), account)
        assert signed.signed == (0,)
        pasted = base64.b64encode(signed.psbt).decode()

        await pilot.press("escape", "escape")
        await settle(pilot)
        await run_palette_command(pilot, "Load a signed PSBT")
        await settle(pilot)
        load = app.screen
        assert isinstance(load, PsbtLoadScreen)
        # First a copy that lies about its input's amount (a smaller fee on screen): refused,
        # and nothing can be broadcast.
        from embit.psbt import PSBT

        lying = PSBT.parse(signed.psbt)
        lying.inputs[0].witness_utxo.value -= 1_000_000
        load.query_one("#psbt-source", Input).value = base64.b64encode(lying.serialize()).decode()
        await pilot.press("ctrl+r")
        await _until(pilot, lambda: "the node says" in _text(app), "refusal")
        assert load.phase == "idle" and load.review is None
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert load.txid is None and regtest.rpc("getrawmempool", wallet=None) == []

        load.query_one("#psbt-source", Input).value = pasted
        await pilot.press("ctrl+r")
        await _until(pilot, lambda: load.phase == "checked", "check")
        text = _text(app)
        assert to in text and "0.4 rLTC" in text and "pays out" in text
        assert "change back to you" in text and "sat/vB" in text
        assert "Signed: complete" in text
        await pilot.press("ctrl+s")
        await _until(pilot, lambda: load.phase == "sent", "broadcast")
        assert load.txid in regtest.rpc("getrawmempool", wallet=None)
        regtest.mine(1)
        tx = regtest.rpc("getrawtransaction", load.txid, True, wallet=None)
        assert tx["confirmations"] == 1
