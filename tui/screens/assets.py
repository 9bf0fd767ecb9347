"""Assets: what the wallet holds. The EVM network's assets are read from its node in one
batched request per refresh; Bitcoin and Litecoin accounts (one row each) from their servers in
a worker of their own, so a slow or absent server never holds up the other rows."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult, SystemCommand
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
    from wallet.prices import PriceView
    from wallet.session import SessionStatus
    from wallet.utxo_portfolio import UtxoHolding


DEFAULT_REFRESH_SECONDS = 30  # wallet.settings' refresh_seconds, for services without one


class AssetsScreen(MainScreen):
    name_key = "assets"
    BINDINGS = [
        Binding("ctrl+r", "refresh", "bind.refresh"),
        Binding("s", "send", "bind.send_open"),
        Binding("r", "receive", "bind.utxo_receive"),
        Binding("c", "coins", "bind.coins_open"),
        Binding("h", "app.connect_device", "bind.device_connect"),
    ]

    view: reactive[PortfolioView | None] = reactive(None, recompose=False)
    utxo_view: reactive[tuple[UtxoHolding, ...] | None] = reactive(None, recompose=False)
    price_view: reactive[PriceView | None] = reactive(None, recompose=False)
    _prices_after_balances = False  # action_refresh: prices wait for the first balances
    _utxo_after_balances = False  # the demo's Litecoin rows too (action_refresh says why)

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
        if getattr(session, "prices", None) is not None:
            if session.addresses and self.view is None:
                # The first balances come first: the demo's prices read its pools (and
                # import the ABI codec) on this event loop, which held the balances back.
                self._prices_after_balances = True
            else:
                self._load_prices()
        if utxo:
            names = ", ".join(n.name for n in utxo.networks.values())
            note = self.query_one("#assets-utxo-note", Static)
            note.display = True
            note.update(t("utxo.loading", networks=names))
            if getattr(session, "demo", False) and session.addresses and self.view is None:
                # The demo's devnet answers in milliseconds, and its Litecoin sync (key
                # derivation, parsing, on this loop) held its first balances back: after them.
                # A user's own Electrum server is slower than their EVM node: both at once.
                self._utxo_after_balances = True
            else:
                self._load_utxo()
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "coins":  # only wallets with Bitcoin/Litecoin accounts
            return bool(getattr(getattr(self.app, "session", None), "utxo", None))
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

    def palette_commands(self) -> Iterable[SystemCommand]:
        """Coin control in the command palette, for wallets with Bitcoin/Litecoin accounts
        (TermwalletApp.get_system_commands)."""
        if self.check_action("coins", ()):
            yield SystemCommand(t("coins.palette"), t("coins.palette_help"), self.action_coins)

    def action_coins(self) -> None:
        """Coin control on the highlighted Bitcoin/Litecoin account (tui/screens/coins.py)."""
        key = self._utxo_key()
        if key is None:
            self.notify(t("coins.pick_account"), timeout=5)
            return
        from tui.screens.coins import CoinsScreen

        self.app.push_screen(CoinsScreen(key))

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
        try:
            self.view = await self.app.session.portfolio()  # type: ignore[attr-defined]
        finally:  # read, failed or replaced by a newer read: the rest may go now
            # After the balances are on the terminal: started at once, their first steps
            # (on this event loop) held back the repaint that draws them (about 0.2 s).
            self.call_after_refresh(self._load_after_balances)

    def _load_after_balances(self) -> None:
        if self._prices_after_balances:
            self._prices_after_balances = False
            self._load_prices()
        if self._utxo_after_balances:
            self._utxo_after_balances = False
            self._load_utxo()

    @work(exclusive=True, group="assets-prices", exit_on_error=False)
    async def _load_prices(self) -> None:
        self.price_view = await self.app.session.price_view()  # type: ignore[attr-defined]

    def watch_price_view(self, view: PriceView | None) -> None:
        if view is None or not self.is_mounted:
            return
        self._fill()
        self._show_prices()

    def _price_symbol(self, asset: Any) -> str | None:
        session = getattr(self.app, "session", None)
        pick = getattr(session, "price_symbol", None)
        return pick(asset) if pick is not None else None

    def _value(self, symbol: str | None, amount: int | None, decimals: int) -> Text:
        """The Value cell: the fiat value, '*' when the price is the last known one (the
        footer says how old), '—' without a price or a balance."""
        from wallet.prices import fiat_text

        view = self.price_view
        value = (
            None
            if view is None or amount is None or symbol is None
            else view.value_of(symbol, amount, decimals)
        )
        if value is None:
            return Text("—", justify="right")
        cell = Text(fiat_text(value, view.currency), justify="right")  # type: ignore[union-attr]
        if not view.quotes[symbol].fresh:  # type: ignore[union-attr]
            cell.append(" *", style="bold yellow")
        return cell

    def _show_prices(self) -> None:
        """The footer's price line: the total, where the prices come from and how old."""
        from wallet.prices import age_text, fiat_text

        view = self.price_view
        footer = self.query_one("#assets-footer", Static)
        session = getattr(self.app, "session", None)
        lines = []
        if session is not None and session.addresses:
            lines.append(t("assets.account", address=session.addresses[0]))
        if view is None:
            off = session is not None and getattr(session, "prices", None) is None
            lines.append(t("prices.off") if off else t("prices.loading"))
        elif not view.quotes:
            reason = user_message(view.errors[0]) if view.errors else t("prices.not_listed")
            lines.append(t("prices.none", reason=reason))
        else:
            rows = [
                (self._price_symbol(h.asset), h.amount, h.asset.decimals)
                for h in (self.view.holdings if self.view is not None else ())
            ]
            rows += [(u.symbol, u.amount, u.decimals) for u in self.utxo_view or ()
                     if not self._utxo_testnet(u.network)]  # fmt: skip
            total, complete = view.total(rows)
            key = "prices.total" if complete else "prices.total_partial"
            lines.append(t(key, total=fiat_text(total, view.currency)))
            stale = [q for q in view.quotes.values() if not q.fresh]
            if view.demo:
                lines.append(t("prices.demo"))
            elif stale:
                oldest = min(stale, key=lambda q: q.as_of)
                lines.append(t("prices.stale", age=age_text(oldest.age())))
            else:
                sources = ", ".join(sorted({q.source for q in view.quotes.values()}))
                lines.append(t("prices.source", source=sources))
        footer.update(Text("\n".join(lines)))

    def _utxo_testnet(self, network: str) -> bool:
        utxo = getattr(getattr(self.app, "session", None), "utxo", None)
        net = utxo.networks.get(network) if utxo else None
        return bool(net is None or net.testnet)

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
                self._value(self._price_symbol(h.asset), h.amount, h.asset.decimals),
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
            value = (
                Text("—", justify="right")
                if self._utxo_testnet(u.network)
                else self._value(u.symbol, u.amount, u.decimals)
            )
            table.add_row(Text(u.symbol), Text(name), balance, value, key=u.key)
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
        utxo = getattr(getattr(self.app, "session", None), "utxo", None)
        if utxo:
            # A server skipped for a changed certificate while another one answered: the
            # rows are current, but the user must still hear of it (once).
            # By what it says, not by object: the row's error and the refusal kept by the
            # backend can be two exceptions about the one certificate.
            shown = {user_message(u.error) for u in holdings if u.error is not None}
            for exc in utxo.refused():
                if user_message(exc) not in shown:
                    shown.add(user_message(exc))
                    reported.add(str(getattr(exc, "url", "")))
                    lines.append(user_message(exc))
            if not lines:
                lines.append(t("utxo.hint"))
            sources = utxo.sources()
            if sources:
                where = ", ".join(f"{name} {host}" for name, host in sources.items())
                lines.append(t("utxo.sources", sources=where))
        self._show_prices()  # the total counts these rows too
        note = self.query_one("#assets-utxo-note", Static)
        note.set_class(bool(reported), "warning")
        # Text: hosts come from the settings and messages from servers (no markup from them).
        note.update(Text("\n".join(lines) if lines else t("utxo.hint")))

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
            source = getattr(getattr(self.app, "session", None), "evm_source", lambda: None)()
            note.update(
                Text(t("assets.block_from", block=view.block, source=source))
                if source
                else t("assets.block", block=view.block)
            )
        self._show_prices()
