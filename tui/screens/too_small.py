"""Shown instead of whatever screen is open while the terminal is smaller than the app can
draw: at 40x15 History cut +2,500 to `+2,5`, Chinese toasts lost characters, and at 60
columns Swap's Amount field showed nothing while typing. 70x20 is the smallest size where
every main screen keeps its figures and fields whole (80x24 stays the design size)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.geometry import Size
from textual.screen import Screen
from textual.widgets import Static

from tui.i18n import t

MIN_WIDTH, MIN_HEIGHT = 70, 20


def too_small(size: Size) -> bool:
    return size.width < MIN_WIDTH or size.height < MIN_HEIGHT


class TooSmallScreen(Screen[None]):
    DEFAULT_CSS = """
    TooSmallScreen {
        align: center middle;
        background: $background;
    }
    TooSmallScreen > Static {
        width: 100%;
        padding: 0 1;
        text-align: center;
        color: $text;
    }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="too-small", markup=False)

    def on_mount(self) -> None:
        self.watch(self.app, "language", lambda _: self.show(self.app.size), init=False)
        self.show(self.app.size)

    def show(self, size: Size) -> None:
        self.query_one("#too-small", Static).update(
            t(
                "app.too_small",
                width=MIN_WIDTH,
                height=MIN_HEIGHT,
                cols=size.width,
                rows=size.height,
            )
        )
