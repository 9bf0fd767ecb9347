"""Coin selection time: branch-and-bound (Bitcoin Core's search, bounded at 100 000 tries)
then largest-first, for wallets of 10 to 2 000 coins, when a changeless set exists and when
none does (the search runs to its bound or exhausts the tree, then falls back).

    python3 bench/coin_selection.py [--runs 20]

Target: a send's review is not held up by selection: well under 100 ms at 2 000 coins.
Figures are printed, never asserted (timing depends on the machine).
"""

from __future__ import annotations

import argparse
import hashlib
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from chains.coin_selection import Coin, estimate_vsize, select_coins  # noqa: E402

WPKH = b"\x00\x14" + bytes(20)
PUB = b"\x02" + bytes(32)
RATE = 5


def _coins(n: int, rng: random.Random) -> list[Coin]:
    out = []
    for i in range(n):
        txid = hashlib.sha256(i.to_bytes(4, "big")).hexdigest()
        value = rng.randint(10_000, 5_000_000)
        out.append(Coin(txid, 0, value, 100, WPKH, "p2wpkh", (0,), PUB))
    return out


def _time(coins: list[Coin], amount: int, runs: int) -> tuple[float, int, int]:
    times = []
    sel = None
    for _ in range(runs):
        t0 = time.perf_counter()
        sel = select_coins(coins, [(WPKH, amount)], RATE, WPKH, dust_limit=294, symbol="BTC")
        times.append(time.perf_counter() - t0)
    assert sel is not None
    return statistics.median(times) * 1000, len(sel.coins), sel.change


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()
    rng = random.Random(329)
    print(f"{'coins':>6} {'case':<12} {'median ms':>10} {'inputs':>7} {'change':>10}")
    for n in (10, 100, 500, 2000):
        coins = _coins(n, rng)
        pick = rng.sample(coins, 3)
        exact = sum(c.value for c in pick) - estimate_vsize(["p2wpkh"] * 3, [WPKH]) * RATE
        for case, amount in (("exact set", exact), ("odd amount", exact // 3 + 12_345)):
            ms, inputs, change = _time(coins, amount, args.runs)
            print(f"{n:>6} {case:<12} {ms:>10.2f} {inputs:>7} {change:>10}")


if __name__ == "__main__":
    main()
