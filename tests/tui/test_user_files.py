"""How the app shows a file it wrote (tui/user_files.py shown_from_home)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.user_files import shown_from_home


def test_a_file_below_home_shows_from_tilde(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "alice"))
    assert shown_from_home(tmp_path / "alice" / "exports" / "a.psbt") == "~/exports/a.psbt"
    # Elsewhere: the whole path; a name's control characters escaped either way.
    assert shown_from_home(tmp_path / "bob" / "a.psbt") == str(tmp_path / "bob" / "a.psbt")
    assert shown_from_home(tmp_path / "alice" / "x\x1b[2J.psbt") == "~/x\\x1b[2J.psbt"
