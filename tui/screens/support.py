"""Support: the anti-phishing warning and the official channels (always shown), the searchable
FAQ, and the user's tickets (write, follow, follow up).

The FAQ needs nothing but the catalog. Tickets need the wallet's store: the SupportDesk is built
in a worker once the session is open. Everything that talks to a helpdesk or mail server runs
in a worker; deliveries are serialised (see `deliver`) so one outbox item never goes out twice.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import DataTable, Static, TabbedContent, TabPane

from tui.errors import error_code
from tui.i18n import t, tn
from tui.screens.base import MainScreen
from tui.widgets.support_channels import SupportChannels
from tui.widgets.support_faq import FaqBrowser
from tui.widgets.support_tickets import TicketTable, fmt_time

if TYPE_CHECKING:
    from devices.base import DeviceInfo
    from wallet.session import SessionStatus, WalletSession
    from wallet.support.config import SupportSettings
    from wallet.support.diagnostics import Diagnostics
    from wallet.support.tickets import DeliveryReport, SupportDesk, Ticket

HEALTH_TIMEOUT_SECONDS = 5.0


def support_settings_for(app: App[Any]) -> SupportSettings:
    """The running app's support settings: `Settings.support` when the app or its services
    hold Settings, else the [support] table of the config file (what `support_settings` does
    for a Settings without a `support` field). Secrets from TERMWALLET_SUPPORT__* apply. The
    demo's session carries the settings of its own local helpdesk.
    Reads a file: call it from a worker thread."""
    from wallet.support.config import support_settings

    # The demo brings its own local helpdesk and mail sink (wallet/demo_support.py).
    demo_support = getattr(getattr(app, "session", None), "support", None)
    if demo_support is not None:
        return demo_support.settings
    services = getattr(app, "services", None)
    settings = getattr(app, "settings", None) or getattr(services, "settings", None)
    paths = getattr(services, "paths", None)
    return support_settings(settings, config_file=getattr(paths, "config_file", None))


def signer_info(status: SessionStatus | None) -> DeviceInfo | None:
    """What the diagnostics may say about the signer. The session names it by a word
    ('software', a device model, 'watch_only', 'no_wallet'); a watch-only or empty wallet has
    no signer to report."""
    from devices.base import DeviceInfo, SignerKind

    if status is None or status.signer in ("no_wallet", "watch_only"):
        return None
    if status.signer == "software":
        return DeviceInfo(kind=SignerKind.EMULATOR, model="software signer")
    name = status.signer.lower()
    kind = next(
        (k for k in (SignerKind.TREZOR, SignerKind.LEDGER) if k.value in name), SignerKind.HWI
    )
    return DeviceInfo(kind=kind, model=status.signer)


def known_transactions(session: WalletSession | None) -> tuple[str, ...]:
    """Hashes of the user's own transactions from the history, the only ones a ticket may
    attach (a 64-hex string typed by hand could as well be a private key)."""
    if session is None:
        return ()
    from wallet.history.store import HistoryStore

    return tuple(HistoryStore(session.store).tx_hashes(session.network.id))


async def gather_diagnostics(app: App[Any]) -> Diagnostics:
    """The diagnostics bundle from what the app knows: version, signer, the network's health
    (one block-number probe), recent error codes and the terminal size."""
    from importlib.metadata import PackageNotFoundError, version

    from wallet.support.diagnostics import NetworkHealth, gather

    def app_version() -> str:
        try:
            return version("termwallet")
        except PackageNotFoundError:
            return "unknown"

    session: WalletSession | None = getattr(app, "session", None)
    networks: list[NetworkHealth] = []
    if session is not None:
        try:
            block = await asyncio.wait_for(session.backend.block_number(), HEALTH_TIMEOUT_SECONDS)
            networks.append(
                NetworkHealth(network=session.network.id, healthy=True, detail=f"block {block}")
            )
        except Exception as exc:
            # The code or class only: an exception's text may quote a URL with a key in it.
            detail = error_code(exc) or type(exc).__name__
            networks.append(NetworkHealth(network=session.network.id, healthy=False, detail=detail))
    return gather(
        app_version=await asyncio.to_thread(app_version),
        signer=signer_info(session.status if session is not None else None),
        networks=networks,
        error_codes=list(getattr(app, "recent_errors", ())),
        terminal_size=(app.size.width, app.size.height),
    )


@dataclass(frozen=True)
class TicketsView:
    tickets: tuple[Ticket, ...]
    now: datetime


class SupportScreen(MainScreen):
    name_key = "support"
    CSS_PATH = "../styles/support.tcss"
    # Not the search box: digits and letters typed there would not reach the app's 1-4 keys.
    AUTO_FOCUS = "#faq-list"
    BINDINGS = [
        Binding("n", "new_ticket", "bind.support_new"),
        Binding("slash", "search", "bind.support_search"),
        Binding("t", "show_tickets", "bind.support_tickets"),
        Binding("f", "follow_up", "bind.support_follow_up"),
        Binding("ctrl+r", "refresh", "bind.support_refresh"),
    ]

    tickets: reactive[TicketsView | None] = reactive(None, init=False)
    settings: reactive[SupportSettings | None] = reactive(None, init=False)

    def __init__(self) -> None:
        super().__init__()
        self.desk: SupportDesk | None = None
        self._deliver_lock = asyncio.Lock()
        self._note: str | None = None  # the last outcome shown above the ticket list
        self._focus_tickets = False

    def compose_body(self) -> ComposeResult:
        with Vertical(id="support-body", classes="body"):
            yield Static(t("support.never_asks"), id="support-warning", classes="warning")
            yield SupportChannels(self.settings, id="support-channels")
            with TabbedContent(id="support-tabs"):
                with TabPane(t("support.screen.faq"), id="support-faq"):
                    yield FaqBrowser(self.settings, id="faq")
                with TabPane(t("support.screen.tickets"), id="support-tickets"):
                    yield Static(
                        t("support.screen.tickets_waiting"), id="tickets-note", classes="muted"
                    )
                    yield TicketTable(id="tickets-table")

    def on_mount(self) -> None:
        super().on_mount()
        self._load_settings()
        self.watch(self.app, "status", self._status_changed, init=True)
        # A ticket turns overdue while the screen is open: re-check the clock now and then.
        self.set_interval(60, self._reload)

    async def _language_changed(self, language: str) -> None:
        await super()._language_changed(language)
        self._redraw()

    def _redraw(self) -> None:
        if self.settings is not None:
            self.watch_settings(self.settings)
        if self.tickets is not None:
            self.watch_tickets(self.tickets)

    # -- settings and the desk -------------------------------------------------------------

    @work(exclusive=True, group="support-settings", exit_on_error=False)
    async def _load_settings(self) -> None:
        self.settings = await asyncio.to_thread(support_settings_for, self.app)

    def watch_settings(self, settings: SupportSettings | None) -> None:
        if settings is None or not self.is_mounted:
            return
        self.query_one(SupportChannels).show(settings)
        self.query_one(FaqBrowser).load(settings)

    def _status_changed(self, status: SessionStatus | None) -> None:
        if status is not None and self.desk is None:
            self._open_desk()

    @work(exclusive=True, group="support-desk", exit_on_error=False)
    async def _open_desk(self) -> None:
        from wallet.support.tickets import desk_for

        session = getattr(self.app, "session", None)
        if session is None:
            return
        # Settings are complete only once the session opened (the user's file is read then).
        settings = await asyncio.to_thread(support_settings_for, self.app)
        self.settings = settings
        self.desk = desk_for(session, settings)
        self._reload()
        if self.desk.outbox.pending():
            # Tickets written while offline, or follow-ups that waited: send them now.
            await self.deliver()
            self._reload()

    async def deliver(self, ticket_id: int | None = None) -> DeliveryReport:
        """Send what is due in the outbox. One delivery at a time: two running together would
        both pick the same item and send it twice."""
        assert self.desk is not None
        async with self._deliver_lock:
            return await self.desk.deliver(only_ticket=ticket_id)

    # -- the ticket list -------------------------------------------------------------------

    def _reload(self) -> None:
        if self.desk is not None:
            self.tickets = TicketsView(tuple(self.desk.list()), self.desk.now())

    def watch_tickets(self, view: TicketsView | None) -> None:
        if view is None or not self.is_mounted:
            return
        table = self.query_one(TicketTable)
        table.show(view.tickets, view.now)
        note = self.query_one("#tickets-note", Static)
        lines = [self._note] if self._note else []
        if not view.tickets:
            lines.append(t("support.screen.tickets_none"))
        elif table.overdue:
            lines.append(
                tn("support.screen.overdue_hint", len(table.overdue), count=len(table.overdue))
            )
        note.update(Text("\n".join(lines)))
        note.set_class(bool(table.overdue), "warning")
        note.set_class(not table.overdue, "muted")
        table.display = bool(view.tickets)
        if self._focus_tickets and view.tickets:
            self._focus_tickets = False
            self.call_after_refresh(table.focus)
        self.refresh_bindings()

    @on(DataTable.RowHighlighted, "#tickets-table")
    def _row_highlighted(self) -> None:
        self.refresh_bindings()

    @on(DataTable.RowSelected, "#tickets-table")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        from tui.screens.support_ticket import TicketScreen

        if self.desk is None or event.row_key.value is None:
            return
        self.app.push_screen(
            TicketScreen(self.desk, event.row_key.value, self.deliver),
            lambda _: self._reload(),
        )

    def _highlighted_overdue(self) -> str | None:
        table = self.query_one(TicketTable)
        ref = table.highlighted_reference()
        if self.query_one(TabbedContent).active != "support-tickets":
            return None
        return ref if ref in table.overdue else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "follow_up":
            try:
                return self._highlighted_overdue() is not None
            except Exception:
                return False
        return True

    @on(TabbedContent.TabActivated)
    def _tab_changed(self) -> None:
        self.refresh_bindings()

    # -- actions ---------------------------------------------------------------------------

    def _show_tab(self, pane: str, focus: Widget) -> None:
        tabs = self.query_one(TabbedContent)
        if tabs.active == pane:
            focus.focus()
            return
        # Let go of the focus before its tab hides, or Textual hands it to a neighbour of the
        # hidden widget after the next layout, taking it from `focus`.
        self.set_focus(None)
        tabs.active = pane
        self.call_after_refresh(focus.focus)

    def action_search(self) -> None:
        self._show_tab("support-faq", self.query_one("#faq-search"))

    def action_show_tickets(self) -> None:
        self._show_tab("support-tickets", self.query_one(TicketTable))
        if self.desk is None:
            self.notify(t("support.screen.no_session"), timeout=5)

    def action_refresh(self) -> None:
        if self.desk is not None:
            self._send(None, None)

    def action_new_ticket(self) -> None:
        from tui.screens.support_new_ticket import NewTicketScreen

        if self.desk is None:
            self.notify(t("support.screen.no_session"), timeout=5)
            return
        session = getattr(self.app, "session", None)
        self.app.push_screen(
            NewTicketScreen(
                self.desk,
                gather=lambda: gather_diagnostics(self.app),
                known_transactions=known_transactions(session),
                # A pasted key that derives one of these is refused however it is written.
                own_addresses=tuple(getattr(session, "addresses", ()) or ()),
            ),
            self._ticket_written,
        )

    def _ticket_written(self, ticket: Ticket | None) -> None:
        if ticket is None:
            return
        # As in _show_tab; the list gets the focus once it is drawn (hidden while empty).
        self.set_focus(None)
        self.query_one(TabbedContent).active = "support-tickets"
        self._focus_tickets = True
        self._reload()
        self._send(ticket.id, ticket.reference)

    def action_follow_up(self) -> None:
        from tui.screens.support_follow_up import FollowUpScreen

        ref = self._highlighted_overdue()
        if ref is None or self.desk is None:
            return
        ticket = self.desk.get(ref)

        def queued(ok: bool | None) -> None:
            if ok:
                self._send(ticket.id, ref, follow_up=True)

        self.app.push_screen(FollowUpScreen(self.desk, ref), queued)

    @work(group="support-send", exit_on_error=False)
    async def _send(
        self, ticket_id: int | None, reference: str | None, *, follow_up: bool = False
    ) -> None:
        """Deliver (one ticket's items, or everything due), then say what happened."""
        assert self.desk is not None
        report = await self.deliver(ticket_id)
        if reference is None:
            self._reload()
            return
        ticket = self.desk.get(reference)
        channel = t(f"support.channel.{ticket.channel.value}")
        due = fmt_time(ticket.reply_due_at)
        if follow_up:
            key = "follow_up_sent" if reference in report.sent else "follow_up_queued"
            message, severity = t(f"support.screen.{key}", reference=reference), "information"
        elif reference in report.sent:
            message = t("support.screen.sent", reference=reference, channel=channel, due=due)
            severity = "information"
        elif reference in report.retry:
            message = t(
                "support.screen.queued",
                reference=reference,
                channel=channel,
                due=due,
                error=ticket.last_error or "-",
            )
            severity = "warning"
        else:
            message = t("support.cli.failed", reference=reference, error=ticket.last_error or "-")
            severity = "error"
        self._note = message
        self._reload()
        self.notify(message, severity=severity, timeout=10, markup=False)  # type: ignore[arg-type]
