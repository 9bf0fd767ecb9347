"""The line under a form field that says what is wrong with it.

A form's one note at its bottom was below the fold at 80x24 (ctrl+r with a bad amount seemed
to do nothing): the reason now goes next to its field, which is scrolled into view with it."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class FieldError(Static):
    DEFAULT_CSS = """
    FieldError {
        height: auto;
        color: $text-error;
        text-style: bold;
        display: none;
        padding: 0 0 0 14;
    }
    FieldError.-warning {
        color: $text-warning;
    }
    FieldError.-shown {
        display: block;
    }
    """

    def show(self, text: str, *, warning: bool = False) -> None:
        """`text` (outside words: never read as markup) under the field, scrolled into view."""
        self.update(Text(text))
        self.set_class(warning, "-warning")
        self.add_class("-shown")
        self.call_after_refresh(self.scroll_visible, animate=False)

    def clear(self) -> None:
        self.update("")
        self.remove_class("-shown", "-warning")

    @property
    def shown(self) -> str:
        return str(self.render()) if self.has_class("-shown") else ""
