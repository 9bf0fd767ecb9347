"""Assets: what the wallet holds, read from the node in one batched request per refresh."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.reactive import reactive
from textual.widgets import DataTable, Static

from tui.errors import user_message
from tui.i18n import t
from tui.screens.base import MainScreen
from wallet.view import amount_text

if TYPE_CHECKING:
    from wallet.portfolio import PortfolioView
    from wallet.session import SessionStatus


class AssetsScreen(MainScreen):
    name_key = "assets"
    BINDINGS = [
        Binding("ctrl+r", "refresh", "bind.refresh"),
        Binding("s", "send", "bind.send_open"),
    ]

    view: reactive[PortfolioView | None] = reactive(None, recompose=False)

    def compose_body(self) -> ComposeResult:
        with Vertical(id="assets-body", classes="body"):
            yield Static(t("assets.waiting"), id="assets-note", classes="note")
            table: DataTable[str] = DataTable(
                id="assets-table", cursor_type="row", zebra_stripes=True
            )
            table.add_column(t("assets.col_asset"), key="asset")
            table.add_column(t("assets.col_name"), key="name")
            table.add_column(t("assets.col_balance"), key="balance")
            table.add_column(t("assets.col_value"), key="value")
            yield table
            yield Static("", id="assets-footer", classes="muted")

    def on_mount(self) -> None:
        super().on_mount()
        self.watch(self.app, "status", self._status_changed, init=True)
        if self.view is not None:
            self.watch_view(self.view)

    def _status_changed(self, status: SessionStatus | None) -> None:
        if status is not None and self.view is None:
            self.action_refresh()

    def action_refresh(self) -> None:
        session = getattr(self.app, "session", None)
        if session is None:
            return
        if not session.addresses:
            self.query_one("#assets-note", Static).update(t("assets.no_accounts"))
            self.query_one("#assets-table").display = False
            return
        self.query_one("#assets-table").display = True
        self.query_one("#assets-note", Static).update(
            t("assets.loading", network=session.network.name)
        )
        self._load()

    def action_send(self) -> None:
        """Send the highlighted asset (pushes tui/screens/send.py)."""
        session = getattr(self.app, "session", None)
        if session is None or not session.assets:
            return
        from tui.screens.send import SendScreen

        table = self.query_one("#assets-table", DataTable)
        key = None
        if table.row_count and table.cursor_row is not None:
            key = table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value
        self.app.push_screen(SendScreen(key))

    @work(exclusive=True, group="assets", exit_on_error=False)
    async def _load(self) -> None:
        self.view = await self.app.session.portfolio()  # type: ignore[attr-defined]

    def watch_view(self, view: PortfolioView | None) -> None:
        if view is None or not self.is_mounted:
            return
        table = self.query_one("#assets-table", DataTable)
        table.clear()
        for h in view.holdings:
            table.add_row(
                h.asset.symbol,
                h.asset.name,
                Text(amount_text(h.amount, h.asset.decimals), justify="right"),
                Text("—", justify="right"),
                key=h.asset.key,
            )
        note = self.query_one("#assets-note", Static)
        note.set_class(view.stale, "warning")
        if view.stale and view.error is not None:
            reason = user_message(view.error)
            note.update(
                t("assets.stale", reason=reason, block=view.block)
                if view.holdings
                else t("assets.stale_empty", reason=reason)
            )
        else:
            note.update(t("assets.block", block=view.block))
        session = getattr(self.app, "session", None)
        if session is not None and session.addresses:
            self.query_one("#assets-footer", Static).update(
                t("assets.account", address=session.addresses[0]) + "\n" + t("assets.fiat_none")
            )
