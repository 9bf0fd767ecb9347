"""The scrubber's normalising: the ways a secret can be disguised (fullwidth, accents,
look-alike letters, invisible characters, HTML tags) undone, with a map back to the caller's
positions. wallet/support/scrubber.py's docstring lists each step."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

FIELD_JOIN = "\x1f"

# Letters that look like Latin ones, from Unicode's confusables.txt restricted to Cyrillic and
# Greek letters that render identically in common terminal fonts. Hand-kept: the full table
# (and the libraries that ship it) maps thousands of symbols, many of which are legitimate
# letters of the Russian wordlist; this is the part a scammer's "copy this" text uses.
_CONFUSABLES = str.maketrans(
    {
        # Cyrillic
        "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i",
        "ј": "j", "ѕ": "s", "һ": "h", "ԁ": "d", "ԛ": "q", "ԝ": "w", "ɡ": "g", "ӏ": "l",
        "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P",
        "С": "C", "Т": "T", "У": "Y", "Х": "X", "І": "I", "Ј": "J", "Ѕ": "S", "Ԁ": "D",
        # Greek
        "α": "a", "ο": "o", "ν": "v", "ρ": "p", "τ": "t", "υ": "u", "κ": "k", "ι": "i",
        "ε": "e", "Α": "A", "Β": "B", "Ε": "E", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M",
        "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T", "Χ": "X", "Υ": "Y", "Ζ": "Z",
    }
)  # fmt: skip
_INVISIBLE_EXTRA = frozenset("\u034f\u115f\u1160\u3164\uffa0") | frozenset(
    chr(c) for c in range(0xFE00, 0xFE10)
)
_HTML_TAG = re.compile(r"</?[A-Za-z][^<>]{0,200}>")


def norm_word(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold()


@cache
def _fold_char(ch: str) -> str:
    """One character as the scanner sees it: '' for invisible ones (see the module doc)."""
    if ch in _INVISIBLE_EXTRA or unicodedata.category(ch) == "Cf":
        return ""
    out = unicodedata.normalize("NFKC", ch)
    decomposed = unicodedata.normalize("NFKD", out)
    stripped = "".join(c for c in decomposed if not 0x300 <= ord(c) <= 0x36F)
    if stripped != decomposed:
        out = unicodedata.normalize("NFC", stripped)
    return out.translate(_CONFUSABLES)


def fold_text(text: str) -> str:
    return "".join(_fold_char(c) for c in text)


@dataclass(frozen=True, slots=True)
class Normalised:
    text: str
    pos: list[int]  # pos[i]: the original index of text[i]; one extra entry for the end

    def span(self, a: int, b: int) -> tuple[int, int]:
        """Original [start, end) of normalised [a, b)."""
        return self.pos[a], self.pos[b - 1] + 1 if b > a else self.pos[a]


def normalise(text: str) -> Normalised:
    out: list[str] = []
    pos: list[int] = []
    tags = {m.start(): m.end() for m in _HTML_TAG.finditer(text)}
    i = 0
    while i < len(text):
        if i in tags:
            out.append(" ")
            pos.append(i)
            i = tags[i]
            continue
        for c in _fold_char(text[i]):
            out.append(c)
            pos.append(i)
        i += 1
    pos.append(len(text))
    return Normalised("".join(out), pos)


def merge_spans(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out
