"""Start-up benchmark: programs on a real pseudo-terminal (80x24), timed by what they write,
as a user would see it. One run of each case in turn, repeated, so the figures of a round
share the machine's load (it is shared and noisy):

- baseline: a one-widget Textual app (a Static in an App), started the same way: first frame.
- termwallet, new user: first frame (the header's "Network").
- termwallet, existing wallet: the unlock prompt ("Unlock termwallet"), which is its first
  frame (the prompt covers the screen, so the header's "Network" is not drawn before it).
- termwallet demo (--demo): first frame and the demo balances ("12.5" ether), with the demo's
  world prepared by an earlier run (wallet/demo_state.py), and on a first run (deployed).

Prints median, min and max of each, and peak RSS (from wait4). Figures only; nothing here
asserts a target.

    python3 -m bench.startup [--runs 7] [--demo]   (from the checkout: bench/terminal.py)
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.terminal import Terminal

# The smallest Textual app that draws something: what "started the same way" is compared to.
ONE_WIDGET = """
from textual.app import App
from textual.widgets import Static

class One(App):
    def compose(self):
        yield Static("Network")

One().run()
"""
PASSWORD = "bench password 1"
PHRASE = " ".join(["abandon"] * 11 + ["about"])  # BIP39's public test phrase


@dataclass
class Case:
    name: str
    argv: list[str]
    markers: dict[str, bytes]  # label -> what on screen means it is there
    env: dict[str, str]
    quit_keys: bytes = b"q"
    fresh_home: bool = False  # a new TERMWALLET_HOME (so an empty cache) for every run
    times: dict[str, list[float]] = field(default_factory=dict)
    rss: list[int] = field(default_factory=list)


_HOMES: list[str] = []  # deleted when the bench ends


def _home() -> str:
    _HOMES.append(tempfile.mkdtemp(prefix="termwallet-bench-"))
    return _HOMES[-1]


def run_once(case: Case, timeout: float = 60.0) -> None:
    env = case.env
    if case.fresh_home:
        env = {**env, "TERMWALLET_HOME": _home()}
    term = Terminal(case.argv, env, rows=24, cols=80)
    deadline = term.started + timeout
    for label, marker in case.markers.items():
        at = term.until(marker, timeout=max(deadline - time.perf_counter(), 0.0))
        if at is not None:
            case.times.setdefault(label, []).append(at - term.started)
    time.sleep(0.3)
    case.rss.append(term.close(case.quit_keys).ru_maxrss)


def existing_wallet(env: dict[str, str]) -> dict[str, str]:
    """A home holding a software wallet (made with `termwallet init --restore`)."""
    home = _home()
    secrets = Path(home) / "in"
    secrets.mkdir()
    (secrets / "phrase").write_text(PHRASE + "\n")
    (secrets / "password").write_text(PASSWORD + "\n")
    wallet_env = {**env, "TERMWALLET_HOME": home}
    subprocess.run(
        [
            *(sys.executable, "-m", "tui", "init", "--restore"),
            *("--mnemonic-file", str(secrets / "phrase")),
            *("--password-file", str(secrets / "password")),
        ],
        check=True,
        env=wallet_env,
        stdout=subprocess.DEVNULL,
    )
    return wallet_env


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--demo", action="store_true", help="also time `termwallet demo`")
    args = ap.parse_args()

    env = {
        **os.environ,
        "TERMWALLET_HOME": _home(),
        "TERM": "xterm-256color",
        "COLUMNS": "80",
        "LINES": "24",
    }
    # As on a user's machine: bytecode caches are written (CI images often forbid it), and one
    # warm-up run below writes them for this checkout before anything is timed.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    frame = b"Network"
    cases = [
        Case(
            "one-widget Textual app",
            [sys.executable, "-c", ONE_WIDGET],
            {"first frame": frame},
            env,
            b"\x03",
        ),
        Case("termwallet (new user)", [sys.executable, "-m", "tui"], {"first frame": frame}, env),
        Case(
            "termwallet (existing wallet)",
            [sys.executable, "-m", "tui"],
            {"first frame": b"Unlock termwallet", "unlock prompt": b"Unlock termwallet"},
            existing_wallet(env),
            b"\x11",  # ctrl+q: the unlock screen takes every other key
        ),
    ]
    if args.demo:
        cases.append(
            Case(
                "termwallet demo",
                [sys.executable, "-m", "tui", "demo"],
                {"first frame": frame, "demo balances": b"12.5"},
                env,
            )
        )
        cases.append(
            Case(
                "termwallet demo, first run",
                [sys.executable, "-m", "tui", "demo"],
                {"first frame": frame, "demo balances": b"12.5"},
                env,
                fresh_home=True,
            )
        )
    for case in cases:  # warm-up: bytecode caches and the OS page cache
        run_once(case)
        case.times.clear()
        case.rss.clear()
    for _ in range(args.runs):
        for case in cases:
            run_once(case)
    for case in cases:
        for label in case.markers:
            ts = case.times.get(label, [])
            if ts:
                print(
                    f"{case.name}: {label}: median {statistics.median(ts):.3f} s "
                    f"(min {min(ts):.3f}, max {max(ts):.3f}, {len(ts)}/{args.runs} runs)"
                )
            else:
                print(f"{case.name}: {label}: never seen")
        print(f"{case.name}: peak RSS: median {statistics.median(case.rss) / 1024:.1f} MiB")
    base = statistics.median(cases[0].times.get("first frame", [float("nan")]))
    for case in cases[1:]:
        ts = case.times.get("first frame")
        if ts:
            print(f"{case.name}: first frame / one-widget app: {statistics.median(ts) / base:.2f}x")


if __name__ == "__main__":
    try:
        main()
    finally:
        for home in _HOMES:
            shutil.rmtree(home, ignore_errors=True)
