"""What the four main screens share: header, tab row, footer, redraw on language change."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer

from tui.bindings import translate_bindings
from tui.widgets.nav import NavTabs
from tui.widgets.wallet_header import WalletHeader


class MainScreen(Screen[None]):
    name_key = ""  # 'assets', 'history', ...
    # escape leaves a text field, so 1-4 switch screens again (in a field they are typing).
    BINDINGS = [Binding("escape", "leave_field", "bind.leave_field", show=False)]

    def compose(self) -> ComposeResult:
        yield WalletHeader()
        yield NavTabs(self.name_key)
        yield from self.compose_body()
        yield Footer()

    def compose_body(self) -> ComposeResult:
        raise NotImplementedError

    def on_mount(self) -> None:
        translate_bindings(self)
        self.watch(self.app, "language", self._language_changed, init=False)

    def action_leave_field(self) -> None:
        self.set_focus(None)

    async def _language_changed(self, _: str) -> None:
        translate_bindings(self)
        await self.recompose()
        self.refresh_bindings()
