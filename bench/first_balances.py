"""First balances of a wallet over a slow link: 5 Bitcoin-like accounts (Electrum over TLS,
trusted on first use) + 20 ERC-20 tokens and ETH (JSON-RPC), and their prices (one request),
each behind a TCP relay that delays every byte by half the round trip each way (a 100 ms
link by default), as the wallet reads them at start-up: the three side by side.

Prints the round trips (Electrum lines sent, HTTP requests) and seconds per part and for the
whole, cold (first connection, TLS handshakes, certificate pinning) and warm (connections
kept). Figures only; nothing asserts a target (the machines are shared and noisy).

The Bitcoin-like accounts are Litecoin regtest (litecoind + ElectrumX from the test fixtures:
no bitcoind here); the Electrum protocol, the batching and the TLS path are the same for
Bitcoin. The price API is a local server in CoinGecko's /simple/price shape.

    python bench/first_balances.py [--rtt-ms 100] [--accounts 5] [--tokens 20] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

MNEMONIC = "legal winner thank year wave sausage worth useful legal winner thank yellow"


class SlowLink:
    """A TCP relay on 127.0.0.1 delaying each chunk by `one_way` seconds in each direction,
    keeping order and pipelining (a chunk leaves `one_way` after it arrived, not after the
    previous one left): what a long link does, not a slow server. Counts connections."""

    def __init__(self, target: tuple[str, int], one_way: float) -> None:
        self.target, self.one_way = target, one_way
        self.connections = 0
        self._server: asyncio.AbstractServer | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _pipe(self, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()
        loop = asyncio.get_running_loop()

        async def deliver() -> None:
            while True:
                due, data = await queue.get()
                if not data:
                    break
                await asyncio.sleep(max(0.0, due - loop.time()))
                w.write(data)
                await w.drain()
            with contextlib.suppress(Exception):
                w.close()

        sender = asyncio.create_task(deliver())
        try:
            while data := await r.read(65536):
                queue.put_nowait((loop.time() + self.one_way, data))
        except (ConnectionError, OSError):
            pass
        queue.put_nowait((0.0, b""))
        with contextlib.suppress(Exception):
            await sender

    async def _handle(self, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        self.connections += 1
        try:
            ur, uw = await asyncio.open_connection(*self.target)
        except OSError:
            w.close()
            return
        # Ended by close() at the end of the run: a normal end, not an error to report.
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(self._pipe(r, uw), self._pipe(ur, w))


def price_server() -> tuple[ThreadingHTTPServer, int, list[str]]:
    asked: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            asked.append(self.path)
            body = json.dumps(
                {
                    "litecoin": {"usd": 71.05, "last_updated_at": int(time.time())},
                    "ethereum": {"usd": 3500.5, "last_updated_at": int(time.time())},
                }
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1], asked


async def first_balances(
    store: Any,
    electrum: str,
    rpc: str,
    prices_url: str,
    tokens: list[Any],
    address: str,
    runs: int,
) -> list[dict[str, float]]:
    from chains.evm import EvmBackend
    from chains.models import Asset
    from chains.networks import devnet
    from chains.prices import CoinGecko
    from wallet.prices import PriceBook
    from wallet.utxo_portfolio import build_utxo_portfolio

    assets = [Asset(network="devnet", symbol="ETH", name="Ether", decimals=18), *tokens]
    pf = build_utxo_portfolio(store, ["ltc-regtest"], electrum_servers={"ltc-regtest": [electrum]})
    evm = EvmBackend(devnet(rpc), timeout=60)
    gecko = CoinGecko(prices_url)
    book = PriceBook(store, "USD", [gecko])
    out = []
    try:
        for _ in range(runs):
            marks: dict[str, float] = {}
            t0 = time.perf_counter()
            e_rt, h_rt, p_rt = pf_round_trips(pf), evm.round_trips, gecko.requests

            async def utxo(marks: dict[str, float] = marks, t0: float = t0) -> None:
                holdings = await pf.refresh()
                assert all(not h.stale for h in holdings), [h.error for h in holdings]
                marks["utxo"] = time.perf_counter() - t0

            async def tokens_(marks: dict[str, float] = marks, t0: float = t0) -> None:
                await evm.balances([address], assets)
                marks["evm"] = time.perf_counter() - t0

            async def prices(marks: dict[str, float] = marks, t0: float = t0) -> None:
                view = await book.refresh(["LTC", "ETH"])
                assert set(view.quotes) == {"LTC", "ETH"}
                marks["prices"] = time.perf_counter() - t0

            await asyncio.gather(utxo(), tokens_(), prices())
            marks["all"] = time.perf_counter() - t0
            marks["utxo_rt"] = pf_round_trips(pf) - e_rt
            marks["evm_rt"] = evm.round_trips - h_rt
            marks["prices_rt"] = gecko.requests - p_rt
            out.append(marks)
    finally:
        await pf.aclose()
        await evm.aclose()
        await book.aclose()
    return out


def pf_round_trips(pf: Any) -> int:
    return sum(getattr(b, "round_trips", 0) for b in pf._backends.values())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rtt-ms", type=float, default=100.0)
    ap.add_argument("--accounts", type=int, default=5)
    ap.add_argument("--tokens", type=int, default=20)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()

    from bench.balances import deploy_tokens
    from chains.devnet.anvil import Anvil
    from chains.devnet.deploy import connect
    from chains.utxo_networks import utxo_network
    from devices.emulator import SoftwareSigner
    from tests.fixtures.litecoin import run_regtest
    from wallet.accounts import AccountBook
    from wallet.keys import ScriptKind, account_path
    from wallet.store import Store
    from wallet.utxo_sync import AccountKeys

    one_way = args.rtt_ms / 2000
    with tempfile.TemporaryDirectory() as tmp, run_regtest(Path(tmp) / "chain") as rt:
        with Anvil(Path(tmp)) as node:
            tokens = deploy_tokens(node.rpc_url, args.tokens)
            address = connect(node.rpc_url).eth.accounts[0]
            store = Store(Path(tmp) / "wallet.sqlite3")
            book = AccountBook(store)
            signer = SoftwareSigner.from_mnemonic(MNEMONIC)
            for i in range(args.accounts):  # SegWit and Taproot accounts, each with coins
                script = ScriptKind.P2WPKH if i % 2 == 0 else ScriptKind.P2TR
                book.add_from_signer(signer, book.software_wallet(), "ltc-regtest", script, i // 2)
                path = account_path("ltc-regtest", script, i // 2)
                keys = AccountKeys(utxo_network("ltc-regtest"), script, signer.get_xpub(path), path)
                rt.fund(keys.key(0, 0).address, 10**8 + i)
            rt.mine(1)
            rt.wait_electrum_height(rt.height())
            server, price_port, _asked = price_server()

            async def run() -> tuple[list[dict[str, float]], list[int]]:
                ssl_port = urlsplit(rt.electrum_ssl).port
                rpc = urlsplit(node.rpc_url)
                links = [
                    SlowLink(("127.0.0.1", ssl_port), one_way),  # type: ignore[arg-type]
                    SlowLink((rpc.hostname, rpc.port), one_way),  # type: ignore[arg-type]
                    SlowLink(("127.0.0.1", price_port), one_way),
                ]
                for link in links:
                    await link.start()
                try:
                    got = await first_balances(
                        store,
                        f"ssl://127.0.0.1:{links[0].port}",
                        f"http://127.0.0.1:{links[1].port}",
                        f"http://127.0.0.1:{links[2].port}",
                        tokens,
                        address,
                        args.runs,
                    )
                finally:
                    for link in links:
                        await link.close()
                return got, [link.connections for link in links]

            try:
                results, connections = asyncio.run(run())
            finally:
                server.shutdown()
                store.close()
    print(
        f"first balances: {args.accounts} Litecoin accounts (Electrum, TLS) + ETH and "
        f"{args.tokens} tokens (JSON-RPC) + prices, over a {args.rtt_ms:g} ms round-trip link"
    )
    print(f"{'run':6} {'electrum rt':>11} {'s':>6} {'rpc rt':>7} {'s':>6} {'prices rt':>9} "
          f"{'s':>6} {'all s':>6}")  # fmt: skip
    for i, m in enumerate(results):
        name = "cold" if i == 0 else f"warm{i}"
        print(
            f"{name:6} {m['utxo_rt']:>11.0f} {m['utxo']:>6.2f} {m['evm_rt']:>7.0f} "
            f"{m['evm']:>6.2f} {m['prices_rt']:>9.0f} {m['prices']:>6.2f} {m['all']:>6.2f}"
        )
    warm = [m["all"] for m in results[1:]] or [results[0]["all"]]
    print(f"warm median: {statistics.median(warm):.2f} s; TCP connections per link "
          f"(electrum, rpc, prices): {connections}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
