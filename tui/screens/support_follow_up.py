"""A follow-up on a ticket. The desk scrubs it like the ticket itself; a refusal keeps the text
and says what kind of secret is where. Dismisses True once the follow-up is queued (the caller
sends it), None when cancelled."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Static, TextArea

from tui.bindings import translate_bindings
from tui.errors import user_message
from tui.i18n import t
from tui.support_text import refusal_text

if TYPE_CHECKING:
    from wallet.support.tickets import SupportDesk


class FollowUpScreen(ModalScreen[bool]):
    CSS_PATH = "../styles/support.tcss"
    BINDINGS = [
        Binding("ctrl+s", "send", "bind.support_send", priority=True),
        Binding("escape", "cancel", "bind.support_cancel"),
    ]

    def __init__(self, desk: SupportDesk, reference: str) -> None:
        super().__init__()
        self.desk = desk
        self.reference = reference

    def compose(self) -> ComposeResult:
        with Vertical(id="follow-up-box"):
            yield Static(
                t("support.follow_up.title", reference=self.reference), classes="support-title"
            )
            yield Static(t("support.follow_up.hint"), classes="muted")
            yield TextArea(compact=True, id="follow-up-text")
            yield Static("", id="follow-up-status", classes="support-status")
        yield Footer()

    def on_mount(self) -> None:
        translate_bindings(self)
        self.query_one("#follow-up-text", TextArea).focus()
        self.watch(self.app, "language", self._language_changed, init=False)

    async def _language_changed(self, _: str) -> None:
        text = self.query_one("#follow-up-text", TextArea).text
        translate_bindings(self)
        await self.recompose()
        self.query_one("#follow-up-text", TextArea).text = text
        self.query_one("#follow-up-text", TextArea).focus()
        self.refresh_bindings()

    def _status(self, text: str) -> None:
        status = self.query_one("#follow-up-status", Static)
        status.update(Text(text))
        status.set_class(bool(text), "error")

    def action_send(self) -> None:
        from wallet.support.errors import SupportError
        from wallet.support.scrubber import SecretRefused

        text = self.query_one("#follow-up-text", TextArea).text
        if not text.strip():
            self._status(t("support.follow_up.missing"))
            return
        try:
            # Scrubs a few lines and writes one outbox row: quick enough for the app's thread,
            # which is also the one the store's transactions belong to.
            self.desk.follow_up(self.reference, text)
        except SecretRefused as exc:
            self._status(refusal_text(exc))
            return
        except SupportError as exc:
            self._status(user_message(exc))
            return
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(None)
