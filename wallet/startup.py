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
    try:
        with config_file.open("rb") as fh:
            value = tomllib.load(fh).get("language")
    except (OSError, tomllib.TOMLDecodeError):
        return None
    return value if isinstance(value, str) else None
