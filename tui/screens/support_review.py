"""The last look before a ticket leaves: exactly the text that is sent (diagnostics included),
the links that are not official, the channel and when a reply is due. Dismisses True to send,
False to go back to the form (which still holds what the user typed)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from tui.bindings import translate_bindings
from tui.i18n import t
from tui.widgets.support_channels import promise_text
from tui.widgets.support_tickets import fmt_time

if TYPE_CHECKING:
    from wallet.support.config import SupportSettings
    from wallet.support.tickets import PreparedTicket


class ReviewTicketScreen(Screen[bool]):
    CSS_PATH = "../styles/support.tcss"
    AUTO_FOCUS = "#review-body-box"
    BINDINGS = [
        Binding("ctrl+s", "send", "bind.support_send", priority=True),
        Binding("escape", "back", "bind.support_back"),
    ]

    def __init__(self, prepared: PreparedTicket, settings: SupportSettings | None = None) -> None:
        super().__init__()
        self.prepared = prepared
        self._settings = settings

    def compose(self) -> ComposeResult:
        p = self.prepared
        channel = p.draft.channel.value
        with Vertical(id="review-box"):
            yield Static(t("support.review.title"), classes="support-title")
            yield Static(t("support.never_asks"), classes="warning")
            if p.link_flags:
                flags = Text(t("support.review.flags") + "\n")
                for flag in p.link_flags:
                    flags.append("! " + t("support.phishing.flagged", link=flag.text) + "\n")
                yield Static(flags, id="review-flags", classes="warning")
            promise = promise_text(channel, self._settings) if self._settings else ""
            yield Static(
                Text(
                    t(
                        "support.cli.reply_due",
                        channel=t(f"support.channel.{channel}"),
                        promise=promise,
                        due=fmt_time(p.reply_due_at),
                    )
                ),
                id="review-due",
            )
            yield Static(t("support.cli.preview"), classes="support-label")
            with VerticalScroll(id="review-body-box"):
                yield Static(Text(p.body), id="review-body")
        yield Footer()

    def on_mount(self) -> None:
        translate_bindings(self)
        self.watch(self.app, "language", self._language_changed, init=False)

    async def _language_changed(self, _: str) -> None:
        translate_bindings(self)
        await self.recompose()
        self.refresh_bindings()

    def action_send(self) -> None:
        self.dismiss(True)

    def action_back(self) -> None:
        self.dismiss(False)
