"""Shared fixtures. Every test gets its own TERMWALLET_HOME so no test touches a real wallet."""

from __future__ import annotations

import importlib.util
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
# Loaded by its path: an interpreter may have imported a `sitecustomize` of its own already at
# start-up (Debian's python3 has one, for apport), so `import sitecustomize` would not run ours.
_spec = importlib.util.spec_from_file_location(
    "termwallet_netguard", Path(_NETGUARD) / "sitecustomize.py"
)
assert _spec is not None and _spec.loader is not None
_netguard = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_netguard)
sys.modules["termwallet_netguard"] = _netguard  # tests switch its proxy-only mode on

pytest_plugins = ["tests.fixtures.devnet", "tests.fixtures.litecoin"]


@pytest.fixture(autouse=True)
def termwallet_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "termwallet-home"
    monkeypatch.setenv("TERMWALLET_HOME", str(home))
    for var in ("TERMWALLET_LANGUAGE", "TERMWALLET_NETWORK"):
        monkeypatch.delenv(var, raising=False)
    return home


@pytest.fixture(autouse=True)
def english_again() -> object:
    """The UI language is process-wide (tui/i18n): a test that ran in zh-CN must not leave the
    next test's messages in Chinese (seen: test_cli after test_send)."""
    yield
    from tui.i18n import set_language

    set_language("en")


@pytest.fixture(autouse=True)
def no_proxy_left_over() -> object:
    """The proxy is process-wide (chains/proxy.py, set when settings load): a test's must not
    reach the next test."""
    yield
    from chains.proxy import use_proxy

    use_proxy(None)
