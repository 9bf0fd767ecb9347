"""bench/terminal.py, the instrument behind the on-screen figures: that it reads a real
Textual app's frames back as the characters a user sees. No timing is asserted (the figures
are the benches' to print): only that "shown" and "settled" mean what they say."""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path

from bench.terminal import Terminal

APP = textwrap.dedent(
    """
    from textual.app import App
    from textual.widgets import Static

    class Counter(App):
        BINDINGS = [("d", "bump"), ("n", "nothing"), ("q", "quit")]
        count = 0

        def compose(self):
            yield Static("ready 0", id="line")

        def action_bump(self):
            self.count += 1
            self.query_one("#line").update(f"ready {self.count}")

        def action_nothing(self):
            pass

    Counter().run()
    """
)


def test_a_key_is_timed_to_the_frame_that_shows_its_result(tmp_path: Path) -> None:
    script = tmp_path / "counter.py"
    script.write_text(APP)
    env = {**os.environ, "TERM": "xterm-256color"}
    term = Terminal([sys.executable, str(script)], env, rows=10, cols=40)
    try:
        assert term.until(b"ready 0") is not None, term.output[-500:]
        term.quiet(gap=0.5)
        assert any("ready 0" in line for line in term.text())
        bumped = term.react(b"d")
        assert bumped.shown is not None and bumped.settled is not None
        assert 0 < bumped.shown <= bumped.settled and bumped.frames >= 1
        assert any("ready 1" in line for line in term.text())
        assert not any("ready 0" in line for line in term.text())
        idle = term.react(b"n")  # a key that changes nothing on screen
        assert idle.shown is None
    finally:
        usage = term.close()
    assert usage.ru_maxrss > 0
