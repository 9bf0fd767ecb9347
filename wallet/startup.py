"""What the first frame needs before the full settings load: the interface language.

Full settings (pydantic-settings) take about 0.12 s to import and validate here, which is a
third of the first-frame budget, so they load in the session worker after the first frame.
The language is read here with the same precedence (argument > TERMWALLET_LANGUAGE > config
file > "en") using only the standard library; tests/wallet/test_startup.py checks it agrees
with Settings on every source. A value Settings would reject falls back to "en" here, and the
worker then reports the bad setting.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

LANGUAGES = ("en", "zh-CN")


def first_frame_language(config_file: Path, override: str | None = None) -> str:
    for candidate in (override, os.environ.get("TERMWALLET_LANGUAGE"), _from_file(config_file)):
        if candidate:
            return candidate if candidate in LANGUAGES else "en"
    return "en"


def _from_file(config_file: Path) -> str | None:
    return _value(config_file, "language")


AMBIGUOUS_WIDTHS = ("auto", "narrow", "wide")
# Locales whose terminals commonly draw East Asian "ambiguous" characters two cells wide.
_CJK_LOCALES = ("zh", "ja", "ko")


def ambiguous_wide(config_file: Path | None) -> bool:
    """Whether to draw without East Asian ambiguous-width characters (tui/ambiguous.py), from
    TERMWALLET_AMBIGUOUS_WIDTH, else the config's ambiguous_width ("wide", "narrow", or "auto",
    the default): auto is wide where the locale is Chinese, Japanese or Korean (LC_ALL, else
    LC_CTYPE, else LANG, as the C library picks). Standard library only: read before the
    first frame, like the language."""
    from_file = None if config_file is None else _value(config_file, "ambiguous_width")
    for candidate in (os.environ.get("TERMWALLET_AMBIGUOUS_WIDTH"), from_file):
        if candidate in ("narrow", "wide"):
            return candidate == "wide"
        if candidate:
            break  # "auto" (or a value Settings rejects): the locale decides
    for var in ("LC_ALL", "LC_CTYPE", "LANG"):
        value = os.environ.get(var)
        if value:
            return value.lower().startswith(_CJK_LOCALES)
    return False


def _value(config_file: Path, key: str) -> str | None:
    try:
        with config_file.open("rb") as fh:
            value = tomllib.load(fh).get(key)
    except (OSError, tomllib.TOMLDecodeError):
        return None
    return value if isinstance(value, str) else None
