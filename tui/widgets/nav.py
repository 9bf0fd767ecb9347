"""The tab row naming the four main screens; a click or 1-4 switches."""

from __future__ import annotations

from textual.geometry import Offset
from textual.widgets import Tab, Tabs
from textual.widgets._tabs import Underline  # not exported; its Clicked is Tabs' own

from tui.i18n import t

SCREENS = ("assets", "history", "swap", "support")


class NavTabs(Tabs):
    def __init__(self, active: str) -> None:
        super().__init__(
            *(
                Tab(f"{i}·{t(f'nav.{name}')}", id=f"nav-{name}")
                for i, name in enumerate(SCREENS, 1)
            ),
            active=f"nav-{active}",
        )
        # Keyboard use goes through the app's 1-4 bindings; the row itself is not a focus stop.
        self.can_focus = False

    # Each screen has its own row, and it always underlines its own screen: a click asks for
    # a switch and changes nothing in the row. Tabs would move the underline of the clicked
    # row (so after `1` Assets showed with Swap underlined, and a second click on Swap found
    # it active already and did nothing) and announce every activation, including the one a
    # row makes when it is built: F2 recomposes every visited screen, and History's new row,
    # off screen, switched the app to History.

    def on_tabs_tab_activated(self, event: Tabs.TabActivated) -> None:
        event.stop()  # a row being built or rebuilt, never a request to switch

    def on_tab_clicked(self, event: Tab.Clicked) -> None:
        event.stop()
        event.prevent_default()  # Tabs' own handler would move the underline
        self._switch_to(event.tab)

    def on_underline_clicked(self, event: Underline.Clicked) -> None:
        event.stop()
        event.prevent_default()
        # The tab above the clicked underline, as Tabs does.
        offset = Offset(event.offset.x, event.offset.y - 1)
        for tab in self.query(Tab):
            if offset in tab.region:
                self._switch_to(tab)
                break

    def _switch_to(self, tab: Tab) -> None:
        target = (tab.id or "").removeprefix("nav-")
        if target in SCREENS and self.app.current_mode != target:
            self.app.switch_mode(target)
