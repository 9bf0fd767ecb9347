"""SIGTERM and SIGHUP (`kill`, a dropped SSH connection, a closed terminal window) end the real
app like `q` does: the terminal restored, the demo's anvil stopped, its folder deleted, the
store closed. Each test runs `termwallet` on a real pseudo-terminal and signals the process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pyte
import pytest

from bench.terminal import Terminal

# What a terminal is in before any program touches it (pyte's defaults): autowrap on and the
# cursor shown; no alternate screen, mouse reporting, bracketed paste or focus events.
PRISTINE = pyte.Screen(80, 24).mode


def _children(pid: int) -> list[int]:
    """Processes whose parent is `pid` (here: the demo's anvil)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # "pid (comm) state ppid ...": comm may hold spaces, so split after its ")".
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.fixture
def tmpdir_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    tmp = tmp_path / "tmp"  # the demo makes its termwallet-demo-* folder here
    tmp.mkdir()
    yield {**os.environ, "TERM": "xterm-256color", "TMPDIR": str(tmp)}


def _start_demo(env: dict[str, str]) -> tuple[Terminal, list[int]]:
    term = Terminal([sys.executable, "-m", "tui", "demo"], env)
    # The balances are on screen: anvil runs and the demo is deployed.
    assert term.until(b"DUSD", timeout=60) is not None, term.output[-800:]
    anvils = _children(term.proc.pid)
    assert anvils, "the demo runs its anvil as a child"
    return term, anvils


def _listening_ports(pid: int) -> set[int]:
    """Loopback TCP ports on which process `pid` itself (not its children) listens."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    ports = set()
    for line in Path(f"/proc/{pid}/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, state, inode = fields[1], fields[3], fields[9]
        if state == "0A" and inode in inodes and local.startswith("0100007F:"):
            ports.add(int(local.split(":")[1], 16))
    return ports


def _refused(port: int) -> bool:
    import socket

    with socket.socket() as probe:
        probe.settimeout(2)
        return probe.connect_ex(("127.0.0.1", port)) != 0


def _drain(term: Terminal) -> None:
    """Read what the program writes until it closes the terminal."""
    while term._read(0.2) is not None or term.proc.poll() is None:
        pass


def _left_behind(anvils: list[int], tmp: Path) -> tuple[list[int], list[str]]:
    survivors = [pid for pid in anvils if _alive(pid)]
    for pid in survivors:  # never leave an orphan behind this test, whatever it found
        os.kill(pid, signal.SIGKILL)
    return survivors, sorted(p.name for p in tmp.glob("termwallet-demo-*"))


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_a_signal_ends_the_demo_cleanly(signum: int, tmpdir_env: dict[str, str]) -> None:
    term, anvils = _start_demo(tmpdir_env)
    assert list(Path(tmpdir_env["TMPDIR"]).glob("termwallet-demo-*"))
    # The demo's own helpdesk and mail sink (wallet/demo_support.py) listen in the app itself.
    support_ports = _listening_ports(term.proc.pid)
    assert len(support_ports) >= 2, support_ports
    try:
        os.kill(term.proc.pid, signum)
        # Read the terminal while the app ends, as a real one does: the app's restoring bytes
        # can fill the pty's buffer, and a test that only waited would hang it (seen under
        # load). 60 s is a guard against a hang, not a speed target.
        deadline = time.monotonic() + 60
        while term._read(0.2) is not None or term.proc.poll() is None:
            assert time.monotonic() < deadline, "the demo did not end within 60 s of the signal"
    finally:
        survivors, folders = _left_behind(anvils, Path(tmpdir_env["TMPDIR"]))
        if term.proc.poll() is None:
            term.proc.kill()
        term.proc.wait()
        os.close(term.master)
    assert term.proc.returncode == 128 + signum  # ended by the signal, as a shell reports it
    assert survivors == [], "anvil outlived the demo"
    assert folders == [], "the demo's folder was left in the temp dir"
    assert all(_refused(p) for p in support_ports), "the demo's helpdesk outlived it"
    term.text()  # every byte written, through the emulator
    modes = term.screen.mode
    assert modes == PRISTINE, {
        "left set": sorted(m >> 5 for m in modes - PRISTINE),
        "left reset": sorted(m >> 5 for m in PRISTINE - modes),
    }


def test_sighup_after_the_terminal_is_gone_still_cleans_up(tmpdir_env: dict[str, str]) -> None:
    """What a closed window or a dropped SSH connection does: the terminal disappears, then
    the signal comes, and writing the restoring bytes fails."""
    term, anvils = _start_demo(tmpdir_env)
    os.close(term.master)
    try:
        os.kill(term.proc.pid, signal.SIGHUP)
        term.proc.wait(timeout=60)
    finally:
        survivors, folders = _left_behind(anvils, Path(tmpdir_env["TMPDIR"]))
        if term.proc.poll() is None:
            term.proc.kill()
        term.proc.wait()
    assert term.proc.returncode == 128 + signal.SIGHUP
    assert survivors == []
    assert folders == []


def test_sigterm_closes_the_users_store(termwallet_home: Path) -> None:
    """The user's wallet: SQLite removes its write-ahead log when the last connection closes,
    so a -wal file left next to the database is a store that was never closed."""
    env = {**os.environ, "TERM": "xterm-256color"}
    term = Terminal([sys.executable, "-m", "tui"], env)
    database = termwallet_home / "data" / "termwallet.sqlite3"
    wal = database.with_name(database.name + "-wal")
    try:
        assert term.until(b"Welcome", timeout=60) is not None, term.output[-800:]
        assert wal.exists(), "the store is open (in WAL mode) once the first-run screen shows"
        os.kill(term.proc.pid, signal.SIGTERM)
        term.proc.wait(timeout=60)
        _drain(term)
    finally:
        if term.proc.poll() is None:
            term.proc.kill()
        term.proc.wait()
        os.close(term.master)
    assert term.proc.returncode == 128 + signal.SIGTERM
    assert database.exists() and not wal.exists()
    term.text()
    assert term.screen.mode == PRISTINE


def test_the_terminal_gone_without_a_signal_ends_the_app_as_a_hangup(
    tmpdir_env: dict[str, str],
) -> None:
    """A terminal can disappear without a SIGHUP reaching the app (it was not the terminal's
    controlling process: started with setsid, from a multiplexer or a service; this test's
    pseudo-terminal is the same). Seen before the fix: Textual's input thread read end-of-file
    in a loop at 100 % of a core, and once its writer had died on the dead terminal the event
    loop blocked on a full queue, so even SIGTERM no longer ended it; the demo's anvil and the
    store stayed held for good. Now a hung-up terminal ends the app as SIGHUP does."""
    term, anvils = _start_demo(tmpdir_env)
    os.close(term.master)
    try:
        term.proc.wait(timeout=60)  # a guard against a hang, not a speed target
    except subprocess.TimeoutExpired:
        pass
    finally:
        survivors, folders = _left_behind(anvils, Path(tmpdir_env["TMPDIR"]))
        alive = term.proc.poll() is None
        if alive:
            term.proc.kill()
        term.proc.wait()
    assert not alive, "the app kept running after its terminal was gone"
    assert term.proc.returncode == 128 + signal.SIGHUP
    assert survivors == []
    assert folders == []


def test_a_signal_as_soon_as_anvil_runs_still_stops_it(tmpdir_env: dict[str, str]) -> None:
    """The demo spawns anvil before its first frame (wallet/demo_devnet.py): a signal in that
    first moment, before the session waited for anvil or the app drew anything, still stops
    it and deletes the folder."""
    term = Terminal([sys.executable, "-m", "tui", "demo"], tmpdir_env)
    anvils: list[int] = []
    try:
        deadline = time.monotonic() + 60  # a guard against a hang, not a speed target
        while not anvils:
            assert term.proc.poll() is None, term.output[-800:]
            assert time.monotonic() < deadline, "the demo never started anvil"
            anvils = _children(term.proc.pid)
            time.sleep(0.005)
        os.kill(term.proc.pid, signal.SIGTERM)
        while term._read(0.2) is not None or term.proc.poll() is None:
            assert time.monotonic() < deadline, "the demo did not end after the signal"
    finally:
        survivors, folders = _left_behind(anvils, Path(tmpdir_env["TMPDIR"]))
        if term.proc.poll() is None:
            term.proc.kill()
        term.proc.wait()
        os.close(term.master)
    assert term.proc.returncode == 128 + signal.SIGTERM
    assert survivors == [], "anvil outlived the demo"
    assert folders == [], "the demo's folder was left in the temp dir"
    term.text()
    assert term.screen.mode == PRISTINE
