"""Sign latency: local vs through the signer agent, on this machine's socket and through a real
`ssh -R` forward with 0, 50 and 200 ms of round-trip delay added on the link.

    ip netns add bench; ip netns exec bench ip link set lo up
    ip netns exec bench python3 bench/agent_latency.py [--n 50]

The signer is the software signer (sign_evm_tx, a 21 000-gas EIP-1559 transfer): a device's
own time would hide what the agent and the link add. The ssh rows run the client on the
"server" side of the test's own sshd (tests/fixtures/sshd.py), as `termwallet ssh` would.
Added delay: `tc qdisc ... netem delay D/2` on lo, which both directions of the ssh TCP
connection cross, so each round trip gets D more. tc changes the whole network namespace's
loopback, so it is used only inside a namespace of its own (and as root); elsewhere a relay
between the forward and the agent delays each chunk by D/2 in each direction instead, and
the output says which. Target (issue 18): through the agent, a signature costs at most one
extra round trip over the link: ssh row ~= local agent row + D.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PHRASE = "legal winner thank year wave sausage worth useful legal winner thank yellow"
PATH = "m/44'/60'/0'/0/0"
DELAYS_MS = (0, 50, 200)


def _tx() -> Any:
    from devices.models import EvmTx

    return EvmTx(
        chain_id=31337,
        nonce=0,
        gas=21_000,
        to="0x" + "35" * 20,
        value=10**15,
        max_fee_per_gas=2 * 10**9,
        max_priority_fee_per_gas=10**9,
    )


def _median_ms(fn: Callable[[], object], n: int) -> float:
    fn()  # warm up (imports, the first derivation)
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


# --- the server side: run over ssh ------------------------------------------------------------


def client(n: int) -> None:
    """On the "server": open the agent's device through the forwarded socket (the
    environment `termwallet ssh` sets) and time n signatures. Prints JSON."""
    from devices import registry

    t0 = time.perf_counter()
    found = registry.discover_for("agent")
    signer = registry.open_entry(registry.find("agent", found), None)
    opened = (time.perf_counter() - t0) * 1000
    tx = _tx()
    sign = _median_ms(lambda: signer.sign_evm_tx(PATH, tx), n)
    signer.close()
    print(json.dumps({"open_ms": opened, "sign_ms": sign}))


# --- the laptop side ----------------------------------------------------------------------------


def _own_netns() -> str | None:
    """The name of the network namespace this runs in (`ip netns identify`), None when it is
    the machine's own (or cannot be told: /proc/1/ns is closed in containers)."""
    if shutil.which("ip") is None:
        return None
    found = subprocess.run(
        ["ip", "netns", "identify", str(os.getpid())], capture_output=True, text=True
    )
    return found.stdout.strip() or None


def _netem_usable() -> str | None:
    if os.geteuid() != 0:
        return "not root"
    if shutil.which("tc") is None:
        return "tc is not installed"
    if not _own_netns():
        return "not in a network namespace of its own (tc on lo would slow the whole machine)"
    probe = subprocess.run(
        ["tc", "qdisc", "replace", "dev", "lo", "root", "netem", "delay", "0ms"],
        capture_output=True,
        text=True,
    )
    if probe.returncode != 0:
        return f"tc netem failed: {probe.stderr.strip()}"
    subprocess.run(["tc", "qdisc", "del", "dev", "lo", "root"], capture_output=True)
    return None


@contextmanager
def _netem(delay_ms: int) -> Iterator[None]:
    half = delay_ms / 2
    subprocess.run(
        ["tc", "qdisc", "replace", "dev", "lo", "root", "netem", "delay", f"{half}ms"],
        check=True,
    )
    try:
        yield
    finally:
        subprocess.run(["tc", "qdisc", "del", "dev", "lo", "root"], capture_output=True)


class DelayRelay:
    """A Unix-socket relay that holds each chunk D/2 before passing it on, in each direction
    (the fallback where tc cannot be used). Timestamps, not sleeps per chunk in a row: a
    chunk that arrives while another waits is not delayed twice."""

    def __init__(self, listen: Path, target: Path, delay_ms: float) -> None:
        self.listen, self.target, self.delay = listen, target, delay_ms / 2000
        self.sock = socket.socket(socket.AF_UNIX)
        old = os.umask(0o177)  # 0600, as the agent's own socket
        try:
            self.sock.bind(str(listen))
        finally:
            os.umask(old)
        self.sock.listen(8)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                a, _ = self.sock.accept()
            except OSError:
                return
            b = socket.socket(socket.AF_UNIX)
            b.connect(str(self.target))
            for src, dst in ((a, b), (b, a)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        import queue

        q: queue.Queue[tuple[float, bytes]] = queue.Queue()

        def send() -> None:
            while True:
                due, data = q.get()
                wait = due - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                if not data:  # pass the end on as a half-close, as a socket would
                    with contextlib.suppress(OSError):
                        dst.shutdown(socket.SHUT_WR)
                    return
                try:
                    dst.sendall(data)
                except OSError:
                    return

        threading.Thread(target=send, daemon=True).start()
        while True:
            try:
                data = src.recv(65536)
            except OSError:
                data = b""
            q.put((time.monotonic() + self.delay, data))
            if not data:
                return

    def close(self) -> None:
        self.sock.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=30, help="signatures per row (median)")
    parser.add_argument("--client", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        client(args.n)
        return 0

    from devices import registry
    from devices.agent_server import AgentConfig, SignerAgent
    from devices.emulator import SoftwareSigner
    from tests.fixtures.sshd import running_sshd, sshd_missing

    tx = _tx()
    sw = SoftwareSigner.from_mnemonic(PHRASE)
    local = _median_ms(lambda: sw.sign_evm_tx(PATH, tx), args.n)
    print(f"{'local software signer':38} {local:8.2f} ms")

    work = Path(tempfile.mkdtemp(prefix="termwallet-bench-"))
    secret = os.urandom(32)
    config = AgentConfig(
        secret=secret,
        directory=work / "agent",
        software=lambda: SoftwareSigner.from_mnemonic(PHRASE),
        discover=registry.Discovery,
    )
    try:
        with SignerAgent(config) as agent:
            os.environ["TERMWALLET_AGENT_SOCK"] = str(agent.socket_path)
            os.environ["TERMWALLET_AGENT_SECRET"] = secret.hex()
            signer = registry.open_entry(
                registry.find("agent", registry.discover_for("agent")), None
            )
            via = _median_ms(lambda: signer.sign_evm_tx(PATH, tx), args.n)
            signer.close()
            print(f"{'agent, same machine (Unix socket)':38} {via:8.2f} ms")
            why = sshd_missing()
            if why:
                print(f"ssh rows skipped: {why}")
                return 0
            no_netem = _netem_usable()
            how = "tc netem on lo" if no_netem is None else f"delaying relay ({no_netem})"
            print(f"added round-trip delay by: {how}")
            (work / "sshd").mkdir()
            with running_sshd(work / "sshd") as server:
                for delay in DELAYS_MS:
                    target = agent.socket_path
                    relay = None
                    if no_netem is not None and delay:
                        relay = DelayRelay(work / f"relay-{delay}.sock", target, delay)
                        target = relay.listen
                    remote = f"/tmp/termwallet-bench-{os.urandom(8).hex()}.sock"
                    command = " ".join(
                        [
                            f"TERMWALLET_AGENT_SOCK={remote}",
                            f"TERMWALLET_AGENT_SECRET={secret.hex()}",
                            f"PYTHONPATH={shlex.quote(str(ROOT))}",
                            shlex.quote(sys.executable),
                            shlex.quote(str(Path(__file__).resolve())),
                            "--client",
                            "--n",
                            str(args.n),
                            f"; rm -f {remote}",
                        ]
                    )
                    argv = [
                        "ssh",
                        *server.ssh_options,
                        "-R",
                        f"{remote}:{target}",
                        "-o",
                        "ExitOnForwardFailure=yes",
                        server.host,
                        command,
                    ]
                    with _netem(delay) if no_netem is None else _nothing():
                        t0 = time.perf_counter()
                        done = subprocess.run(argv, capture_output=True, text=True, timeout=600)
                        total = time.perf_counter() - t0
                    if relay is not None:
                        relay.close()
                    if done.returncode != 0:
                        print(f"ssh +{delay} ms failed: {done.stderr.strip()[-300:]}")
                        continue
                    got = json.loads(done.stdout.strip().splitlines()[-1])
                    extra = got["sign_ms"] - via
                    print(
                        f"{'ssh -R, +' + str(delay) + ' ms round trip':38} "
                        f"{got['sign_ms']:8.2f} ms  (over agent on this machine: "
                        f"{extra:+.2f} ms; first open {got['open_ms']:.0f} ms; "
                        f"whole ssh run {total:.1f} s)"
                    )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


@contextmanager
def _nothing() -> Iterator[None]:
    yield


if __name__ == "__main__":
    raise SystemExit(main())
