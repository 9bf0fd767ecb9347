"""Placeholder until the support desk lands (issue 9): the anti-phishing warning already shows."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from tui.i18n import t
from tui.screens.base import MainScreen


class SupportScreen(MainScreen):
    name_key = "support"

    def compose_body(self) -> ComposeResult:
        with Vertical(classes="body not-yet"):
            yield Static(t("support.never_asks"), classes="warning")
            yield Static(t("soon.support"), classes="title")
