"""A read-only TERMWALLET_HOME, HOME, data or log folder: one line naming the folder and the
fix, from the CLI and from the app, never a traceback, and the keystore untouched.

Tests run as root, for whom permission bits change nothing, so each folder is made read-only
the way a real system does it: a read-only bind mount, in a mount namespace of the command's
own (`unshare -m`), so nothing outside the command sees it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bench.terminal import Terminal

# In the command's own mount namespace: bind the folder onto itself read-only, then run.
READ_ONLY = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"'
KEYSTORE = b'{"version": 1, "a keystore": "that no failure may touch"}'


def _read_only(folder: Path, argv: list[str]) -> list[str]:
    return ["unshare", "-m", "sh", "-c", READ_ONLY, "sh", str(folder), *argv]


@pytest.fixture(scope="module", autouse=True)
def _can_mount(tmp_path_factory: pytest.TempPathFactory) -> None:
    probe = tmp_path_factory.mktemp("probe")
    if shutil.which("unshare") is None:
        pytest.skip("needs unshare (util-linux)")
    done = subprocess.run(_read_only(probe, ["true"]), capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot make a read-only bind mount here: {done.stderr.strip()}")


def _places(tmp_path: Path, which: str) -> tuple[Path, dict[str, str], Path]:
    """(the folder made read-only, the environment, the folder the message must name)."""
    env = {**os.environ, "TERM": "xterm-256color"}
    home = tmp_path / "termwallet-home"
    if which == "HOME":  # no TERMWALLET_HOME: the platform's folders under a read-only HOME
        env.pop("TERMWALLET_HOME", None)
        for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
            env.pop(var, None)
        user = tmp_path / "user-home"
        user.mkdir()
        env["HOME"] = str(user)
        return user, env, user
    env["TERMWALLET_HOME"] = str(home)
    if which == "TERMWALLET_HOME":
        home.mkdir()
        return home, env, home
    for sub in ("config", "data", "cache", "logs"):
        (home / sub).mkdir(parents=True, exist_ok=True)
    folder = home / which
    return folder, env, folder


def _keystore(tmp_path: Path) -> Path:
    path = tmp_path / "termwallet-home" / "data" / "keystore.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(KEYSTORE)
    return path


def _check_line(text: str, named: Path) -> None:
    assert "Traceback" not in text, text[-3000:]
    lines = [line for line in text.strip().splitlines() if line.startswith("termwallet: ")]
    assert len(lines) == 1, text[-3000:]
    assert str(named) in lines[0] and "Read-only file system" in lines[0], lines[0]
    assert "TERMWALLET_HOME" in lines[0]  # the fix: make it writable, or move termwallet


PLACES = ["TERMWALLET_HOME", "HOME", "data", "logs"]


@pytest.mark.parametrize("which", PLACES)
def test_the_cli_names_the_read_only_folder(which: str, tmp_path: Path) -> None:
    keystore = _keystore(tmp_path) if which == "data" else None
    folder, env, named = _places(tmp_path, which)
    before = keystore.stat().st_mtime_ns if keystore else None
    done = subprocess.run(
        _read_only(folder, [sys.executable, "-m", "tui", "accounts"]),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode != 0
    _check_line(done.stderr, named)
    if keystore is not None:
        assert keystore.read_bytes() == KEYSTORE and keystore.stat().st_mtime_ns == before


@pytest.mark.parametrize("which", PLACES)
def test_the_app_names_the_read_only_folder(which: str, tmp_path: Path) -> None:
    """Once: a read-only data folder left the app on "Opening the wallet..." for good."""
    keystore = _keystore(tmp_path) if which == "data" else None
    folder, env, named = _places(tmp_path, which)
    term = Terminal(_read_only(folder, [sys.executable, "-m", "tui"]), env)
    try:
        term.proc.wait(timeout=30)  # a guard against the old endless wait, not a speed target
        term.quiet(gap=0.2, timeout=5)
    finally:
        if term.proc.poll() is None:
            os.killpg(term.proc.pid, 9)
            term.proc.wait()
        os.close(term.master)
    assert term.proc.returncode not in (0, None)
    _check_line(term.output.decode("utf-8", "replace").replace("\r", ""), named)
    if keystore is not None:
        assert keystore.read_bytes() == KEYSTORE


def test_a_wallet_home_under_a_file_is_named_too(tmp_path: Path) -> None:
    """No mount needed: a file where a folder should be."""
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    env = {**os.environ, "TERMWALLET_HOME": str(blocker / "home")}
    done = subprocess.run(
        [sys.executable, "-m", "tui", "accounts"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode != 0 and "Traceback" not in done.stderr, done.stderr[-3000:]
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and str(blocker / "home") in lines[0] and "TERMWALLET_HOME" in lines[0]
