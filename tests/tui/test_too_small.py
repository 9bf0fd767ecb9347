"""Below 70x20 the app says "enlarge the terminal to at least 70x20" instead of drawing its
screens broken; at a size that works again, what was open comes back as it was."""

from __future__ import annotations

from pathlib import Path

from tests.fixtures.devnet import Devnet
from tests.tui.test_app import _text
from tui.app import TermwalletApp, make_app
from tui.screenshots import settle
from tui.services import AttachedDemoServices
from wallet.settings import Settings


def _app(devnet: Devnet, tmp_path: Path) -> TermwalletApp:
    return make_app(
        Settings(), AttachedDemoServices(devnet.deployment, devnet.demo_address, tmp_path)
    )


async def test_at_40x15_the_app_asks_for_a_larger_terminal(devnet: Devnet, tmp_path: Path) -> None:
    app = _app(devnet, tmp_path)
    async with app.run_test(size=(40, 15)) as pilot:
        await settle(pilot)
        text = _text(app)
        assert "Enlarge the terminal to at least 70x20" in " ".join(text.split())
        assert "40x15" in text
        assert "DUSD" not in text and "Assets" not in text  # no broken screen underneath
        await pilot.press("2")  # another screen while small: still the notice
        await settle(pilot)
        assert app.current_mode == "history" and "70x20" in _text(app)
        assert "+2,5" not in _text(app)
        await pilot.press("f2")
        await settle(pilot)
        assert "70x20" in _text(app) and "请把终端放大" in "".join(_text(app).split())
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        text = _text(app)
        assert "70x20" not in text and "+2,500" in text  # History, whole, in Chinese
        assert len(app.screen_stack) == 1


async def test_a_terminal_made_small_then_large_again(devnet: Devnet, tmp_path: Path) -> None:
    app = _app(devnet, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "DUSD" in _text(app)
        await pilot.resize_terminal(69, 24)  # one column short
        await settle(pilot)
        assert "at least 70x20" in " ".join(_text(app).split()) and "69x24" in _text(app)
        await pilot.resize_terminal(70, 19)  # one row short
        await settle(pilot)
        assert "70x19" in _text(app)
        await pilot.resize_terminal(70, 20)  # the smallest that works
        await settle(pilot)
        assert "DUSD" in _text(app) and "70x20" not in _text(app)
        assert len(app.screen_stack) == 1


async def test_a_dialog_that_closes_itself_under_the_notice_really_closes(
    devnet: Devnet, tmp_path: Path
) -> None:
    """A dialog closed by its own code (a worker's dismiss, a device found) while the notice
    covers it: Textual pops whatever is on top, so the notice went and the dialog stayed."""
    app = _app(devnet, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        dialog = app.screen
        assert type(dialog).__name__ == "SendScreen"
        await pilot.resize_terminal(40, 15)
        await settle(pilot)
        assert "70x20" in _text(app)
        dialog.dismiss(None)  # as its worker would
        await settle(pilot)
        assert dialog not in app.screen_stack
        assert "70x20" in _text(app)  # still small: still the notice
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        assert len(app.screen_stack) == 1 and "DUSD" in _text(app)
