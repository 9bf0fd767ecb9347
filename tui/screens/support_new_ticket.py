"""Writing a ticket: category, channel, subject, description, transactions from the user's own
history, and the diagnostics bundle gathered automatically.

Review runs the scrubber: a refusal says where and what kind of secret it found (never the text
itself) and leaves the form as the user typed it. A clean ticket goes to the review screen,
which shows exactly what will be sent; only after that is it stored and queued. Dismisses with
the stored Ticket, or None when cancelled.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Input, Select, SelectionList, Static, TextArea

from tui.bindings import translate_bindings
from tui.errors import ReportsFailures
from tui.i18n import t
from tui.support_text import refusal_text
from tui.widgets.field_error import FieldError
from tui.widgets.support_channels import CHANNELS, channel_ready, promise_text

if TYPE_CHECKING:
    from wallet.support.diagnostics import Diagnostics
    from wallet.support.tickets import PreparedTicket, SupportDesk, Ticket, TicketDraft

CATEGORIES = (
    "locked_out",
    "abnormal_transaction",
    "compromised",
    "fees",
    "swap",
    "device",
    "other",
)


class NewTicketScreen(ReportsFailures, Screen[Any]):
    CSS_PATH = "../styles/support.tcss"
    BINDINGS = [
        Binding("ctrl+s", "review", "bind.support_review", priority=True),
        Binding("escape", "cancel", "bind.support_cancel"),
    ]

    def __init__(
        self,
        desk: SupportDesk,
        *,
        gather: Callable[[], Awaitable[Diagnostics]],
        known_transactions: Sequence[str] = (),
        own_addresses: Sequence[str] = (),
    ) -> None:
        super().__init__()
        self.desk = desk
        self._gather = gather
        self._known = tuple(known_transactions)
        self._own = tuple(own_addresses)
        self.diagnostics: Diagnostics | None = None
        self.prepared: PreparedTicket | None = None

    def compose(self) -> ComposeResult:
        settings = self.desk.settings
        ready = [c for c in CHANNELS if channel_ready(c, settings)]
        with Vertical(id="ticket-box"):
            yield Static(t("support.form.title"), classes="support-title")
            yield Static(t("support.never_asks"), classes="warning")
            yield Static("", id="ticket-status", classes="support-status")
            with VerticalScroll(id="ticket-form"):
                with Horizontal(classes="support-row"):
                    with Vertical():
                        yield Static(t("support.form.category"), classes="support-label")
                        yield Select(
                            [(t(f"support.category.{c}"), c) for c in CATEGORIES],
                            value="other",
                            allow_blank=False,
                            compact=True,
                            id="ticket-category",
                        )
                    with Vertical():
                        yield Static(t("support.form.channel"), classes="support-label")
                        yield Select(
                            [(self._channel_label(c), c) for c in CHANNELS],
                            value=ready[0] if ready else "live",
                            allow_blank=False,
                            compact=True,
                            id="ticket-channel",
                        )
                yield FieldError(id="ticket-channel-error")
                yield Static("", id="ticket-promise", classes="muted")
                yield Static(t("support.form.subject"), classes="support-label")
                yield Input(
                    placeholder=t("support.form.subject_placeholder"),
                    max_length=150,
                    compact=True,
                    id="ticket-subject",
                )
                yield FieldError(id="ticket-subject-error")
                yield Static(t("support.form.description"), classes="support-label")
                yield TextArea(compact=True, id="ticket-description")
                yield FieldError(id="ticket-description-error")
                yield Static(t("support.form.transactions"), classes="support-label")
                if self._known:
                    yield SelectionList[str](
                        *((h, h) for h in self._known), compact=True, id="ticket-transactions"
                    )
                else:
                    yield Static(t("support.form.no_transactions"), classes="muted")
                yield Static(t("support.form.diagnostics"), classes="support-label")
                yield Static(t("support.form.gathering"), id="ticket-diagnostics", classes="muted")
        yield Footer()

    def _channel_label(self, channel: str) -> str:
        label = t(f"support.channel.{channel}")
        if not channel_ready(channel, self.desk.settings):
            label += f" ({t('support.screen.not_set_up')})"
        return label

    def on_mount(self) -> None:
        translate_bindings(self)
        self._show_promise()
        self.query_one("#ticket-subject", Input).focus()
        self._gather_diagnostics()
        self.watch(self.app, "language", self._language_changed, init=False)

    async def _language_changed(self, _: str) -> None:
        """Redraw in the new language, keeping everything the user entered."""
        kept = self._entered()
        translate_bindings(self)
        await self.recompose()
        self._restore(kept)
        self.refresh_bindings()

    def _entered(self) -> dict[str, Any]:
        kept: dict[str, Any] = {
            "category": self.query_one("#ticket-category", Select).value,
            "channel": self.query_one("#ticket-channel", Select).value,
            "subject": self.query_one("#ticket-subject", Input).value,
            "description": self.query_one("#ticket-description", TextArea).text,
        }
        if self._known:
            kept["transactions"] = self.query_one("#ticket-transactions", SelectionList).selected
        return kept

    def _restore(self, kept: dict[str, Any]) -> None:
        self.query_one("#ticket-category", Select).value = kept["category"]
        self.query_one("#ticket-channel", Select).value = kept["channel"]
        self.query_one("#ticket-subject", Input).value = kept["subject"]
        self.query_one("#ticket-description", TextArea).text = kept["description"]
        for h in kept.get("transactions", ()):
            self.query_one("#ticket-transactions", SelectionList).select(h)
        self._show_promise()
        if self.diagnostics is not None:
            self.query_one("#ticket-diagnostics", Static).update(Text(self.diagnostics.render()))
        self.query_one("#ticket-subject", Input).focus()

    @work(exclusive=True, group="support-diagnostics", exit_on_error=False)
    async def _gather_diagnostics(self) -> None:
        self.diagnostics = await self._gather()
        box = self.query_one("#ticket-diagnostics", Static)
        box.update(Text(self.diagnostics.render()))

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "ticket-channel":
            self._show_promise()

    def _show_promise(self) -> None:
        channel = str(self.query_one("#ticket-channel", Select).value)
        promise = self.query_one("#ticket-promise", Static)
        if channel_ready(channel, self.desk.settings):
            promise.update(
                Text(
                    t("support.short.reply_times") + " " + promise_text(channel, self.desk.settings)
                )
            )
        else:  # no reply time is promised by a channel that cannot send
            promise.update(
                Text(t("support.form.not_set_up", channel=t(f"support.channel.{channel}")))
            )

    def _field_error(self, field: str, text: str) -> None:
        """`text` under the field it concerns (the status line above the form is far from a
        field further down), scrolled into view, the field focused."""
        self._status("")
        self.query_one(f"#{field}-error", FieldError).show(text)
        self.query_one(f"#{field}").focus(scroll_visible=False)

    def _status(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#ticket-status", Static)
        status.update(Text(text))
        status.set_class(error, "error")

    # -- review ----------------------------------------------------------------------------

    def _draft(self) -> TicketDraft | None:
        from pydantic import ValidationError

        from wallet.support.channels import Channel
        from wallet.support.tickets import Category, TicketDraft

        subject = self.query_one("#ticket-subject", Input).value
        description = self.query_one("#ticket-description", TextArea).text
        channel = str(self.query_one("#ticket-channel", Select).value)
        if not subject.strip():
            self._field_error("ticket-subject", t("support.form.missing_subject"))
            return None
        if not description.strip():
            self._field_error("ticket-description", t("support.form.missing_description"))
            return None
        if not channel_ready(channel, self.desk.settings):
            self._field_error(
                "ticket-channel",
                t("support.form.not_set_up", channel=t(f"support.channel.{channel}")),
            )
            return None
        chosen: tuple[str, ...] = ()
        if self._known:
            chosen = tuple(self.query_one("#ticket-transactions", SelectionList).selected)
        try:
            return TicketDraft(
                category=Category(str(self.query_one("#ticket-category", Select).value)),
                subject=subject,
                description=description,
                transactions=chosen,
                channel=Channel(channel),
            )
        except ValidationError as exc:
            first = exc.errors()[0]
            name = str(first["loc"][0]) if first["loc"] else "ticket"
            # pydantic's own message names only the rule broken (length, format), never the
            # value: safe to show.
            self._status(
                t("support.form.invalid", field=t(f"support.field.{name}"), reason=first["msg"]),
                error=True,
            )
            return None

    def action_review(self) -> None:
        for line in self.query(FieldError):
            line.clear()
        self._status(t("support.form.checking"))
        self._check_and_prepare()

    @work(exclusive=True, group="support-prepare", exit_on_error=False)
    async def _check_and_prepare(self) -> None:
        from tui.screens.support_review import ReviewTicketScreen
        from wallet.support.scrubber import SecretRefused

        typed = {
            "subject": self.query_one("#ticket-subject", Input).value,
            "description": self.query_one("#ticket-description", TextArea).text,
        }
        try:
            # The secret check first, whatever else is wrong with the form: a pasted phrase is
            # flagged at once, not after the user has fixed the channel or the subject. A
            # thread: the scrubber's Chinese-phrase check scores every window of long text.
            await asyncio.to_thread(
                self.desk.refuse_secrets,
                typed,
                known_tx_hashes=self._known,
                own_addresses=self._own,
            )
            draft = self._draft()
            if draft is None:
                return
            if self.diagnostics is None:
                self._status(t("support.form.not_ready"), error=True)
                return
            prepared = await asyncio.to_thread(
                self.desk.prepare,
                draft,
                self.diagnostics,
                known_tx_hashes=self._known,
                own_addresses=self._own,
            )
        except SecretRefused as exc:
            first = exc.findings[0].field if exc.findings else "description"
            self._status("")
            self._field_error(
                "ticket-subject" if first == "subject" else "ticket-description", refusal_text(exc)
            )
            return
        self._status("")
        self.prepared = prepared
        self.app.push_screen(ReviewTicketScreen(prepared, self.desk.settings), self._reviewed)

    def _reviewed(self, send: bool | None) -> None:
        if send and self.prepared is not None:
            self._submit(self.prepared)

    @work(exclusive=True, group="support-submit", exit_on_error=False)
    async def _submit(self, prepared: PreparedTicket) -> None:
        # On the app's thread: submit holds a transaction on the shared connection.
        ticket: Ticket = self.desk.submit(prepared)
        self.dismiss(ticket)

    def action_cancel(self) -> None:
        self.dismiss(None)
