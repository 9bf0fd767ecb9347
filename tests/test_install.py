"""The installed packages are the locked ones (scripts/install.sh syncs requirements-test.lock;
scripts/lock.sh writes it), and the README's two commands are the ones CI runs."""

from __future__ import annotations

import re
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from packaging.markers import Marker
from packaging.utils import canonicalize_name

ROOT = Path(__file__).parent.parent


def _locked(name: str) -> dict[str, str]:
    """name -> version for each line of a lock whose environment marker holds here."""
    out = {}
    for line in (ROOT / name).read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s;]+)\s*(?:;\s*(.+))?$", line.strip())
        if m and (m.group(3) is None or Marker(m.group(3)).evaluate()):
            out[canonicalize_name(m.group(1))] = m.group(2)
    return out


def test_installed_versions_equal_the_lock():
    locked = _locked("requirements-test.lock")
    assert len(locked) > 100  # the whole set, not a stub
    wrong = {}
    for name, pinned in locked.items():
        try:
            got = version(name)
        except PackageNotFoundError:
            got = None
        if got != pinned:
            wrong[name] = (pinned, got)
    assert not wrong, f"installed differs from requirements-test.lock: {wrong}"


def test_the_runtime_lock_is_part_of_the_test_lock():
    runtime, test = _locked("requirements.lock"), _locked("requirements-test.lock")
    assert {k: v for k, v in test.items() if k in runtime} == runtime


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"^bash scripts/install\.sh.*$", readme, flags=re.M)
    assert len(commands) == 2, commands
    assert commands[0].endswith("&& .venv/bin/termwallet demo")
    assert commands[1] in (ROOT / ".ci" / "run").read_text()
