"""Assets: what the wallet holds. The EVM network's assets are read from its node in one
batched request per refresh; Bitcoin and Litecoin accounts (one row each) from their servers in
a worker of their own, so a slow or absent server never holds up the other rows."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.reactive import reactive
from textual.widgets import DataTable, Static
from textual.worker import WorkerState

from tui.errors import user_message
from tui.i18n import t
from tui.screens.base import MainScreen
from wallet.view import amount_text

if TYPE_CHECKING:
    from textual.worker import Worker

    from wallet.portfolio import PortfolioView
    from wallet.session import SessionStatus
    from wallet.utxo_portfolio import UtxoHolding


DEFAULT_REFRESH_SECONDS = 30  # wallet.settings' refresh_seconds, for services without one


class AssetsScreen(MainScreen):
    name_key = "assets"
    BINDINGS = [
        Binding("ctrl+r", "refresh", "bind.refresh"),
        Binding("s", "send", "bind.send_open"),
        Binding("r", "receive", "bind.utxo_receive"),
        Binding("h", "app.connect_device", "bind.device_connect"),
    ]

    view: reactive[PortfolioView | None] = reactive(None, recompose=False)
    utxo_view: reactive[tuple[UtxoHolding, ...] | None] = reactive(None, recompose=False)

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
            utxo_note = Static("", id="assets-utxo-note", classes="note")
            utxo_note.display = False  # shown once there are Bitcoin/Litecoin accounts
            yield utxo_note
            yield Static("", id="assets-footer", classes="muted")

    def on_mount(self) -> None:
        super().on_mount()
        self.watch(self.app, "status", self._status_changed, init=True)
        # A send or swap of this app settled: read the balances again (tui/messages.py).
        self.watch(self.app, "balances_version", self._balances_changed, init=False)
        settings = getattr(getattr(self.app, "services", None), "settings", None)
        seconds = getattr(settings, "refresh_seconds", DEFAULT_REFRESH_SECONDS)
        self.set_interval(seconds, self._periodic_refresh)
        if self.view is not None:
            self.watch_view(self.view)
        if self.utxo_view is not None:
            self.watch_utxo_view(self.utxo_view)

    async def _language_changed(self, language: str) -> None:
        await super()._language_changed(language)
        # The recompose built empty widgets: draw what was read again, in the new language
        # (the balances were gone after F2 until the next refresh).
        if self.view is not None:
            self.watch_view(self.view)
        if self.utxo_view is not None:
            self.watch_utxo_view(self.utxo_view)

    def _periodic_refresh(self) -> None:
        """The periodic read. It also clears whatever the last one left on screen (a note
        still saying "Reading balances" after a failed read stayed until ctrl+r)."""
        busy = any(w.group in ("assets", "assets-utxo") and not w.is_finished for w in self.workers)
        if not busy and getattr(self.app, "session", None) is not None:
            self.action_refresh()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        super().on_worker_state_changed(event)  # the app's one message for the failure
        if event.worker.group == "assets" and event.state is WorkerState.ERROR:
            error = event.worker.error
            reason = user_message(error) if error is not None else ""
            self.query_one("#assets-note", Static).update(t("assets.failed", reason=reason))

    def _balances_changed(self, _: int) -> None:
        # The read workers are exclusive: one that started before the transaction settled
        # (and may miss it) is cancelled for this one.
        self.action_refresh()

    def _status_changed(self, status: SessionStatus | None) -> None:
        if status is not None and self.view is None:
            self.action_refresh()

    def action_refresh(self) -> None:
        session = getattr(self.app, "session", None)
        if session is None:
            return
        utxo = getattr(session, "utxo", None)
        if not session.addresses and not utxo:
            self.query_one("#assets-note", Static).update(t("assets.no_accounts"))
            self.query_one("#assets-table").display = False
            return
        self.query_one("#assets-table").display = True
        if session.addresses:
            self.query_one("#assets-note", Static).update(
                t("assets.loading", network=session.network.name)
            )
            self._load()
        else:
            self.query_one("#assets-note", Static).update("")
        if utxo:
            names = ", ".join(n.name for n in utxo.networks.values())
            note = self.query_one("#assets-utxo-note", Static)
            note.display = True
            note.update(t("utxo.loading", networks=names))
            self._load_utxo()
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "receive":  # any wallet with an account to receive on
            session = getattr(self.app, "session", None)
            return bool(getattr(session, "utxo", None) or getattr(session, "addresses", None))
        return True

    def _highlighted(self) -> str | None:
        table = self.query_one("#assets-table", DataTable)
        if not table.row_count or table.cursor_row is None:
            return None
        key = table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value
        return str(key) if key is not None else None

    def _utxo_key(self) -> str | None:
        """The highlighted row's key when it is a Bitcoin/Litecoin account."""
        key = self._highlighted()
        utxo = getattr(getattr(self.app, "session", None), "utxo", None)
        return key if utxo and key in utxo.keys() else None

    def action_receive(self) -> None:
        """Receive on the highlighted Bitcoin/Litecoin account, or the Ethereum account of the
        highlighted coin or token (tui/screens/receive.py)."""
        key = self._utxo_key()
        session = getattr(self.app, "session", None)
        if key is None and session is not None and session.addresses:
            key = self._highlighted()
            if key not in {a.key for a in session.assets}:
                key = None
        if key is None:
            self.notify(t("receive.pick"), timeout=5)
            return
        from tui.screens.receive import ReceiveScreen

        self.app.push_screen(ReceiveScreen(key))

    def action_send(self) -> None:
        """Send the highlighted asset (pushes tui/screens/send.py)."""
        session = getattr(self.app, "session", None)
        utxo_key = self._utxo_key()
        if utxo_key is not None:
            from tui.screens.send_utxo import SendUtxoScreen

            self.app.push_screen(SendUtxoScreen(utxo_key))
            return
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

    @work(exclusive=True, group="assets-utxo", exit_on_error=False)
    async def _load_utxo(self) -> None:
        self.utxo_view = await self.app.session.utxo_holdings()  # type: ignore[attr-defined]

    def _fill(self) -> None:
        """The EVM rows, then one row per Bitcoin/Litecoin account; the cursor stays on its
        row across refreshes."""
        table = self.query_one("#assets-table", DataTable)
        keep = self._highlighted()
        table.clear()
        for h in self.view.holdings if self.view is not None else ():
            table.add_row(
                # Text, not str: DataTable reads a str as markup, and a token's symbol and name
                # are whatever its contract says ("[/]" would close the app).
                Text(h.asset.symbol),
                Text(h.asset.name),
                Text(amount_text(h.amount, h.asset.decimals), justify="right"),
                Text("—", justify="right"),
                key=h.asset.key,
            )
        for u in self.utxo_view or ():
            if u.amount is None:
                balance = Text("—", justify="right")
            else:
                balance = Text(amount_text(u.amount, u.decimals), justify="right")
                if u.stale:
                    balance.append(" *", style="bold yellow")  # the note below says why
            from tui.screens.send_utxo import row_name

            kind = t(f"utxo.script_{u.script}")
            name = row_name(u.network_name, kind, u.account_index)
            if u.watch_only:
                name += " " + t("utxo.watch_only")
            table.add_row(Text(u.symbol), Text(name), balance, Text("—", justify="right"),
                          key=u.key)  # fmt: skip
        if keep is not None:
            for i, row in enumerate(table.ordered_rows):
                if row.key.value == keep:
                    table.move_cursor(row=i)
                    break

    def watch_utxo_view(self, holdings: tuple[UtxoHolding, ...] | None) -> None:
        if holdings is None or not self.is_mounted:
            return
        self._fill()
        lines = []
        reported: set[str] = set()
        for u in holdings:
            if u.stale and u.error is not None and u.network not in reported:
                reported.add(u.network)
                reason = user_message(u.error)
                saved = [h for h in holdings if h.network == u.network and h.amount is not None]
                lines.append(
                    t("utxo.stale", network=u.network_name, reason=reason)
                    if saved
                    else t("utxo.stale_empty", network=u.network_name, reason=reason)
                )
            elif not u.stale and u.unconfirmed:
                amount = amount_text(u.unconfirmed, u.decimals) + f" {u.symbol}"
                lines.append(t("utxo.unconfirmed", amount=amount, network=u.network_name))
        note = self.query_one("#assets-utxo-note", Static)
        note.set_class(bool(reported), "warning")
        note.update("\n".join(lines) if lines else t("utxo.hint"))

    def watch_view(self, view: PortfolioView | None) -> None:
        if view is None or not self.is_mounted:
            return
        self._fill()
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
