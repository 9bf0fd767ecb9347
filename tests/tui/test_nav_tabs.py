"""The tab row: it always underlines the screen shown, and only the user switches screens
(a click, 1-4), never a screen's tab row being rebuilt off screen."""

from __future__ import annotations

from pathlib import Path

from tests.fixtures.devnet import Devnet
from tui.app import TermwalletApp, make_app
from tui.screenshots import settle
from tui.services import AttachedDemoServices
from tui.widgets.nav import NavTabs
from wallet.settings import Settings


def _app(devnet: Devnet, tmp_path: Path) -> TermwalletApp:
    return make_app(
        Settings(), AttachedDemoServices(devnet.deployment, devnet.demo_address, tmp_path)
    )


def _underlined(app: TermwalletApp) -> str:
    return app.screen.query_one(NavTabs).active.removeprefix("nav-")


async def test_f2_on_assets_after_visiting_history_stays_on_assets(
    devnet: Devnet, tmp_path: Path
) -> None:
    app = _app(devnet, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("1")
        await settle(pilot)
        assert app.current_mode == "assets"
        await pilot.press("f2")  # every visited screen recomposes, History's off screen
        await settle(pilot)
        assert app.current_mode == "assets" and _underlined(app) == "assets"
        await pilot.press("f2")
        await settle(pilot)
        assert app.current_mode == "assets" and _underlined(app) == "assets"


async def test_a_clicked_tab_then_a_key_underlines_the_screen_shown(
    devnet: Devnet, tmp_path: Path
) -> None:
    app = _app(devnet, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert await pilot.click("#nav-swap")
        await settle(pilot)
        assert app.current_mode == "swap" and _underlined(app) == "swap"
        await pilot.press("1")
        await settle(pilot)
        assert app.current_mode == "assets"
        assert _underlined(app) == "assets"  # was: Assets shown with Swap underlined
        assert await pilot.click("#nav-swap")  # was: a second click did nothing
        await settle(pilot)
        assert app.current_mode == "swap" and _underlined(app) == "swap"
        assert await pilot.click("#nav-history")
        await settle(pilot)
        assert app.current_mode == "history" and _underlined(app) == "history"
