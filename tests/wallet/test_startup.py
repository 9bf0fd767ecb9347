"""The first frame's language must be the one the full settings would give."""

from pathlib import Path

import pytest

from wallet.settings import load_settings
from wallet.startup import first_frame_language

CASES = [
    # (file text or None, env value or None, argument or None)
    (None, None, None),
    ('language = "zh-CN"\n', None, None),
    ('language = "zh-CN"\n', "en", None),
    ('language = "en"\n', "zh-CN", None),
    ('language = "en"\n', "zh-CN", "en"),
    (None, None, "zh-CN"),
    ('network = "eth"\n', None, None),
]


@pytest.mark.parametrize(("text", "env", "arg"), CASES)
def test_agrees_with_settings(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    text: str | None,
    env: str | None,
    arg: str | None,
) -> None:
    f = tmp_path / "config.toml"
    if text is not None:
        f.write_text(text)
    if env is not None:
        monkeypatch.setenv("TERMWALLET_LANGUAGE", env)
    assert first_frame_language(f, arg) == load_settings(f, language=arg).language


def test_values_settings_would_reject_fall_back_to_english(tmp_path: Path) -> None:
    f = tmp_path / "config.toml"
    f.write_text('language = "klingon"\n')
    assert first_frame_language(f) == "en"
    f.write_text("language = [\n")  # not TOML
    assert first_frame_language(f) == "en"
