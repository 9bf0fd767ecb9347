"""What the UI tests share: the screen as text, and waiting for a condition."""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import Callable
from typing import Any


def screen_text(app: Any) -> str:
    """The screen as plain text: the SVG export with its tags and escapes removed."""
    svg = app.export_screenshot()
    body = svg[svg.find('<g class="terminal-') :]
    return html.unescape(re.sub(r"<[^>]+>", "", body)).replace("\xa0", " ")


async def until(
    pilot: Any, condition: Callable[[], bool], timeout: float = 15.0, *, workers: bool = False
) -> None:
    """Let the app run until `condition()` holds (workers, network round trips); with
    `workers`, each look also waits for the running workers to finish."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not condition():
        if loop.time() > end:
            raise AssertionError("condition not reached")
        await pilot.pause(0.05)
        if workers:
            await pilot.app.workers.wait_for_complete()


async def settle_keep_toasts(pilot: Any) -> None:
    """tui.screenshots.settle() without dropping the notifications."""
    for _ in range(3):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def run_palette_command(pilot: Any, typed: str) -> None:
    """Open the command palette (ctrl+p), type `typed` and run the best match (enter)."""
    await pilot.press("ctrl+p")
    await pilot.pause()
    from textual.command import CommandPalette

    assert isinstance(pilot.app.screen, CommandPalette)  # ours subclasses it (keys_panel.py)
    await pilot.press(*typed)
    await pilot.pause(0.3)
    await pilot.press("enter")
