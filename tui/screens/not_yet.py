"""A main screen whose feature is not built yet says so plainly; it never shows fake data."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from tui.i18n import t
from tui.screens.base import MainScreen


class NotYetScreen(MainScreen):
    def compose_body(self) -> ComposeResult:
        with Vertical(classes="body not-yet"):
            yield Static(t(f"soon.{self.name_key}"), classes="title")
