"""Shared fixtures. Every test gets its own TERMWALLET_HOME so no test touches a real wallet."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["tests.fixtures.devnet", "tests.fixtures.litecoin"]


@pytest.fixture(autouse=True)
def termwallet_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "termwallet-home"
    monkeypatch.setenv("TERMWALLET_HOME", str(home))
    for var in ("TERMWALLET_LANGUAGE", "TERMWALLET_NETWORK"):
        monkeypatch.delenv(var, raising=False)
    return home
