"""`termwallet demo`'s Litecoin account in the app: the demo (DemoServices, as the command
opens it: anvil, the helpdesk and the demo Electrum server) shows the Litecoin row on Assets,
and `c` on it opens coin control with the demo chain's coins; the server stops with the app."""

from __future__ import annotations

import socket
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from chains.utxo import parse_tx, txid_of
from tests.fixtures.devnet import Devnet
from tests.tui.test_utxo_app import _text, _until
from tui.app import make_app
from tui.screens.coins import CoinsScreen
from tui.screenshots import settle
from tui.services import DemoServices
from wallet.settings import Settings

pytestmark = pytest.mark.devnet


async def test_the_demo_opens_coin_control_on_its_litecoin_account(tmp_path: Path) -> None:
    app = make_app(Settings(language="en"), DemoServices(tmp_path / "demo"))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        assets = app.screen
        await _until(pilot, lambda: bool(getattr(assets, "utxo_view", None)), "Litecoin row")
        (holding,) = assets.utxo_view  # type: ignore[attr-defined]
        assert holding.network == "ltc-regtest" and not holding.stale
        assert "Litecoin Regtest" in _text(app)
        electrum = app.session.electrum  # type: ignore[attr-defined]
        url = urlsplit(electrum.url)
        assert url.hostname == "127.0.0.1"

        await pilot.press("down", "down", "down", "c")
        await settle(pilot)
        coins = app.screen
        assert isinstance(coins, CoinsScreen)
        await _until(pilot, lambda: coins.rows is not None, "coins")
        assert coins.rows is not None
        assert sorted(r.value for r in coins.rows) == sorted(
            [125_000_000, 31_000_000, 2_999_718, 29_999_859, 15_000_000]
        )
        text = _text(app)
        assert "unconfirmed" in text and "1.25 rLTC" in text
    # The app closed: the demo's Electrum server with it.
    with pytest.raises(OSError), socket.create_connection((url.hostname, url.port), timeout=2):
        pass


async def test_the_demo_speeds_up_its_pending_payment(devnet: Devnet, tmp_path: Path) -> None:
    """History details `u` on the demo's pending payment: the review, ctrl+s signs with the
    demo's signer and the demo server takes the replacement in place of the original."""
    from tui.screens.bump_review import BumpReviewScreen
    from tui.screenshots import Shot, app_for, demo_services, drive
    from wallet.demo_utxo import PENDING_PAYMENT, build_demo_chain, demo_coinbases

    original = build_demo_chain().mempool[0]
    shot = Shot("bump", keys=("2", "down", "enter", "u"))
    app = app_for(shot, demo_services(devnet.deployment, devnet.demo_address, tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        await drive(pilot, shot)
        review = app.screen
        assert isinstance(review, BumpReviewScreen)
        assert review.review.txid == txid_of(original)
        await pilot.press("ctrl+s")
        await _until(pilot, lambda: review.txid is not None, "the replacement sent")
        backend = app.session.utxo.backend("ltc-regtest")  # type: ignore[attr-defined]
        spent = txid_of(demo_coinbases()[PENDING_PAYMENT.coin_height])
        history = await backend.histories([review.review.recipient])
        txids = {h.txid for h in history[review.review.recipient]}
        assert review.txid in txids and txid_of(original) not in txids
        replacement = (await backend.transactions([review.txid]))[review.txid]
        assert spent in {i.txid.hex() for i in parse_tx(replacement).vin}
