"""Our overhead per device call over the raw library call, against the live emulators.

    python3 bench/device_calls.py [--n 200]   (not "devices.py": run as a script, that
    name would shadow the devices package)
Trezor: TrezorSigner.get_address vs trezorlib.ethereum.get_address on the same session
(Trezor One emulator, UDP 127.0.0.1:21324). Ledger: LedgerSigner.get_address vs the same APDU
through ledgerwallet's raw_exchange (speculos at $TERMWALLET_SPECULOS). Target: <= 10 %.
Prints medians; a missing emulator is reported and skipped.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Run as a script, the repository root is not on sys.path: put it there for `devices`.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PATH = "m/44'/60'/0'/0/0"


def _median_ms(fn: Callable[[], object], n: int) -> float:
    fn()  # warm up
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def _report(name: str, ours: float, raw: float) -> None:
    print(
        f"{name:8} ours {ours:8.3f} ms  raw {raw:8.3f} ms  overhead {100 * (ours / raw - 1):6.1f} %"
    )


def _paired(raw: Any, ours: Any, n: int) -> tuple[float, float, float]:
    """Alternate one raw call and one of ours, n times: load on this shared machine then hits
    both sides alike. Returns the medians (ms) and the median of the per-pair ratios."""
    raws, ourss, ratios = [], [], []
    for _ in range(n):
        t0 = time.perf_counter()
        raw()
        t1 = time.perf_counter()
        ours()
        t2 = time.perf_counter()
        raws.append(t1 - t0)
        ourss.append(t2 - t1)
        ratios.append((t2 - t1) / (t1 - t0))
    return (
        statistics.median(ourss) * 1000,
        statistics.median(raws) * 1000,
        statistics.median(ratios),
    )


def bench_trezor(n: int) -> None:
    from trezorlib import ethereum
    from trezorlib.tools import parse_path
    from trezorlib.transport.udp import UdpTransport

    from devices.thread import OnDeviceThread
    from devices.trezor import TrezorSigner

    try:
        signer = TrezorSigner(UdpTransport("127.0.0.1:21324"))
        signer.get_address("eth", PATH)
    except Exception as exc:
        print(f"trezor   skipped: no emulator ({type(exc).__name__})")
        return
    session = signer._session_for_wallet()
    n_path = parse_path(PATH)
    on_thread = OnDeviceThread(signer)

    def raw() -> object:
        return ethereum.get_address(session, n_path)

    for name, ours in (
        ("adapter", lambda: signer.get_address("eth", PATH)),
        ("+thread", lambda: on_thread.get_address("eth", PATH)),  # how the app calls it
    ):
        for _ in range(2):
            o, r, ratio = _paired(raw, ours, n)
            print(
                f"trezor {name:8} ours {o:7.3f} ms  raw {r:7.3f} ms  "
                f"overhead (median of pairs) {100 * (ratio - 1):6.1f} %"
            )
    signer.close()


def bench_ledger(n: int) -> None:
    addr = os.environ.get("TERMWALLET_SPECULOS")
    if not addr:
        print("ledger   skipped: set TERMWALLET_SPECULOS=127.0.0.1:APDU_PORT")
        return
    from devices.ledger import LedgerSigner, _path_bytes, tcp_device

    signer = LedgerSigner(tcp_device(addr))
    data = _path_bytes(PATH)
    apdu = bytes([0xE0, 0x02, 0, 0, len(data)]) + data
    client = signer._client
    for _ in range(2):
        raw = _median_ms(lambda: client.raw_exchange(apdu), n)
        ours = _median_ms(lambda: signer.get_address("eth", PATH), n)
        _report("ledger", ours, raw)
    signer.close()


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=200)
    a = ap.parse_args()
    bench_trezor(a.n)
    bench_ledger(a.n)
