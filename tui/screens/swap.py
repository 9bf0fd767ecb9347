from __future__ import annotations

from tui.screens.not_yet import NotYetScreen


class SwapScreen(NotYetScreen):
    name_key = "swap"
