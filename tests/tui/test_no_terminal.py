"""Without a terminal (`ssh host termwallet` without -t, a pipe, cron) the full-screen app
refuses in one line that says what to do, exit 2, and starts nothing."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest


def _run(
    argv: list[str], tmp: Path, *, stdin_tty: bool, stdout_tty: bool
) -> tuple[int, str, bytes]:
    """`python -m tui ARGV` with stdin and stdout each a pipe or a pseudo-terminal; its exit
    status, stderr and what reached stdout."""
    master, slave = pty.openpty()
    out_r, out_w = os.pipe()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tui", *argv],
            stdin=slave if stdin_tty else subprocess.DEVNULL,
            stdout=slave if stdout_tty else out_w,
            stderr=subprocess.PIPE,
            env={**os.environ, "TERM": "xterm-256color", "TMPDIR": str(tmp)},
        )
        os.close(out_w)
        out_w = -1
        try:
            _, err = proc.communicate(timeout=30)  # a guard: the old app waited for keys forever
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        stdout = b""
        if not stdout_tty:
            while chunk := os.read(out_r, 65536):
                stdout += chunk
        return proc.returncode, err.decode(), stdout
    finally:
        for fd in (master, slave, out_r, out_w):
            if fd >= 0:
                os.close(fd)


@pytest.mark.parametrize("argv", [[], ["demo"]], ids=["wallet", "demo"])
@pytest.mark.parametrize(
    "stdin_tty,stdout_tty",
    [(False, False), (True, False), (False, True)],
    ids=["ssh-without-t", "piped-output", "no-input"],
)
def test_the_app_refuses_without_a_terminal(
    argv: list[str], stdin_tty: bool, stdout_tty: bool, tmp_path: Path, termwallet_home: Path
) -> None:
    code, err, out = _run(argv, tmp_path, stdin_tty=stdin_tty, stdout_tty=stdout_tty)
    assert code == 2, err[-2000:]
    assert out == b"", "no escape codes into a pipe"
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("termwallet: "), err[-2000:]
    assert "ssh -t" in lines[0] and "termwallet --help" in lines[0]
    assert list(tmp_path.iterdir()) == [], "the demo made no folder"
    assert not termwallet_home.exists(), "nothing of the wallet was made"


def test_the_refusal_is_in_the_users_language(tmp_path: Path) -> None:
    code, err, _ = _run(["--lang", "zh-CN"], tmp_path, stdin_tty=False, stdout_tty=False)
    assert code == 2
    assert "全屏界面需要终端" in err and "ssh -t" in err
