"""Shared fixtures. Every test gets its own TERMWALLET_HOME so no test touches a real wallet."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

# Tests never reach beyond this machine: see tests/netguard/sitecustomize.py. In this process
# it is imported now; subprocesses load it through PYTHONPATH.
_NETGUARD = str(Path(__file__).parent / "netguard")
os.environ["PYTHONPATH"] = os.pathsep.join(
    p for p in (_NETGUARD, os.environ.get("PYTHONPATH", "")) if p
)
sys.path.insert(0, _NETGUARD)
import sitecustomize as _netguard  # noqa: E402

assert _netguard.__file__ and _netguard.__file__.startswith(_NETGUARD), _netguard.__file__

pytest_plugins = ["tests.fixtures.devnet", "tests.fixtures.litecoin"]


@pytest.fixture(autouse=True)
def termwallet_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "termwallet-home"
    monkeypatch.setenv("TERMWALLET_HOME", str(home))
    for var in ("TERMWALLET_LANGUAGE", "TERMWALLET_NETWORK"):
        monkeypatch.delenv(var, raising=False)
    return home
