"""One ticket: its details, when a reply is due (overdue stands out), and support's replies,
fetched from the channel in a worker. A follow-up can be sent from here."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer, Static

from tui.bindings import translate_bindings
from tui.errors import ReportsFailures, user_message
from tui.i18n import t
from tui.widgets.support_tickets import OVERDUE_STYLE, fmt_time

if TYPE_CHECKING:
    from wallet.support.tickets import DeliveryReport, SupportDesk, Ticket


class TicketScreen(ReportsFailures, Screen[None]):
    CSS_PATH = "../styles/support.tcss"
    AUTO_FOCUS = "#ticket-detail"
    BINDINGS = [
        Binding("escape", "back", "bind.support_back"),
        Binding("f", "follow_up", "bind.support_follow_up"),
        Binding("ctrl+r", "refresh", "bind.support_refresh"),
    ]

    ticket: reactive[Ticket | None] = reactive(None, init=False)

    def __init__(
        self,
        desk: SupportDesk,
        reference: str,
        deliver: Callable[[int | None], Awaitable[DeliveryReport]],
    ) -> None:
        super().__init__()
        self.desk = desk
        self.reference = reference
        self._deliver = deliver

    def compose(self) -> ComposeResult:
        with Vertical(id="detail-box"):
            yield Static(
                t("support.detail.title", reference=self.reference), classes="support-title"
            )
            yield Static("", id="detail-status", classes="support-status")
            with VerticalScroll(id="ticket-detail"):
                yield Static(id="detail-head")
                yield Static(id="detail-description")
                yield Static(t("support.cli.replies"), classes="support-label")
                yield Static(id="detail-replies")
        yield Footer()

    def on_mount(self) -> None:
        translate_bindings(self)
        self.ticket = self.desk.get(self.reference)
        self.action_refresh()
        self.watch(self.app, "language", self._language_changed, init=False)

    async def _language_changed(self, _: str) -> None:
        translate_bindings(self)
        await self.recompose()
        self.watch_ticket(self.ticket)
        self.refresh_bindings()

    def action_refresh(self) -> None:
        self._refresh(send_first=False)

    @work(exclusive=True, group="support-ticket", exit_on_error=False)
    async def _refresh(self, *, send_first: bool) -> None:
        from wallet.support.errors import SupportError

        assert self.ticket is not None
        status = self.query_one("#detail-status", Static)
        if send_first:
            await self._deliver(self.ticket.id)
            self.ticket = self.desk.get(self.reference)
        if self.ticket.remote_id is None:
            return
        status.update(t("support.detail.fetching"))
        status.set_class(False, "error")
        try:
            self.ticket = await self.desk.refresh(self.reference)
        except SupportError as exc:
            status.update(Text(t("support.cli.refresh_failed", error=user_message(exc))))
            status.set_class(True, "error")
            return
        status.update("")

    def watch_ticket(self, ticket: Ticket | None) -> None:
        if ticket is None:
            return
        now = self.desk.now()
        overdue = ticket.overdue(now)
        head = Text()
        head.append(f"{t('support.detail.subject')}: ", style="bold")
        head.append(ticket.subject + "\n")
        head.append(f"{t('support.detail.category')}: ", style="bold")
        head.append(t(f"support.category.{ticket.category.value}") + "\n")
        head.append(f"{t('support.cli.col_status')}: ", style="bold")
        head.append(t(f"support.status.{ticket.status.value}") + "   ")
        head.append(f"{t('support.cli.col_channel')}: ", style="bold")
        head.append(t(f"support.channel.{ticket.channel.value}") + "\n")
        head.append(f"{t('support.cli.col_submitted')}: ", style="bold")
        head.append(fmt_time(ticket.submitted_at) + "\n")
        head.append(f"{t('support.cli.col_due')}: ", style="bold")
        head.append(fmt_time(ticket.reply_due_at), style=OVERDUE_STYLE if overdue else "")
        if overdue:
            head.append(f" {t('support.cli.overdue')}\n", style=OVERDUE_STYLE)
            head.append(t("support.detail.overdue"), style=OVERDUE_STYLE)
        if ticket.last_error:
            head.append("\n" + t("support.detail.error", error=ticket.last_error))
        self.query_one("#detail-head", Static).update(head)
        self.query_one("#detail-description", Static).update(Text("\n" + ticket.description))
        replies = Text()
        agent = [r for r in ticket.replies if not r.from_requester]
        for r in agent:
            replies.append(f"[{fmt_time(r.created_at)}] {r.author}:\n", style="bold")
            replies.append(r.body.rstrip() + "\n\n")
        if not agent:
            key = "replies_elsewhere" if ticket.channel.value == "email" else "no_replies"
            replies.append(t(f"support.cli.{key}"), style="dim")
        if ticket.followed_up_at is not None:
            replies.append(
                "\n"
                + t("support.screen.follow_up_sent", reference=ticket.reference)
                + f" ({fmt_time(ticket.followed_up_at)})",
                style="dim",
            )
        self.query_one("#detail-replies", Static).update(replies)
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "follow_up":
            from wallet.support.tickets import Status

            return self.ticket is not None and self.ticket.status not in (
                Status.FAILED,
                Status.CLOSED,
            )
        return True

    def action_follow_up(self) -> None:
        from tui.screens.support_follow_up import FollowUpScreen

        def queued(ok: Any) -> None:
            if ok:
                self._refresh(send_first=True)

        self.app.push_screen(FollowUpScreen(self.desk, self.reference), queued)

    def action_back(self) -> None:
        self.dismiss(None)
