"""The tab row naming the four main screens; a click or 1-4 switches."""

from __future__ import annotations

from textual.widgets import Tab, Tabs

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

    def on_tabs_tab_activated(self, event: Tabs.TabActivated) -> None:
        event.stop()
        if event.tab is not None and event.tab.id:
            target = event.tab.id.removeprefix("nav-")
            if self.app.current_mode != target:
                self.app.switch_mode(target)
