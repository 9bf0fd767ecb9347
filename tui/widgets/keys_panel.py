"""Textual's keys panel (palette: "Keys") in the user's language.

Textual writes its widgets' key descriptions in English ("Move cursor left", "Focus Next",
"Quit"), and its panel prints them as they are. Ours are catalog keys already translated
(tui/bindings.py); Textual's own are looked up by their English text in the `textual.`
section of the catalogs (tui/i18n/*/textual.toml). The table Textual builds is rebuilt with
the translations: its rendering is Textual's, only the words change.
"""

from __future__ import annotations

from functools import cache

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import HelpPanel, KeyPanel, Markdown
from textual.widgets._key_panel import BindingsTable  # not exported by textual.widgets

from tui.i18n import catalog, language, t


@cache
def _english() -> dict[str, str]:
    """Textual's English text -> catalog key."""
    return {v: k for k, v in catalog("en").items() if k.startswith("textual.")}


def translated(text: str) -> str | None:
    """Textual's English description (with its tooltip after a space, as the panel prints
    it) in the current language; None when it is not one of Textual's texts."""
    english = _english()
    if text in english:
        return t(english[text])
    for head, key in english.items():  # "Quit" + " " + "Quit the app and return to..."
        rest = text[len(head) + 1 :]
        if text.startswith(head + " ") and rest in english:
            return t(key) + " " + t(english[rest])
    return None


class _TranslatedBindingsTable(BindingsTable):
    def render_bindings_table(self) -> Table:
        table = super().render_bindings_table()
        if language() == "en" or len(table.columns) != 2:
            return table
        out = Table(
            padding=table.padding,
            show_header=False,
            box=table.box,
            border_style=table.border_style,
        )
        out.add_column("", justify="right")
        keys, descriptions = (list(c.cells) for c in table.columns)
        for row, key, description in zip(table.rows, keys, descriptions, strict=True):
            plain = description.plain if isinstance(description, Text) else str(description)
            words = translated(plain)
            if words is not None and isinstance(description, Text):
                # fold: a CJK text has no spaces to wrap at, and would be cut with "…"
                description = Text(words, style=description.style, end="", overflow="fold")
            out.add_row(key, description, end_section=row.end_section)
        return out


class _TranslatedKeyPanel(KeyPanel):
    def compose(self) -> ComposeResult:
        yield _TranslatedBindingsTable(shrink=True, expand=False)


class KeysPanel(HelpPanel):
    """Textual's HelpPanel (found and removed by that name) with translated keys."""

    def compose(self) -> ComposeResult:
        yield Markdown(id="widget-help")
        yield _TranslatedKeyPanel(id="keys-help")
