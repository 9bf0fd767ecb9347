from __future__ import annotations

from tui.screens.not_yet import NotYetScreen


class HistoryScreen(NotYetScreen):
    name_key = "history"
