"""The Swap screen on the real devnet: a quote with every fee line, the review, the swap signed
by the demo signer and mined; the CLI's dry run prints the same figures."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Static

from tests.fixtures.devnet import Devnet
from tui.app import make_app
from tui.i18n import catalog, placeholders
from tui.screenshots import settle
from tui.services import AttachedDemoServices
from wallet.settings import Settings

pytestmark = pytest.mark.devnet


def _text(app: object, selector: str) -> str:
    screen = app.screen  # type: ignore[attr-defined]
    return str(screen.query_one(selector, Static).render())


def test_catalogs_have_the_same_swap_keys_and_placeholders() -> None:
    en = {k: v for k, v in catalog("en").items() if "swap" in k.lower()}
    zh = {k: v for k, v in catalog("zh-CN").items() if "swap" in k.lower()}
    assert en.keys() == zh.keys() and len(en) > 60
    assert all(placeholders(en[k]) == placeholders(zh[k]) for k in en)


async def test_quote_review_and_swap_in_the_app(devnet_snapshot: Devnet, tmp_path: Path) -> None:
    services = AttachedDemoServices(devnet_snapshot.deployment, devnet_snapshot.demo_address,
                                    tmp_path)  # fmt: skip
    app = make_app(Settings(language="en"), services)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        for key in ("tab", "tab", "1", "enter"):  # past the two pickers into the amount
            await pilot.press(key)
        await settle(pilot)
        panel = _text(app, "#swap-quote")
        for label in (
            "Rate",
            "Minimum received",
            "Price impact",
            "Provider fee",
            "Wallet service fee",
            "Network fee",
            "You pay in total",
            "Route",
        ):
            assert label in panel, label
        assert "0.003 ETH (0.30 %)" in panel  # the pool fee on 1 ETH
        assert "Wallet service fee: 0 ETH (0.00 %)" in panel  # shown even when zero
        assert "Uniswap V2: ETH → DUSD" in panel
        review = app.screen.review  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "Review the swap" in _text(app, "Static.title")
        await pilot.press("ctrl+s")
        await settle(pilot)
        status = _text(app, "#swap-review-status")
        assert status.startswith("Done: received"), status
        record = app.screen.result  # type: ignore[attr-defined]
        assert record.state == "done" and record.received == review.quote.buy_amount
