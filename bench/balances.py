"""Balances benchmark: 50 accounts x 20 tokens (plus ETH) against anvil behind a local proxy
that adds latency to every HTTP request, as a remote node would.

Prints, per strategy, the HTTP round trips and the median / min / max wall time over --runs:
- one JSON-RPC batch holding every call (what the wallet does by default);
- batches of N calls sent concurrently, all pinned to one block read first.

Figures only; nothing here asserts a target (the machines are shared and noisy).

    python bench/balances.py [--latency-ms 50] [--runs 5] [--accounts 50] [--tokens 20]
"""

from __future__ import annotations

import argparse
import asyncio
import http.server
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chains.devnet.anvil import Anvil
from chains.devnet.artifacts import load_artifact
from chains.devnet.deploy import connect
from chains.evm import EvmBackend
from chains.models import Asset
from chains.networks import devnet


class LatencyProxy:
    """Forwards POSTs to the node after `delay` seconds; counts them."""

    def __init__(self, upstream: str, delay: float) -> None:
        self.requests = 0
        self.bytes_out = 0
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                proxy.requests += 1
                body = self.rfile.read(int(self.headers["Content-Length"]))
                time.sleep(delay)
                req = urllib.request.Request(upstream, body, {"Content-Type": "application/json"})
                with urllib.request.urlopen(req, timeout=60) as r:
                    data = r.read()
                proxy.bytes_out += len(data)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def deploy_tokens(rpc_url: str, n: int) -> list[Asset]:
    w3 = connect(rpc_url)
    w3.eth.default_account = w3.eth.accounts[0]
    art = load_artifact("DemoToken")
    factory = w3.eth.contract(abi=list(art.abi), bytecode=art.bytecode)
    out = []
    for i in range(n):
        tx = factory.constructor(f"Bench {i}", f"B{i}", 18, 10**30).transact()
        addr = w3.eth.wait_for_transaction_receipt(tx, poll_latency=0.01)["contractAddress"]
        out.append(
            Asset(network="devnet", symbol=f"B{i}", name=f"Bench {i}", decimals=18, contract=addr)
        )
    # Give every account a balance in a few tokens, so the answers are not all zero.
    return out


async def measure(
    url: str,
    addresses: list[str],
    assets: list[Asset],
    batch: int | None,
    proxy: LatencyProxy,
    runs: int,
) -> tuple[int, list[float], int]:
    times = []
    trips = 0
    count = 0
    for _ in range(runs):
        backend = EvmBackend(devnet(url), timeout=60)
        before = proxy.requests
        t0 = time.perf_counter()
        balances = await backend.balances(addresses, assets, batch_size=batch)
        times.append(time.perf_counter() - t0)
        trips = proxy.requests - before
        count = len(balances)
        await backend.aclose()
    return trips, times, count


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--latency-ms", type=float, default=50.0)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--accounts", type=int, default=50)
    ap.add_argument("--tokens", type=int, default=20)
    ap.add_argument("--batches", default="none,100,250,500")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp, Anvil(Path(tmp)) as node:
        tokens = deploy_tokens(node.rpc_url, args.tokens)
        assets = [Asset(network="devnet", symbol="ETH", name="Ether", decimals=18), *tokens]
        w3 = connect(node.rpc_url)
        addresses = [w3.eth.accounts[0]] + [
            f"0x{0xB0B0000 + i:040x}" for i in range(args.accounts - 1)
        ]
        proxy = LatencyProxy(node.rpc_url, args.latency_ms / 1000)
        calls = len(addresses) * len(assets)
        print(
            f"{len(addresses)} accounts x {len(assets)} assets = {calls} balance calls, "
            f"+{args.latency_ms:g} ms per HTTP request, {args.runs} runs each"
        )
        print(f"{'strategy':28} {'round trips':>11} {'median s':>9} {'min s':>7} {'max s':>7}")
        try:
            for spec in args.batches.split(","):
                batch = None if spec == "none" else int(spec)
                trips, times, count = asyncio.run(
                    measure(proxy.url, addresses, assets, batch, proxy, args.runs)
                )
                assert count == calls
                name = "one batch" if batch is None else f"batches of {batch}, concurrent"
                print(
                    f"{name:28} {trips:>11} {statistics.median(times):>9.3f} "
                    f"{min(times):>7.3f} {max(times):>7.3f}"
                )
        finally:
            proxy.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
