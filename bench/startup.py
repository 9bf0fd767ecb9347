"""Start-up benchmark: launch `python -m tui` on a real pseudo-terminal (80x24) and time the
first frame, i.e. the first output that holds the rendered header, as a user would see it.

Prints, over several runs: median and min/max time to first frame, and peak RSS (from
wait4). For the demo it also times until the balances read from the devnet are on screen.
Figures only; nothing here asserts a target (the machines are shared and noisy).

    python bench/startup.py [--runs 7] [--demo]
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import select
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time


def run_once(
    argv: list[str], markers: list[bytes], env: dict[str, str], timeout: float = 60.0
) -> tuple[list[float | None], int]:
    """Seconds from spawn to the first appearance of each marker; peak RSS in KiB."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        argv,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        start_new_session=True,
        close_fds=True,
    )
    os.close(slave)
    seen: list[float | None] = [None] * len(markers)
    usage = None
    buf = b""
    deadline = t0 + timeout
    try:
        while None in seen and time.perf_counter() < deadline:
            r, _, _ = select.select([master], [], [], 0.05)
            if not r:
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            buf += chunk
            now = time.perf_counter() - t0
            for i, m in enumerate(markers):
                if seen[i] is None and m in buf:
                    seen[i] = now
        time.sleep(0.3)
        os.write(master, b"q")
        end = time.perf_counter() + 10
        usage = None
        # Reap with wait4 ourselves (not Popen.poll) to get the child's resource usage.
        while time.perf_counter() < end and usage is None:
            r, _, _ = select.select([master], [], [], 0.1)
            if r:
                try:
                    os.read(master, 65536)
                except OSError:
                    pass
            pid, _, ru = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                usage = ru
    finally:
        if usage is None:
            os.killpg(proc.pid, signal.SIGTERM)
            _, _, usage = os.wait4(proc.pid, 0)
        proc.returncode = 0  # reaped above; keep Popen from waiting again
        os.close(master)
    return seen, usage.ru_maxrss


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--demo", action="store_true", help="also time `termwallet demo`")
    args = ap.parse_args()

    home = tempfile.mkdtemp(prefix="termwallet-bench-")
    env = {
        **os.environ,
        "TERMWALLET_HOME": home,
        "TERM": "xterm-256color",
        "COLUMNS": "80",
        "LINES": "24",
    }
    # As on a user's machine: bytecode caches are written (CI images often forbid it), and one
    # warm-up run below writes them for this checkout before anything is timed.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    cases = [("termwallet (new user)", [sys.executable, "-m", "tui"], [b"Network"])]
    if args.demo:
        cases.append(
            ("termwallet demo", [sys.executable, "-m", "tui", "demo"], [b"Network", b"12.5"])
        )
    baseline = [sys.executable, "-c", "import textual.app"]
    base = []
    for _ in range(args.runs):
        t = time.perf_counter()
        subprocess.run(baseline, check=True, env=env)
        base.append(time.perf_counter() - t)
    print(f"baseline: python -c 'import textual.app': median {statistics.median(base):.3f} s")
    for name, argv, markers in cases:
        run_once(argv, markers, env)  # warm-up: bytecode caches and the OS page cache
        times: list[list[float]] = [[] for _ in markers]
        rss = []
        for _ in range(args.runs):
            seen, maxrss = run_once(argv, markers, env)
            for i, s in enumerate(seen):
                if s is not None:
                    times[i].append(s)
            rss.append(maxrss)
        for marker, ts in zip(markers, times, strict=True):
            label = "first frame" if marker == b"Network" else f"'{marker.decode()}' on screen"
            if ts:
                print(
                    f"{name}: {label}: median {statistics.median(ts):.3f} s "
                    f"(min {min(ts):.3f}, max {max(ts):.3f}, {len(ts)}/{args.runs} runs)"
                )
            else:
                print(f"{name}: {label}: never seen")
        print(f"{name}: peak RSS: median {statistics.median(rss) / 1024:.1f} MiB")


if __name__ == "__main__":
    main()
