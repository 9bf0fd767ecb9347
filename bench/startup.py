"""Start-up benchmark: launch `python -m tui` on a real pseudo-terminal (80x24) and time the
first frame, i.e. the first output that holds the rendered header, as a user would see it.

Prints, over several runs: median and min/max time to first frame, and peak RSS (from
wait4). For the demo it also times until the balances read from the devnet are on screen.
Figures only; nothing here asserts a target (the machines are shared and noisy).

    python3 -m bench.startup [--runs 7] [--demo]   (from the checkout: bench/terminal.py)
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

from bench.terminal import Terminal


def run_once(
    argv: list[str], markers: list[bytes], env: dict[str, str], timeout: float = 60.0
) -> tuple[list[float | None], int]:
    """Seconds from spawn to the first appearance of each marker; peak RSS in KiB."""
    term = Terminal(argv, env, rows=24, cols=80)
    seen: list[float | None] = []
    deadline = term.started + timeout
    for marker in markers:
        at = term.until(marker, timeout=max(deadline - time.perf_counter(), 0.0))
        seen.append(None if at is None else at - term.started)
    time.sleep(0.3)
    return seen, term.close().ru_maxrss


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
