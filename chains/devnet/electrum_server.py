"""The demo's Electrum server: the Electrum protocol (what chains/electrum.py speaks) on
127.0.0.1, over a small chain held in memory, so `termwallet demo` has a Litecoin account
whose coins, history, fee bumps and PSBTs can be tried offline (wallet/demo_utxo.py builds the
chain and starts this).

A DEMO SERVER, not a node. What it checks: a broadcast transaction parses, its txid is new,
every input spends an output the chain knows and nothing confirmed spends already, its
outputs pay no more than its inputs, and a transaction it conflicts with in the mempool
signalled BIP125 replaceability and pays a smaller fee (that one and what spends it are
replaced). What it does not check: scripts and signatures, locktimes, standardness and dust,
BIP125's other rules, and proof of work (headers carry a timestamp and link to their parent;
their nonce is 0). Why: the demo is offline and must start at once on a fresh machine, where
no litecoind is installed; a node would also cost seconds to start and to mine. The wallet
checks what it signs itself, and the tests of real sends run on litecoind + ElectrumX
(tests/fixtures/litecoin.py).

Nothing is mined after start: the chain's tip stays where it was built. Newline-delimited
JSON-RPC 2.0 over plain TCP (a batch is one JSON array on one line), one thread per client
(socketserver), as the demo helpdesk does with http.server: one user on loopback.
"""

from __future__ import annotations

import contextlib
import json
import socket
import socketserver
import threading
from collections.abc import Callable
from typing import Any

from chains.devnet.demo_chain import BroadcastRefused, ChainState, DemoChain

HOST = "127.0.0.1"  # loopback only
SERVER_VERSION = "termwallet demo electrum 1.0"
PROTOCOL_VERSION = "1.4"
MAX_LINE = 4 * 1024 * 1024
READY_TIMEOUT = 60.0  # seconds a request waits for the chain to be built


def _amount_text(sat_per_kb: int) -> str:
    """sat/kB as the protocol's BTC/kB number, exactly (8 decimals)."""
    return f"{sat_per_kb // 10**8}.{sat_per_kb % 10**8:08d}"


class _Number(str):
    """A JSON number given as its text (fee rates): written as is, never through a float."""


def _dumps(value: Any) -> str:
    if isinstance(value, _Number):
        return str(value)
    return json.dumps(value, separators=(",", ":"))


class _RpcError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class DemoElectrumServer:
    """Start with start(); `url` is tcp://127.0.0.1:PORT. `build` makes the chain: called on
    a thread of its own when the first client connects (requests wait for it), so start()
    costs a socket and a thread, not the chain: the demo's first Electrum request comes after
    its first EVM balances are drawn, and building the chain beside them (imports, signing,
    about 0.1 s of the interpreter) held them back."""

    def __init__(self, build: Callable[[], DemoChain]) -> None:
        self._build = build
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._state: ChainState | None = None
        self._failed: str | None = None
        self._server: socketserver.ThreadingTCPServer | None = None
        self._threads: list[threading.Thread] = []
        self._building: threading.Thread | None = None
        self._clients: set[_Client] = set()

    @property
    def url(self) -> str:
        assert self._server is not None, "start() first"
        return f"tcp://{HOST}:{self._server.server_address[1]}"

    def start(self) -> None:
        server = socketserver.ThreadingTCPServer((HOST, 0), _handler(self))
        server.daemon_threads = True
        self._server = server
        serving = threading.Thread(target=server.serve_forever, name="demo-electrum", daemon=True)
        self._threads = [serving]
        serving.start()

    def _build_once(self) -> None:
        """The chain's build, started by the first client (the lock is held)."""
        if self._building is None:
            self._building = threading.Thread(
                target=self._make_chain, name="demo-electrum-chain", daemon=True
            )
            self._threads.append(self._building)
            self._building.start()

    def _make_chain(self) -> None:
        try:
            state = ChainState(self._build())
        except Exception as exc:  # said to every request: the demo's rows show the reason
            self._failed = f"the demo chain could not be built ({type(exc).__name__}: {exc})"
        else:
            with self._lock:
                self._state = state
        finally:
            self._ready.set()

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        with self._lock:
            clients = list(self._clients)
        for c in clients:
            c.close()
        for t in self._threads:
            t.join(timeout=5)
        self._threads = []

    def __enter__(self) -> DemoElectrumServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- the protocol --------------------------------------------------------------------

    def state(self) -> ChainState:
        if not self._ready.wait(READY_TIMEOUT):
            raise _RpcError(-32603, "the demo chain is still being built")
        if self._state is None:
            raise _RpcError(-32603, self._failed or "the demo chain is missing")
        return self._state

    def call(self, client: _Client, method: str, params: list[Any]) -> Any:
        if method == "server.version":
            return [SERVER_VERSION, PROTOCOL_VERSION]
        if method == "server.ping":
            return None
        state = self.state()
        with self._lock:
            return self._call(state, client, method, params)

    def _call(self, state: ChainState, client: _Client, method: str, params: list[Any]) -> Any:
        chain = state.chain
        if method == "blockchain.headers.subscribe":
            client.headers = True
            return {"height": chain.tip, "hex": chain.headers[chain.tip].hex()}
        if method == "blockchain.block.header":
            height = _int_param(params, 0)
            if not 0 <= height <= chain.tip:
                raise _RpcError(1, f"height {height} out of range")
            return chain.headers[height].hex()
        if method.startswith("blockchain.scripthash."):
            sh = _str_param(params, 0)
            if method.endswith(".get_balance"):
                return state.balance(sh)
            if method.endswith(".get_history"):
                return state.history(sh)
            if method.endswith(".listunspent"):
                return state.listunspent(sh)
            if method.endswith(".subscribe"):
                status = state.status(sh)
                client.statuses[sh] = status
                return status
        if method == "blockchain.transaction.get":
            t = state.txs.get(_str_param(params, 0).lower())
            if t is None:
                raise _RpcError(2, "No such mempool or blockchain transaction")
            return t.raw.hex()
        if method == "blockchain.transaction.broadcast":
            try:
                raw = bytes.fromhex(_str_param(params, 0))
                txid, _ = state.accept(raw)
            except (BroadcastRefused, ValueError) as exc:
                raise _RpcError(
                    1, f"the transaction was rejected by network rules: {exc}"
                ) from None
            self._notify(state)
            return txid
        if method == "blockchain.estimatefee":
            rate = chain.estimates.get(_int_param(params, 0))
            return _Number("-1") if rate is None else _Number(_amount_text(rate))
        if method == "blockchain.relayfee":
            return _Number(_amount_text(chain.relay_fee))
        if method == "mempool.get_fee_histogram":
            return state.fee_histogram()
        raise _RpcError(-32601, f"unknown method {method!r}")

    def _notify(self, state: ChainState) -> None:
        """Tell each client whose subscribed script hashes changed (the lock is held)."""
        for c in list(self._clients):
            for sh, old in list(c.statuses.items()):
                new = state.status(sh)
                if new != old:
                    c.statuses[sh] = new
                    c.send({"jsonrpc": "2.0", "method": "blockchain.scripthash.subscribe",
                            "params": [sh, new]})  # fmt: skip

    def _register(self, client: _Client) -> None:
        with self._lock:
            self._clients.add(client)
            self._build_once()

    def _forget(self, client: _Client) -> None:
        with self._lock:
            self._clients.discard(client)


class _Client:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.headers = False
        self.statuses: dict[str, str | None] = {}
        self._write = threading.Lock()

    def send(self, message: Any) -> None:
        self.send_text(json.dumps(message, separators=(",", ":")))

    def send_text(self, text: str) -> None:
        with self._write, contextlib.suppress(OSError):
            self.sock.sendall(text.encode() + b"\n")

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)


def _int_param(params: list[Any], i: int) -> int:
    if len(params) <= i or not isinstance(params[i], int) or isinstance(params[i], bool):
        raise _RpcError(-32602, "expected an integer parameter")
    return int(params[i])


def _str_param(params: list[Any], i: int) -> str:
    if len(params) <= i or not isinstance(params[i], str):
        raise _RpcError(-32602, "expected a string parameter")
    return str(params[i])


def _handler(server: DemoElectrumServer) -> type[socketserver.StreamRequestHandler]:
    class Handler(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            client = _Client(self.request)
            server._register(client)
            try:
                while True:
                    line = self.rfile.readline(MAX_LINE)
                    if not line:
                        return
                    client.send_text(self._answer(client, line))
            except OSError:
                return
            finally:
                server._forget(client)

        def _answer(self, client: _Client, line: bytes) -> str:
            try:
                message = json.loads(line)
            except ValueError:
                return _dumps({"jsonrpc": "2.0", "id": None,
                               "error": {"code": -32700, "message": "parse error"}})  # fmt: skip
            if isinstance(message, list):
                return "[" + ",".join(self._one(client, m) for m in message) + "]"
            return self._one(client, message)

        def _one(self, client: _Client, message: Any) -> str:
            rid = message.get("id") if isinstance(message, dict) else None
            head = '{"jsonrpc":"2.0","id":' + json.dumps(rid)
            try:
                if not isinstance(message, dict) or not isinstance(message.get("method"), str):
                    raise _RpcError(-32600, "invalid request")
                params = message.get("params") or []
                if not isinstance(params, list):
                    raise _RpcError(-32602, "params must be a list")
                result = server.call(client, message["method"], params)
            except _RpcError as exc:
                error = {"code": exc.code, "message": exc.message}
                return head + ',"error":' + _dumps(error) + "}"
            return head + ',"result":' + _dumps(result) + "}"

    return Handler
