"""The Assets screen's first frame is light (issue 16): header, tab row and "Opening the
wallet…", the table mounted right after it. A session that opens before the table is there
must still have its balances read and shown once it is."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable, Static

from tests.fixtures.devnet import Devnet
from tui.app import make_app
from tui.screens.assets import AssetsScreen
from tui.screenshots import settle
from tui.services import AttachedDemoServices
from wallet.settings import Settings


async def test_a_refresh_before_the_table_is_there_is_done_when_it_is(
    devnet: Devnet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    held: list[AssetsScreen] = []
    complete = AssetsScreen._complete_body

    async def later(self: AssetsScreen) -> None:
        held.append(self)  # the table's mount held back until the session is open

    monkeypatch.setattr(AssetsScreen, "_complete_body", later)
    services = AttachedDemoServices(devnet.deployment, devnet.demo_address, tmp_path)
    app = make_app(Settings(), services)
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(100):
            if app.session is not None:
                break
            await pilot.pause(0.05)
        assert app.session is not None
        await pilot.pause(0.2)
        screen = app.screen
        assert isinstance(screen, AssetsScreen)
        # The first frame's content only: no table, no balances read into nothing.
        assert not screen.query(DataTable)
        assert "Opening the wallet" in str(screen.query_one("#assets-note", Static).render())
        assert held == [screen]
        await complete(screen)
        await settle(pilot)
        table = screen.query_one("#assets-table", DataTable)
        assert table.row_count >= 2 and app.screen.focused is table
        symbols = {str(table.get_row_at(i)[0]) for i in range(table.row_count)}
        assert "ETH" in symbols
