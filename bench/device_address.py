"""`termwallet address eth --device ID` against a plain trezorlib script doing the same.

    python3 bench/device_address.py [--runs 15] [--device trezor:udp:127.0.0.1:21324]

Both run as fresh processes (what a user or a script waits for): the plain script imports
trezorlib's UDP transport, connects, opens a session and asks for the address at
m/44'/60'/0'/0/0; termwallet does the same through its CLI, registry and adapter, with an
empty TERMWALLET_HOME (no wallet, so only the device is asked). Runs alternate between the two,
so load on this shared machine hits both alike. Prints medians, the median per-pair ratio
(target: <= 1.3x the plain script) and, for scale, an interpreter that does nothing.

Needs a Trezor One emulator on UDP 127.0.0.1:21324 holding a seed without PIN or passphrase
(see tests/devices/test_trezor.py); without one it says so and exits 0.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EMULATOR = ("127.0.0.1", 21324)

PLAIN = """
from trezorlib import ethereum
from trezorlib.client import AppManifest, get_client
from trezorlib.tools import parse_path
from trezorlib.transport.udp import UdpTransport

transport = UdpTransport.find_by_path("udp:127.0.0.1:21324")
transport.open()
client = get_client(AppManifest(app_name="bench"), transport)
session = client.get_session()
print(ethereum.get_address(session, parse_path("m/44h/60h/0h/0/0")))
session.close()
transport.close()
"""


def emulator_up() -> bool:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.3)
    try:
        s.connect(EMULATOR)
        s.send(b"PINGPING")
        return s.recv(8) == b"PONGPONG"
    except OSError:
        return False
    finally:
        s.close()


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, str]:
    t0 = time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    elapsed = time.perf_counter() - t0
    if done.returncode != 0:
        sys.exit(f"{' '.join(argv[:6])} failed ({done.returncode}):\n{done.stderr}")
    return elapsed, done.stdout.strip()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--device", default=f"trezor:udp:{EMULATOR[0]}:{EMULATOR[1]}")
    args = ap.parse_args()
    if not emulator_up():
        print(
            f"no Trezor emulator answers on UDP {EMULATOR[0]}:{EMULATOR[1]}: start one "
            "(see tests/devices/test_trezor.py) to run this benchmark"
        )
        return 0

    env = {**os.environ, "PYTHONPATH": str(ROOT), "TERMWALLET_HOME": tempfile.mkdtemp()}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # bytecode caches as on a user's machine
    ours = [sys.executable, "-m", "tui", "address", "eth", "--device", args.device]
    plain = [sys.executable, "-c", PLAIN]
    nothing = [sys.executable, "-c", "pass"]

    # Warm-up: writes the bytecode caches, and both must give the same address.
    _, a = timed(ours, env)
    _, b = timed(plain, env)
    if a != b:
        sys.exit(f"the two disagree: termwallet {a!r}, plain trezorlib {b!r}")
    timed(nothing, env)

    t_ours, t_plain, t_nothing, ratios = [], [], [], []
    for _ in range(args.runs):
        p, _ = timed(plain, env)
        o, _ = timed(ours, env)
        n, _ = timed(nothing, env)
        t_plain.append(p)
        t_ours.append(o)
        t_nothing.append(n)
        ratios.append(o / p)
    ms = lambda xs: statistics.median(xs) * 1000  # noqa: E731
    print(f"address {a} from {args.device}, {args.runs} runs each, medians:")
    print(f"  termwallet address eth --device   {ms(t_ours):7.1f} ms")
    print(f"  plain trezorlib script            {ms(t_plain):7.1f} ms")
    print(f"  python -c pass (interpreter only) {ms(t_nothing):7.1f} ms")
    print(
        f"  ratio termwallet / plain          {statistics.median(ratios):7.2f}x  (target <= 1.3x)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
