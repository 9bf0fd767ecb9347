"""The fee tier choice of the send forms: a RadioSet whose cursor starts on the tier that is
selected.

Textual's RadioSet puts its cursor on the first button when it mounts, whatever button is on:
the form showed Normal selected with the cursor on Slow, so a first `enter` picked Slow.
"""

from __future__ import annotations

from textual.widgets import RadioSet


class FeeRadioSet(RadioSet):
    def on_mount(self) -> None:
        # Runs before RadioSet's own mount handler (Textual calls a subclass's first), which
        # moves the cursor to the first button: correct it once that has run.
        self.call_after_refresh(self._cursor_to_pressed)

    def _cursor_to_pressed(self) -> None:
        if self.pressed_index >= 0:
            # RadioSet keeps its cursor in `_selected` and offers no public way to set it.
            self._selected = self.pressed_index
