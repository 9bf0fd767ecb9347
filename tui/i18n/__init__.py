"""Translations: en and zh-CN, one TOML catalog per area under i18n/<lang>/.

Keys rather than gettext msgids, because tests/tui/test_i18n.py must prove that every key and
every {placeholder} exists in every language; gettext would also need a compile step (.mo) in
the install. Catalogs are TOML (stdlib tomllib, comments allowed for translators).
said.toml holds the sentences wallet/, chains/ and devices/ raise with a `said.Said`: English
lives in that code, so only other languages have them (tui/errors.py sentence()).
"""

from __future__ import annotations

import string
import tomllib
from functools import cache
from pathlib import Path

LANGUAGES = ("en", "zh-CN")
_ROOT = Path(__file__).parent
_current = "en"
_unambiguous = False  # tui/ambiguous.py: "…" becomes "..." here, before layout


def _flatten(prefix: str, node: dict[str, object], out: dict[str, str], origin: Path) -> None:
    for k, v in node.items():
        key = f"{prefix}.{k}" if prefix else k
        if isinstance(v, dict):
            _flatten(key, v, out, origin)
        elif isinstance(v, str):
            if key in out:
                raise ValueError(f"{origin}: key '{key}' is defined twice")
            out[key] = v
        else:
            raise ValueError(f"{origin}: '{key}' must be text")


@cache
def catalog(lang: str) -> dict[str, str]:
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language '{lang}': choose one of {', '.join(LANGUAGES)}")
    out: dict[str, str] = {}
    for f in sorted((_ROOT / lang).glob("*.toml")):
        with f.open("rb") as fh:
            _flatten("", tomllib.load(fh), out, f)
    return out


def set_language(lang: str) -> None:
    global _current
    catalog(lang)  # validates
    _current = lang


def set_unambiguous(on: bool) -> None:
    global _unambiguous
    _unambiguous = on


def language() -> str:
    return _current


def t(key: str, /, **values: object) -> str:
    """The text for `key` in the current language, with {placeholders} filled. A missing key
    falls back to English, then to the key itself, so the UI never crashes on a gap (the i18n
    tests make sure there are none)."""
    text = catalog(_current).get(key) or catalog("en").get(key) or key
    if _unambiguous:
        text = text.replace("…", "...")
    if not values:
        return text
    for name, value in values.items():
        # A sentence placed where the template ends one ("Not current: {reason}. Showing..."):
        # its own full stop ends it, not a second one ("settings.. Showing").
        if isinstance(value, str) and value.rstrip().endswith(_SENTENCE_ENDS):
            for stop in ".。":
                text = text.replace(f"{{{name}}}{stop}", f"{{{name}}}")
    return text.format(**values)


_SENTENCE_ENDS = (".", "。", "!", "！", "?", "？")


def tn(key: str, count: int, /, **values: object) -> str:
    """`t` for a text about `count` things: `{key}_one` when count is 1 (catalogs hold that
    form where the language has one: English 'transaction' against 'transactions'; Chinese
    writes the same text for both)."""
    one = f"{key}_one"
    if count == 1 and (one in catalog(_current) or one in catalog("en")):
        key = one
    return t(key, **values)


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}
