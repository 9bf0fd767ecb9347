"""Issue 17: in the ticket form the focused Select or transaction list could not be told from
the others (compact fields: no border, Textual's focus tint is 5 %)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.color import Color
from textual.widget import Widget
from textual.widgets import Select, SelectionList
from textual.widgets._select import SelectCurrent  # what a Select draws when closed

from tests.fixtures.devnet import Devnet
from tui.app import make_app
from tui.screens.support_new_ticket import NewTicketScreen
from tui.screenshots import settle
from tui.services import AttachedDemoServices
from wallet.settings import Settings

pytestmark = pytest.mark.devnet


def _distance(a: Color, b: Color) -> int:
    return abs(a.r - b.r) + abs(a.g - b.g) + abs(a.b - b.b)


async def test_the_focused_select_and_list_stand_out(devnet: Devnet, tmp_path: Path) -> None:
    services = AttachedDemoServices(devnet.deployment, devnet.demo_address, tmp_path)
    app = make_app(Settings(language="en"), services)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("4", "n")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, NewTicketScreen)
        category = screen.query_one("#ticket-category", Select)
        txs = screen.query_one("#ticket-transactions", SelectionList)

        def look(widget: Widget) -> Color:
            return widget.background_colors[1]

        shown = category.query_one(SelectCurrent)
        for focus, part in ((category, shown), (txs, txs)):
            screen.set_focus(None)
            await settle(pilot)
            blurred = look(part)
            focus.focus()
            await settle(pilot)
            focused = look(part)
            # 40 of 765: a difference the eye sees at once (Textual's own: 9 a channel).
            assert _distance(blurred, focused) >= 40, (focus.id, blurred, focused)
