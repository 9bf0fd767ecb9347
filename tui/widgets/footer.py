"""The footer every screen shows: Textual's Footer, rebuilt only when what it shows changes.

Textual's Footer recomposes (drops and re-mounts one widget per key) on every bindings
update, and a screen publishes one on each focus change, mount and refresh_bindings(). On
a first visit to History that was five rebuilds of the same keys, about half of the time to
first paint (bench/history.py). Here the footer remembers what it last drew and skips the
rebuild when the keys, texts and enabled states are the same.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

from textual.widgets import Footer

if TYPE_CHECKING:
    from textual.screen import Screen

Shown: TypeAlias = tuple[tuple[str, str, str, bool, str], ...]


class WalletFooter(Footer):
    _shown: Shown | None = None

    def _what_it_would_show(self, screen: Screen[object]) -> Shown:
        return tuple(
            (binding.key, binding.action, binding.description, enabled, tooltip)
            for _, binding, enabled, tooltip in screen.active_bindings.values()
            if binding.show or binding.key == self.app.COMMAND_PALETTE_BINDING
        )

    def bindings_changed(self, screen: Screen[object]) -> None:
        if self.is_attached and screen is self.screen and screen.app.app_focus:
            shown = self._what_it_would_show(screen)
            if shown == self._shown and self._bindings_ready:
                return
            self._shown = shown
        super().bindings_changed(screen)
