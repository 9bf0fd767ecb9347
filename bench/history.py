"""History at scale: 100,000 rows in a tmp store, the real History screen in a headless app.

Prints figures, asserts nothing (targets: first paint <= 0.2 s, filter <= 50 ms, RSS <= 150 MB):

    python3 -m bench.history [--rows 100000]

- fill: writing the rows (one transaction)
- first paint: from pressing 2 (History) until the table draws its first row; settled: until
  the screen has also run what it started (the failed sync included)
- filter: a filter key or search text until the refreshed frame (median of 5), and the store's
  COUNT + first page alone
- end: jumping to the last row (a page read at offset ~100k)
- peak RSS of the process (ru_maxrss)

The session points at a devnet URL where nothing listens, so the sync fails at once (the
screen shows the saved history, as it does offline) and no node time is measured.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

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

    def __init__(self, store_path: Path, account: str) -> None:
        self.store_path = store_path
        self.account = account

    async def open_session(self) -> Any:
        from chains.networks import devnet
        from wallet.backends import backend_for
        from wallet.session import WalletSession

        network = devnet("http://127.0.0.1:9")  # the discard port: nothing answers
        return WalletSession(
            store=Store(self.store_path), network=network, backend=backend_for(network),
            addresses=[self.account], assets=[network.native_asset], signer="watch_only",
        )  # fmt: skip

    async def close(self) -> None:
        return None


async def _timed(pilot: Any, act: Callable[[], Awaitable[None] | None]) -> float:
    t0 = time.perf_counter()
    result = act()
    if result is not None:
        await result
    await pilot.pause()  # until the screen has processed and drawn the change
    return time.perf_counter() - t0


async def run(rows: int) -> dict[str, float]:
    from tui.app import make_app
    from tui.screenshots import settle
    from wallet.history import HistoryQuery, HistoryStore

    account = "0x9858EfFD232B4033E47d90003D41EC34EcaEda94"
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="termwallet-bench-") as tmp:
        path = Path(tmp) / "bench.sqlite3"
        store = Store(path)
        out["fill_s"] = fill(store, rows, account)
        hs = HistoryStore(store)
        for name, q in (
            ("all", HistoryQuery()),
            ("out", HistoryQuery(direction="out")),
            ("asset", HistoryQuery(asset=ASSETS[1][0])),
            ("flagged", HistoryQuery(flagged=True)),
            ("search_hash", HistoryQuery(search="0xab")),
            ("search_label", HistoryQuery(search="label 5")),
        ):
            times = []
            for _ in range(5):
                t0 = time.perf_counter()
                hs.count(q)
                hs.page(q, 0, 100)
                times.append(time.perf_counter() - t0)
            out[f"store_{name}_ms"] = statistics.median(times) * 1000
        store.close()

        app = make_app(services=_Services(path, account), language="en")  # type: ignore[arg-type]
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            # First paint: the first time the table draws a line holding a row (the frame
            # the user sees); "settled" also waits for everything the screen started.
            from tui.widgets.history_table import HistoryTable

            drawn: list[float] = []
            original = HistoryTable.render_line

            def spy(self: HistoryTable, y: int) -> Any:
                if not drawn and self.row_count:
                    drawn.append(time.perf_counter())
                return original(self, y)

            HistoryTable.render_line = spy  # type: ignore[method-assign]
            t0 = time.perf_counter()
            out["settled_s"] = await _timed(pilot, lambda: pilot.press("2"))
            HistoryTable.render_line = original  # type: ignore[method-assign]
            out["first_paint_s"] = drawn[0] - t0 if drawn else float("nan")
            screen = app.screen
            await settle(pilot)
            table = screen.query_one("#history-table")
            out["rows_on_screen_table"] = float(table.row_count)
            # What the harness itself costs: a key that changes nothing, then the same wait.
            out["harness_noop_ms"] = (
                statistics.median([await _timed(pilot, lambda: None) for _ in range(5)]) * 1000
            )
            filters = {
                "direction": screen.action_direction,
                "asset": screen.action_asset,
                "flagged": screen.action_flagged,
            }
            for name, action in filters.items():
                times = [await _timed(pilot, action) for _ in range(5)]
                out[f"filter_{name}_ms"] = statistics.median(times) * 1000
            search = screen.query_one("#history-search")

            def typed(text: str) -> Callable[[], None]:
                def go() -> None:
                    search.value = text

                return go

            times = []
            for text in ("0xab", "label 5", "", "0x1", ""):
                times.append(await _timed(pilot, typed(text)))
            out["filter_search_ms"] = statistics.median(times) * 1000
            out["end_ms"] = await _timed(pilot, lambda: pilot.press("end")) * 1000
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    figures = asyncio.run(run(args.rows))
    print(f"history bench, {args.rows:,} rows (targets: first paint <= 0.2 s, "
          "filter <= 50 ms, RSS <= 150 MB)")  # fmt: skip
    for key, value in figures.items():
        print(f"  {key:<24} {value:10.3f}")


if __name__ == "__main__":
    main()
