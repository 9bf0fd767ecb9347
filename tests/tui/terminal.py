"""The app's screen as a terminal would show it: the compositor's lines encoded by the app's
own console (so with the colour system it detected from TERM, and Textual's NO_COLOR filter),
then drawn by pyte, a terminal emulator. What a 16-colour or CJK terminal gets, cell by cell."""

from __future__ import annotations

from typing import Any

import pyte
from rich.style import Style


def encoded_lines(app: Any) -> list[str]:
    """Each row of the screen as the escape sequences the app would write for it."""
    system = app.console._color_system
    return [
        "".join(
            seg.text
            if seg.style is None
            else _fresh(seg.style).render(seg.text, color_system=system)
            for seg in strip
            if not seg.control
        )
        for strip in app.screen._compositor.render_strips()
    ]


def _fresh(style: Style) -> Style:
    """A copy without Rich's cached escape codes: Rich keeps a style's codes from its first
    rendering, whatever the colour system (one console per process in the app, but here
    several apps with different TERMs share Textual's cached styles)."""
    copy = style.copy()
    copy._ansi = None
    return copy


def pyte_screen(app: Any, screen: pyte.Screen | None = None) -> pyte.Screen:
    """The rows drawn one by one at their own line (so a row too wide shows as a wrap)."""
    width, height = app.size
    screen = screen or pyte.Screen(width, height)
    stream = pyte.Stream(screen)
    for y, line in enumerate(encoded_lines(app)):
        stream.feed(f"\x1b[{y + 1};1H\x1b[0m{line}")
    return screen
