"""Drawing without East Asian "ambiguous" characters, for terminals that give them two cells.

Unicode leaves the width of some characters to the context (UAX #11, East Asian Width "A"):
box drawing (─ ━ │ ╭), block elements (▁ ▔ ▊ █), · — … ● ▼ ← and more. Textual lays the
screen out with them one cell wide; a CJK terminal set to draw them wide (common with zh, ja
and ko locales) pushes every row that holds one past its end, and rows wrap over each other.

With the setting on (wallet/startup.py: ambiguous_wide), every ambiguous symbol on screen is
replaced, at the last step (a Textual line filter, so Textual's own borders, tab underline,
scrollbars and footer separators too), by one of the same width that is narrow everywhere:
ASCII. Letters are left alone (é, Greek, Cyrillic are ambiguous too, but a name must stay
what it is). Texts of our catalogs get "..." for "…" before layout (tui/i18n), which reads
better than the one-cell stand-in. tests/tui/test_ambiguous_width.py draws the screens in a
terminal emulator (pyte) with ambiguous = wide and checks that no row wraps.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from functools import cache

from rich.segment import Segment
from textual.color import Color
from textual.filter import LineFilter

# Chosen stand-ins; anything else ambiguous falls back by its Unicode name (_by_name).
_CHOSEN = {
    "·": ".", "•": "*", "…": "~", "—": "-", "–": "-", "―": "-", "‐": "-",
    "“": '"', "”": '"', "‘": "'", "’": "'", "×": "x", "÷": "/", "°": "o", "±": "+",
    "●": "*", "○": "o", "◎": "o", "◆": "*", "◇": "o", "■": "#", "□": "o", "★": "*", "☆": "*",
    "▼": "v", "▽": "v", "▲": "^", "△": "^", "▶": ">", "▷": ">", "◀": "<", "◁": "<",
    "←": "<", "→": ">", "↑": "^", "↓": "v", "↔": "-", "↕": "|",
    "▔": "-", "▁": "_", "▀": "-", "▄": "_", "█": "#", "▕": "|", "▌": "]",
    "═": "=", "║": "|",
}  # fmt: skip


def _by_name(char: str) -> str:
    name = unicodedata.name(char, "")
    if "BOX DRAWINGS" in name:
        if "HORIZONTAL" in name and "VERTICAL" not in name:
            return "-"
        if "VERTICAL" in name and "HORIZONTAL" not in name:
            return "|"
        if "LEFT" in name and "RIGHT" not in name and ("UP" not in name and "DOWN" not in name):
            return "-"  # ╴ ╸ light/heavy left (half lines)
        if "RIGHT" in name and "LEFT" not in name and ("UP" not in name and "DOWN" not in name):
            return "-"
        if ("UP" in name or "DOWN" in name) and not ("LEFT" in name or "RIGHT" in name):
            return "|"
        return "+"
    if "BLOCK" in name:  # eighths and halves: bars, scrollbar ends, tall borders
        if "LEFT" in name or "RIGHT" in name:
            return "|"
        if "LOWER" in name:
            return "_"
        return "-"
    if "SHADE" in name:
        return "#"
    return "?"


# Where Unicode's ambiguous symbols are (UAX #11's EastAsianWidth.txt): Latin-1 and spacing
# modifiers, general punctuation to dingbats, CJK enclosed numbers, the replacement character.
# Scanning only these keeps building the table at a few ms; tests/tui/test_ambiguous_width.py
# checks that the whole Basic Multilingual Plane holds no other ambiguous symbol.
RANGES = ((0xA0, 0x300), (0x2000, 0x2800), (0x2B00, 0x2C00), (0x3200, 0x3300), (0xFFFD, 0xFFFE))


# Not ambiguous, but drawn beside ones that are replaced: the same look for both halves of a
# toggle ("▐X▌" becomes "[X]") and of the tab underline ("╸━━╺" becomes "----").
_COMPANIONS = {ord("▐"): "[", ord("╸"): "-", ord("╺"): "-", ord("╹"): "|", ord("╻"): "|"}


@cache
def table() -> dict[int, str]:
    """Every ambiguous symbol and its one-cell stand-in (and _COMPANIONS)."""
    return symbols(code for start, end in RANGES for code in range(start, end)) | _COMPANIONS


def symbols(codes: Iterable[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    for code in codes:
        char = chr(code)
        if unicodedata.east_asian_width(char) != "A":
            continue
        category = unicodedata.category(char)
        if category[0] in "LMN" or category in ("Co", "Cn", "Cs"):
            continue  # letters, marks, digits; private use: left as they are
        out[code] = _CHOSEN.get(char) or _by_name(char)
    return out


def unambiguous(text: str) -> str:
    return text.translate(table())


class NarrowAmbiguous(LineFilter):
    """Textual line filter: every segment's ambiguous symbols replaced, styles kept."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        mapping = table()
        return [
            Segment(text.translate(mapping), style, control) for text, style, control in segments
        ]
