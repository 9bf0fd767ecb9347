"""The Electrum protocol (what Electrum, Sparrow and ElectrumX speak), on asyncio streams.

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
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from chains.aio import gather_all
from chains.cert_pins import (
    CertificateChanged,
    CertPins,
    Pin,
    fingerprint,
    new_pin,
    server_key,
)
from chains.errors import BadResponse, ChainError, NodeUnreachable
from chains.models import Asset, Balance
from chains.proxy import open_connection, proxy_for
from chains.units import number_token_to_int
from chains.utxo import (
    FeeEstimates,
    HistoryItem,
    Utxo,
    address_to_script,
    electrum_scripthash,
)
from chains.utxo_networks import UtxoNetwork

CLIENT_NAME = "termwallet 0.1"
PROTOCOL_VERSION = "1.4"
MAX_LINE = 32 * 1024 * 1024  # a batch of histories of a busy wallet can be large
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
                f"Electrum server '{url}' must look like ssl://host:port or tcp://host:port"
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
        if not self.tls:
            self._reader, self._writer = await self._open(None)
        elif self._pins is None:
            self._reader, self._writer = await self._open(self._ssl or ssl.create_default_context())
        else:
            self._reader, self._writer = await self._open_pinned(self._pins)
        self._task = asyncio.create_task(self._read_loop(), name=f"electrum-reader {self.url}")
        version = await self.request("server.version", CLIENT_NAME, PROTOCOL_VERSION)
        if not isinstance(version, list) or len(version) != 2:
            raise BadResponse("server.version: unexpected answer")
        self.server_version = str(version[0])

    async def _open(
        self, ctx: ssl.SSLContext | None
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        errors: tuple[type[BaseException], ...] = ()
        proxy = proxy_for(self.host, self.proxy)
        if proxy is None and self.host.lower().endswith(".onion"):
            raise NodeUnreachable(
                self.url,
                "a .onion server is reachable through Tor only: set proxy = "
                '"socks5h://127.0.0.1:9050" (Tor\'s port) in the settings',
            )
        if proxy is not None:
            from chains.proxy import proxy_errors

            errors = proxy_errors()
        try:
            return await asyncio.wait_for(
                open_connection(
                    self.host,
                    self.port,
                    proxy=proxy,
                    ssl_context=ctx,
                    timeout=self.timeout,
                    limit=MAX_LINE,
                ),
                self.timeout,
            )
        except errors as exc:
            raise NodeUnreachable(self.url, f"through the proxy: {exc}"[:300]) from None
        except TimeoutError:
            raise NodeUnreachable(self.url, "timed out connecting") from None
        except ssl.SSLCertVerificationError as exc:
            raise _NotVouched(self.url, exc.verify_message or "certificate not trusted") from None
        except ssl.SSLError as exc:
            raise NodeUnreachable(self.url, f"TLS failed: {exc.reason or 'handshake'}") from None
        except OSError as exc:
            raise NodeUnreachable(self.url, exc.strerror or type(exc).__name__) from None

    async def _open_pinned(
        self, pins: CertPins
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """Trust on first use (chains/cert_pins.py). One handshake when the server shows its
        pinned certificate; otherwise a second one decides whether an authority vouches for
        what it shows now (then that becomes the pin) or not (first use: pinned; a change:
        CertificateChanged, this server is not used)."""
        key = server_key(self.url)
        pinned = pins.get(key)
        unverified = ssl.create_default_context()
        unverified.check_hostname = False
        unverified.verify_mode = ssl.CERT_NONE  # checked below, against the pin
        reader, writer = await self._open(unverified)
        der = _peer_certificate(writer)
        if der is None:
            await _close(writer)
            raise NodeUnreachable(self.url, "TLS failed: the server showed no certificate")
        if pinned is not None and pinned.fingerprint == fingerprint(der):
            self.pin = pinned
            return reader, writer
        try:
            vouched = await self._open(self._ssl or ssl.create_default_context())
        except _NotVouched:
            vouched = None
        except BaseException:
            await _close(writer)
            raise
        if vouched is not None:
            await _close(writer)
            der_ca = _peer_certificate(vouched[1])
            if der_ca is not None:
                self.pin = new_pin(key, der_ca, ca_valid=True)
                pins.put(self.pin)
            return vouched
        if pinned is None:
            self.pin = new_pin(key, der, ca_valid=False)
            pins.put(self.pin)
            return reader, writer
        await _close(writer)
        raise CertificateChanged(pinned, fingerprint(der))

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


class _NotVouched(NodeUnreachable):
    """No authority vouches for the server's certificate (a self-signed one, or another host's)."""

    def __init__(self, url: str, why: str) -> None:
        super().__init__(url, f"TLS failed: {why}")


def _peer_certificate(writer: asyncio.StreamWriter) -> bytes | None:
    obj = writer.get_extra_info("ssl_object")
    return obj.getpeercert(binary_form=True) if obj is not None else None


async def _close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(Exception):
        await writer.wait_closed()


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


# --- the backend the wallet uses -----------------------------------------------------------


class ElectrumBackend:
    """A UtxoBackend over the Electrum protocol. Connects lazily to the first server of the
    network that answers (only the first with `one_server`, as Electrum's setting of that name:
    never another server); `subscribe_*` keep that connection's subscriptions. A server whose
    pinned certificate changed is skipped and kept in `refused`, so the app can say so even
    when another server answered."""

    def __init__(
        self,
        network: UtxoNetwork,
        *,
        servers: Sequence[str] | None = None,
        timeout: float = 20.0,
        ssl_context: ssl.SSLContext | None = None,
        pins: CertPins | None = None,
        one_server: bool = False,
        proxy: str | None = None,
    ) -> None:
        self.network = network
        self.servers = tuple(servers or network.electrum_servers)
        if not self.servers:
            raise ValueError(f"no Electrum server configured for {network.name}")
        if one_server:
            self.servers = self.servers[:1]
        self.timeout = timeout
        self._ssl = ssl_context
        self._pins = pins
        self.proxy = proxy
        self.refused: dict[str, CertificateChanged] = {}
        self._client: ElectrumClient | None = None
        self._lock = asyncio.Lock()
        self._scripthash_to_address: dict[str, str] = {}
        self._requests_before = 0

    @property
    def requests(self) -> int:
        return self._requests_before + (self._client.requests if self._client else 0)

    @property
    def round_trips(self) -> int:
        return self._client.round_trips if self._client else 0

    @property
    def source(self) -> str:
        """The server this backend reads from now (or would try first)."""
        return self._client.url if self._client is not None else self.servers[0]

    async def client(self) -> ElectrumClient:
        async with self._lock:
            if self._client is not None and self._client._closed_reason is None:
                return self._client
            if self._client is not None:
                self._requests_before += self._client.requests
            errors: list[NodeUnreachable] = []
            for url in self.servers:
                c = ElectrumClient(
                    url,
                    timeout=self.timeout,
                    ssl_context=self._ssl,
                    pins=self._pins,
                    proxy=self.proxy,
                )
                try:
                    await c.connect()
                except CertificateChanged as exc:
                    self.refused[url] = exc
                    errors.append(exc)
                    await c.aclose()
                    continue
                except NodeUnreachable as exc:
                    errors.append(exc)
                    await c.aclose()
                    continue
                self.refused.pop(url, None)
                self._client = c
                return c
            changed = [e for e in errors if isinstance(e, CertificateChanged)]
            if changed:  # the one failure the user must act on: say it, not a list of them
                raise changed[0]
            raise (
                errors[0]
                if len(errors) == 1
                else NodeUnreachable(
                    ", ".join(self.servers), "; ".join(str(e) for e in errors)[:500]
                )
            )

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()

    def _scripthash(self, address: str) -> str:
        sh = electrum_scripthash(address_to_script(address, self.network))
        self._scripthash_to_address[sh] = address
        return sh

    async def block_number(self) -> int:
        header = await (await self.client()).request("blockchain.headers.subscribe")
        if not isinstance(header, dict) or not isinstance(header.get("height"), int):
            raise BadResponse("blockchain.headers.subscribe: no height")
        return int(header["height"])

    async def histories(self, addresses: Sequence[str]) -> dict[str, list[HistoryItem]]:
        c = await self.client()
        results = await c.batch(
            "blockchain.scripthash.get_history", [[self._scripthash(a)] for a in addresses]
        )
        out: dict[str, list[HistoryItem]] = {}
        for address, items in zip(addresses, results, strict=True):
            if not isinstance(items, list):
                raise BadResponse("get_history: not a list")
            out[address] = [HistoryItem(_hex32(i["tx_hash"]), int(i["height"])) for i in items]
        return out

    async def utxos(self, addresses: Sequence[str]) -> dict[str, list[Utxo]]:
        c = await self.client()
        results = await c.batch(
            "blockchain.scripthash.listunspent", [[self._scripthash(a)] for a in addresses]
        )
        out: dict[str, list[Utxo]] = {}
        for address, items in zip(addresses, results, strict=True):
            if not isinstance(items, list):
                raise BadResponse("listunspent: not a list")
            out[address] = [
                Utxo(
                    txid=_hex32(i["tx_hash"]),
                    vout=_nonneg(i["tx_pos"]),
                    value=_nonneg(i["value"]),
                    height=int(i["height"]),
                    address=address,
                )
                for i in items
            ]
        return out

    async def balances(self, addresses: Sequence[str], assets: Sequence[Asset]) -> list[Balance]:
        """Confirmed plus unconfirmed, per address, in one batch (plus the tip in the same
        round trip's neighbour). Only the native asset exists on these chains."""
        c = await self.client()
        results, tip = await gather_all(
            c.batch(
                "blockchain.scripthash.get_balance", [[self._scripthash(a)] for a in addresses]
            ),
            self.block_number(),
        )
        now = datetime.now(UTC)
        out = []
        for asset in assets:
            if asset.contract is not None:
                raise ChainError(f"{self.network.name} has no tokens")
            for address, r in zip(addresses, results, strict=True):
                amount = _nonneg(r["confirmed"]) + int(r["unconfirmed"])
                out.append(
                    Balance(
                        asset=asset, address=address, amount=max(amount, 0), block=tip, as_of=now
                    )
                )
        return out

    async def transactions(self, txids: Sequence[str]) -> dict[str, bytes]:
        from chains.utxo import txid_of

        c = await self.client()
        results = await c.batch("blockchain.transaction.get", [[t] for t in txids])
        out = {}
        for txid, raw_hex in zip(txids, results, strict=True):
            raw = _hexbytes(raw_hex)
            if txid_of(raw) != txid:
                raise BadResponse(f"the server sent another transaction than {txid}")
            out[txid] = raw
        return out

    async def block_times(self, heights: Sequence[int]) -> dict[int, int]:
        c = await self.client()
        wanted = sorted({h for h in heights if h > 0})
        headers = await c.batch("blockchain.block.header", [[h] for h in wanted])
        out = {}
        for h, header_hex in zip(wanted, headers, strict=True):
            raw = _hexbytes(header_hex)
            if len(raw) < 80:
                raise BadResponse("block header too short")
            out[h] = int.from_bytes(raw[68:72], "little")
        return out

    async def fee_estimates(self, targets: Sequence[int]) -> FeeEstimates:
        c = await self.client()
        rates, relay = await gather_all(
            c.batch("blockchain.estimatefee", [[t] for t in targets]),
            c.request("blockchain.relayfee"),
        )
        floor = max(_per_vbyte(relay), self.network.min_fee_rate)
        by_target = {}
        for t, r in zip(targets, rates, strict=True):
            rate = _per_vbyte(r)
            if rate > 0:  # -1: the server has no estimate for this target
                by_target[t] = max(rate, floor)
        return FeeEstimates(by_target=by_target, floor=floor)

    async def fee_histogram(self) -> list[list[int | float]]:
        """The server's mempool by fee rate: [[sat/vB, vsize], ...], highest rate first."""
        c = await self.client()
        result = await c.request("mempool.get_fee_histogram")
        if not isinstance(result, list):
            raise BadResponse("mempool.get_fee_histogram: not a list")
        return result

    async def broadcast(self, raw: bytes) -> str:
        from chains.utxo import txid_of

        c = await self.client()
        txid = await c.request("blockchain.transaction.broadcast", raw.hex())
        if not isinstance(txid, str) or txid != txid_of(raw):
            raise BadResponse("broadcast: the server answered with another txid")
        return txid

    # --- subscriptions ---------------------------------------------------------------------

    async def subscribe_headers(self) -> int:
        """Subscribe to new blocks; returns the tip. New tips arrive as notifications
        ('blockchain.headers.subscribe', [{'height': .., 'hex': ..}])."""
        return await self.block_number()

    async def subscribe_addresses(self, addresses: Sequence[str]) -> dict[str, str | None]:
        """Subscribe to address changes; returns each address's status (None: unused). A
        changed status arrives as ('blockchain.scripthash.subscribe', [scripthash, status])."""
        c = await self.client()
        statuses = await c.batch(
            "blockchain.scripthash.subscribe", [[self._scripthash(a)] for a in addresses]
        )
        return {
            a: (s if isinstance(s, str) else None) for a, s in zip(addresses, statuses, strict=True)
        }

    async def next_event(self, timeout: float | None = None) -> tuple[str, Any]:
        """('block', height) or ('address', address) for the next notification."""
        c = await self.client()
        n = await c.next_notification(timeout)
        if n.method == "blockchain.headers.subscribe" and n.params:
            return "block", int(n.params[0]["height"])
        if n.method == "blockchain.scripthash.subscribe" and n.params:
            return "address", self._scripthash_to_address.get(str(n.params[0]), str(n.params[0]))
        return n.method, n.params


def _per_vbyte(token: Any) -> int:
    """A BTC/kB rate (as its JSON token) -> sat/vB rounded up; -1 stays -1."""
    if isinstance(token, int):
        return -1 if token < 0 else token * 100_000
    if not isinstance(token, str):
        raise BadResponse("fee rate: not a number")
    try:
        per_kvb = number_token_to_int(token, 8, round_up=True)
    except ValueError:  # a server's nonsense is a bad answer, not the wallet's error
        raise BadResponse("fee rate: not a number") from None
    if per_kvb < 0:
        return -1
    return -(-per_kvb // 1000)


def _hex32(value: Any) -> str:
    if not isinstance(value, str) or len(value) != 64:
        raise BadResponse("expected a 32-byte hex hash")
    try:
        bytes.fromhex(value)
    except ValueError:
        raise BadResponse("expected a 32-byte hex hash") from None
    return value.lower()


def _hexbytes(value: Any) -> bytes:
    if not isinstance(value, str):
        raise BadResponse("expected hex")
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise BadResponse("expected hex") from None


def _nonneg(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise BadResponse("expected a non-negative integer")
    return value
