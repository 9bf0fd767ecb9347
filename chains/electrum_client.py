"""The Electrum protocol's JSON-RPC client (what Electrum, Sparrow and ElectrumX speak), on
asyncio streams opened by chains/electrum_transport.py; chains/electrum.py is the UtxoBackend on it.

Requests are pipelined: callers send independent requests concurrently (asyncio.gather) and
replies are matched by id. That matters: ElectrumX (e-x 2.0) pads replies against traffic
analysis and holds a small reply up to 1 s waiting for more to fill a 1 KiB packet, so every
sequential round trip can cost a second; concurrent requests share that wait.

Newline-delimited JSON-RPC 2.0 over TCP or TLS; a batch is one JSON array on one line;
the server pushes notifications for subscriptions (new block headers, script-hash status).

Written on asyncio directly: aiorpcx (ElectrumX's and Electrum's own RPC library) was
considered, but it is built around a server-side session and cost model, pins tightly between
releases, and would still need an adapter for its exceptions and our validation; the client
side of the protocol is one reader task and a dict of pending futures.

JSON numbers are read with parse_float=str: fee estimates arrive as BTC/kB floats and are
turned into integers without a float ever existing.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from chains.cert_pins import CertPins, Pin
from chains.electrum_transport import Dialer
from chains.errors import BadResponse, NodeUnreachable
from said import Said

CLIENT_NAME = "termwallet 0.1"
PROTOCOL_VERSION = "1.4"
MAX_BATCH = 500  # ElectrumX limits the cost of one message; larger batches are split


class ServerError(BadResponse):
    """The server answered a request with an error (e.g. a rejected transaction)."""

    code = "SERVER_ERROR"

    def __init__(self, method: str, error: Any) -> None:
        message = error.get("message") if isinstance(error, dict) else str(error)
        super().__init__(f"{method}: the server refused: {str(message)[:300]}", method=method)
        self.method = method
        self.server_message = str(message)[:1000]


@dataclass(frozen=True)
class Notification:
    method: str
    params: list[Any]


class ElectrumClient:
    """One connection to one server. Use as `async with ElectrumClient(url) as c:`."""

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 20.0,
        ssl_context: ssl.SSLContext | None = None,
        pins: CertPins | None = None,
        proxy: str | None = None,
    ) -> None:
        """`ssl_context` verifies certificates against authorities (default: the system's).
        With `pins`, a certificate no authority vouches for is trusted on first use and pinned
        (chains/cert_pins.py); without, such a server is refused."""
        parts = urlsplit(url)
        if parts.scheme not in ("tcp", "ssl") or not parts.hostname or not parts.port:
            raise ValueError(
                Said(
                    "electrum_client.electrum_server_must_look",
                    "Electrum server '{url}' must look like ssl://host:port or tcp://host:port",
                    url=url,
                )
            )
        self.url = url
        self.host, self.port, self.tls = parts.hostname, parts.port, parts.scheme == "ssl"
        self.timeout = timeout
        self._ssl = ssl_context
        self._pins = pins
        self.proxy = proxy
        self.pin: Pin | None = None  # the pin this connection was checked against (TLS, pins)
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._task: asyncio.Task[None] | None = None
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._ids = itertools.count(1)
        self._closed_reason: str | None = None
        self.notifications: asyncio.Queue[Notification] = asyncio.Queue()
        self.server_version: str | None = None
        self.requests = 0  # JSON-RPC calls sent (the figure the bench reports)
        self.round_trips = 0  # lines sent: a batch is one

    async def __aenter__(self) -> ElectrumClient:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def connect(self) -> None:
        dial = Dialer(self.url, self.host, self.port, timeout=self.timeout, proxy=self.proxy)
        if not self.tls:
            self._reader, self._writer = await dial.open(None)
        elif self._pins is None:
            self._reader, self._writer = await dial.open(self._ssl or ssl.create_default_context())
        else:
            self._reader, self._writer, self.pin = await dial.open_pinned(self._pins, self._ssl)
        self._task = asyncio.create_task(self._read_loop(), name=f"electrum-reader {self.url}")
        version = await self.request("server.version", CLIENT_NAME, PROTOCOL_VERSION)
        if not isinstance(version, list) or len(version) != 2:
            raise BadResponse("server.version: unexpected answer")
        self.server_version = str(version[0])

    async def aclose(self) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(Exception):
                await self._writer.wait_closed()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        self._fail_pending("connection closed")

    @property
    def closed(self) -> bool:
        """The connection failed or was closed: a new client is needed."""
        return self._closed_reason is not None

    def _fail_pending(self, reason: str) -> None:
        self._closed_reason = self._closed_reason or reason
        for fut in self._pending.values():
            if not fut.done():
                fut.set_exception(NodeUnreachable(self.url, reason))
        self._pending.clear()

    async def _read_loop(self) -> None:
        assert self._reader is not None
        try:
            while True:
                line = await self._reader.readline()
                if not line:
                    self._fail_pending("the server closed the connection")
                    return
                try:
                    message = json.loads(line, parse_float=str)
                except ValueError:
                    self._fail_pending("the server sent something that is not JSON")
                    return
                for item in message if isinstance(message, list) else [message]:
                    self._dispatch(item)
        except (OSError, ValueError, asyncio.LimitOverrunError) as exc:
            self._fail_pending(f"connection lost ({type(exc).__name__})")

    def _dispatch(self, item: Any) -> None:
        if not isinstance(item, dict):
            return
        if "method" in item and "id" not in item:
            params = item.get("params")
            self.notifications.put_nowait(
                Notification(str(item["method"]), params if isinstance(params, list) else [])
            )
            return
        fut = self._pending.pop(item.get("id"), None)  # type: ignore[arg-type]
        if fut is None or fut.done():
            return
        if item.get("error") is not None:
            fut.set_exception(_RpcError(item["error"]))
        else:
            fut.set_result(item.get("result"))

    async def _send(self, payload: Any, futures: list[asyncio.Future[Any]]) -> list[Any]:
        if self._writer is None or self._closed_reason is not None:
            raise NodeUnreachable(self.url, self._closed_reason or "not connected")
        self._writer.write(json.dumps(payload, separators=(",", ":")).encode() + b"\n")
        self.round_trips += 1
        try:
            await self._writer.drain()
            return await asyncio.wait_for(
                asyncio.gather(*futures, return_exceptions=True), self.timeout
            )
        except TimeoutError:
            raise NodeUnreachable(self.url, f"no answer within {self.timeout:g} s") from None
        except OSError as exc:
            raise NodeUnreachable(self.url, exc.strerror or type(exc).__name__) from None

    def _new(
        self, method: str, params: Sequence[Any]
    ) -> tuple[dict[str, Any], asyncio.Future[Any]]:
        rid = next(self._ids)
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[rid] = fut
        self.requests += 1
        return {"jsonrpc": "2.0", "id": rid, "method": method, "params": list(params)}, fut

    async def request(self, method: str, *params: Any) -> Any:
        msg, fut = self._new(method, params)
        (result,) = await self._send(msg, [fut])
        return _unwrap(method, result)

    async def batch(self, method: str, params_list: Sequence[Sequence[Any]]) -> list[Any]:
        """The same method for each params, as JSON-RPC batches of at most MAX_BATCH, all
        sent at once (pipelined): see the module note on ElectrumX's reply padding."""

        async def chunk(part: Sequence[Sequence[Any]]) -> list[Any]:
            msgs, futs = zip(*(self._new(method, p) for p in part), strict=True)
            results = await self._send(list(msgs), list(futs))
            return [_unwrap(method, r) for r in results]

        parts = [params_list[i : i + MAX_BATCH] for i in range(0, len(params_list), MAX_BATCH)]
        done = await asyncio.gather(*(chunk(p) for p in parts))
        return [r for part in done for r in part]

    async def next_notification(self, timeout: float | None = None) -> Notification:
        return await asyncio.wait_for(self.notifications.get(), timeout)


class _RpcError(Exception):
    def __init__(self, error: Any) -> None:
        super().__init__("rpc error")
        self.error = error


def _unwrap(method: str, result: Any) -> Any:
    if isinstance(result, _RpcError):
        raise ServerError(method, result.error)
    if isinstance(result, BaseException):
        raise result
    return result
