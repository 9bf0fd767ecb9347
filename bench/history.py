"""History at scale: 100,000 rows in a tmp store, the real app on a real pseudo-terminal.

Prints figures, asserts nothing (targets: first paint <= 0.2 s, filter <= 50 ms, RSS <= 150 MB):

    python3 -m bench.history [--rows 100000] [--runs 5]

- fill: writing the rows (one transaction)
- store_*: the queries behind each figure in SQLite alone (median of 5); store_search_* is what
  the screen runs for a search as typed so far
- on screen, over all runs (bench/terminal.py reads the frames back with a terminal emulator):
  - first paint: pressing 2 (History) until the frame holding the rows (the newest row's hash)
    arrives; first_paint_settled: until the screen has also drawn what it started (the sync,
    failing)
  - for each key, *_shown: until the characters on screen reach their final state; *_settled:
    until the last bytes (a later frame that changes only colours, the scrollbar's, included)
  - filter_*: the d, a and x keys (direction, asset, flagged)
  - search_key: each key of "0xab" and "label 5" typed one at a time into the search field;
    search_clear: ctrl+u, all rows again
  - end: jumping to the last row (a page read at offset ~100k)
- peak RSS of the app's process (wait4)

The session points at a devnet URL where nothing listens, so the sync fails at once (the
screen shows the saved history, as it does offline) and no node time is measured.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.terminal import Terminal
from wallet.store import Store

ASSETS = (
    ("devnet:native", "ETH", 18),
    ("devnet:0x5FbDB2315678afecb367f032d93F642f64180aa3", "DUSD", 6),
    ("devnet:0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512", "DGLD", 18),
    ("devnet:0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0", "WETH", 18),
)


def fill(store: Store, rows: int, account: str, *, seed: int = 1) -> float:
    """`rows` synthetic history rows for `account` (plus labels on 1%); returns seconds."""
    rng = random.Random(seed)
    peers = ["0x" + rng.randbytes(20).hex() for _ in range(5_000)]
    start = 1_704_067_200  # 2024-01-01
    t0 = time.perf_counter()
    db = store.db
    db.execute("BEGIN IMMEDIATE")
    batch: list[tuple[Any, ...]] = []
    notes: list[tuple[Any, ...]] = []
    for n in range(rows):
        asset, symbol, decimals = ASSETS[n % len(ASSETS)]
        direction = rng.choice(("in", "out", "in", "self"))
        kind = "approval" if n % 97 == 0 else "transfer"
        flags = 2 if kind == "approval" else (1 if n % 101 == 0 else 0)
        tx = "0x" + rng.randbytes(32).hex()
        batch.append((
            "devnet", account, tx, -1, kind, direction, asset, symbol, decimals,
            str(rng.randrange(1, 10**decimals * 1000)), rng.choice(peers), "confirmed",
            n, start + n * 600, str(21_000 * 10**9) if direction == "out" else None, None,
            "transfer", 0, flags,
        ))  # fmt: skip
        if n % 100 == 0:
            notes.append(("devnet", tx, f"label {n}", "", "2026-01-01T00:00:00+00:00"))
        if len(batch) == 10_000:
            _insert(db, batch)
            batch.clear()
    _insert(db, batch)
    db.executemany("INSERT INTO history_notes VALUES (?, ?, ?, ?, ?)", notes)
    db.execute("COMMIT")
    return time.perf_counter() - t0


def _insert(db: Any, batch: list[tuple[Any, ...]]) -> None:
    db.executemany(
        "INSERT INTO history(network, account, tx_hash, log_index, kind, direction, asset, "
        "symbol, decimals, amount, counterparty, status, block, ts, fee, nonce, method, "
        "made_here, flags) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        batch,
    )


class _Services:
    demo = False

    def __init__(self, store_path: Path, account: str, rpc_url: str = "http://127.0.0.1:9") -> None:
        self.store_path = store_path
        self.account = account
        self.rpc_url = rpc_url  # by default the discard port: nothing answers

    async def open_session(self) -> Any:
        from chains.networks import devnet
        from wallet.backends import backend_for
        from wallet.session import WalletSession

        network = devnet(self.rpc_url)
        return WalletSession(
            store=Store(self.store_path), network=network, backend=backend_for(network),
            addresses=[self.account], assets=[network.native_asset], signer="watch_only",
        )  # fmt: skip

    async def close(self) -> None:
        return None


def serve(store_path: Path, account: str) -> None:
    """The app the bench drives: the real one, on these services, in this terminal."""
    from tui.app import make_app

    make_app(services=_Services(store_path, account), language="en").run()  # type: ignore[arg-type]


def store_figures(store: Store) -> dict[str, float]:
    """The queries behind each figure, in SQLite alone (median of 5, ms)."""
    from tui.screens.history import SEARCH_ROWS
    from wallet.history.model import HistoryQuery
    from wallet.history.store import HistoryStore

    hs = HistoryStore(store)
    out: dict[str, float] = {}
    cases = {
        "all": HistoryQuery(),
        "out": HistoryQuery(direction="out"),
        "asset": HistoryQuery(asset=ASSETS[1][0]),
        "flagged": HistoryQuery(flagged=True),
    }
    for name, q in cases.items():
        out[f"store_{name}_ms"] = _median_ms(lambda q=q: (hs.count(q), hs.page(q, 0, 100)))
    # What the screen runs for each key of a search (count to a cap, then the first page).
    for text in ("0", "0x", "0xa", "0xab", "label 5"):
        q = HistoryQuery(search=text)

        def screen_query(q: HistoryQuery = q) -> None:
            many = hs.count_upto(q, SEARCH_ROWS) > SEARCH_ROWS
            hs.page(q, 0, 100, many=many)

        out[f"store_search_{text.replace(' ', '_')}_ms"] = _median_ms(screen_query)
    return out


def _median_ms(fn: Callable[[], Any]) -> float:
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def drive(path: Path, account: str, home: Path) -> dict[str, list[float]]:
    """One run of the app on a 100x30 pseudo-terminal: first paint, then keys, each timed
    from writing the key (bench/terminal.py): `shown` when the characters on screen reach
    their final state, `settled` at the last bytes before the output is quiet for 0.3 s (a
    later frame that changes only colours, such as the scrollbar's, counts there)."""
    from wallet.history.model import HistoryQuery
    from wallet.history.store import HistoryStore

    store = Store(path)
    newest = HistoryStore(store).page(HistoryQuery(), 0, 1)[0].tx_hash
    store.close()
    env = {**os.environ, "TERMWALLET_HOME": str(home), "TERM": "xterm-256color"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # a user's install has its bytecode cached
    argv = [sys.executable, "-m", "bench.history", "--serve", str(path), account]
    term = Terminal(argv, env, rows=30, cols=100)
    figures: dict[str, list[float]] = {}

    def add(name: str, seconds: float | None) -> None:
        figures.setdefault(name, []).append(float("nan") if seconds is None else seconds * 1000)

    def key(name: str, keys: bytes) -> None:
        reaction = term.react(keys)
        add(f"{name}_shown_ms", reaction.shown)
        add(f"{name}_settled_ms", reaction.settled)

    try:
        if term.until(b"Network") is None or term.quiet(gap=1.0) is None:
            tail = term.output.decode(errors="replace")[-2000:]
            raise RuntimeError(f"the app never drew its first frame:\n{tail}")
        since = len(term.output)
        sent = term.press(b"2")
        shown = term.until(newest.encode(), since=since)
        add("first_paint_ms", None if shown is None else shown - sent)
        settled = term.quiet()
        add("first_paint_settled_ms", None if settled is None else settled - sent)
        for _ in range(4):
            key("filter_direction", b"d")
        for _ in range(5):
            key("filter_asset", b"a")
        for _ in range(4):
            key("filter_flagged", b"x")
        term.react(b"/")
        for text in (b"0xab", b"label 5"):
            for ch in text:
                key("search_key", bytes([ch]))
            key("search_clear", b"\x15")  # ctrl+u: the field emptied, all rows again
        term.react(b"\x1b")  # escape: back to the table
        key("end", b"\x1b[F")
    finally:
        usage = term.close()
    figures["peak_rss_mb"] = [usage.ru_maxrss / 1024]
    return figures


def run(rows: int, runs: int) -> tuple[dict[str, float], dict[str, list[float]]]:
    with tempfile.TemporaryDirectory(prefix="termwallet-bench-") as tmp:
        path = Path(tmp) / "bench.sqlite3"
        account = "0x9858EfFD232B4033E47d90003D41EC34EcaEda94"
        store = Store(path)
        out = {"fill_s": fill(store, rows, account)}
        out.update(store_figures(store))
        store.close()
        pooled: dict[str, list[float]] = {}
        for n in range(runs + 1):
            home = Path(tmp) / f"home{n}"
            home.mkdir()
            figures = drive(path, account, home)
            if n == 0:
                continue  # warm-up: bytecode caches and the OS page cache
            for name, values in figures.items():
                pooled.setdefault(name, []).extend(values)
    return out, pooled


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5, help="app runs (after one warm-up)")
    parser.add_argument("--serve", nargs=2, metavar=("STORE", "ACCOUNT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(Path(args.serve[0]), args.serve[1])
        return
    store, pooled = run(args.rows, args.runs)
    print(f"history bench, {args.rows:,} rows, {args.runs} runs on a 100x30 pty "
          "(targets: first paint <= 200 ms, filter <= 50 ms, RSS <= 150 MB)")  # fmt: skip
    for name, value in store.items():
        print(f"  {name:<26} {value:10.3f}")
    print(f"  {'on screen':<26} {'median':>10} {'min':>8} {'max':>8} {'n':>4}")
    for name, values in pooled.items():
        ok = [v for v in values if v == v]  # NaN: never seen
        if not ok:
            print(f"  {name:<26} {'never':>10}")
            continue
        unseen = len(values) - len(ok)
        missed = f"  ({unseen} changed no character: a space typed)" if unseen else ""
        print(f"  {name:<26} {statistics.median(ok):10.1f} {min(ok):8.1f} {max(ok):8.1f} "
              f"{len(ok):4d}{missed}")  # fmt: skip


if __name__ == "__main__":
    main()
