"""What the four main screens share: header, tab row, footer, redraw on language change."""

from __future__ import annotations

from contextlib import suppress

from textual.app import ComposeResult
from textual.binding import Binding
from textual.dom import NoActiveAppError
from textual.screen import Screen

from tui.bindings import translate_bindings
from tui.errors import ReportsFailures
from tui.widgets.footer import WalletFooter
from tui.widgets.nav import NavTabs
from tui.widgets.wallet_header import WalletHeader


class MainScreen(ReportsFailures, Screen[None]):
    name_key = ""  # 'assets', 'history', ...
    # escape leaves a text field, so 1-4 switch screens again (in a field they are typing).
    BINDINGS = [Binding("escape", "leave_field", "bind.leave_field", show=False)]

    def __init__(self) -> None:
        super().__init__()
        # Before the first compose: the footer then draws the texts once, not keys then texts.
        translate_bindings(self)
        # Textual restyles the whole app twice when a mode's screen first shows, because a new
        # Screen starts with _css_update_count = -1 ("styled by an older stylesheet"). This
        # one is styled at mount by the current stylesheet, so it is up to date; saying so
        # takes ~90 ms off the first visit to History (bench/history.py). Textual's own word
        # on that refresh: "could be improved upon in future, by avoiding a CSS refresh when
        # not strictly required" (Textualize/textual#5211). A private attribute, like
        # _bindings in tui/bindings.py: tests/tui/test_app.py fails if it stops working.
        with suppress(NoActiveAppError):
            self._css_update_count = self.app._css_update_count

    def compose(self) -> ComposeResult:
        yield WalletHeader()
        yield NavTabs(self.name_key)
        yield from self.compose_body()
        yield WalletFooter()

    def compose_body(self) -> ComposeResult:
        raise NotImplementedError

    def on_mount(self) -> None:
        self.watch(self.app, "language", self._language_changed, init=False)

    def action_leave_field(self) -> None:
        self.set_focus(None)

    async def _language_changed(self, _: str) -> None:
        translate_bindings(self)
        await self.recompose()
        self.refresh_bindings()
