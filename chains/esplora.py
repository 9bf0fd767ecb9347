"""An Esplora-style REST API (Blockstream's esplora, mempool.space, litecoinspace) over httpx:
the public endpoints a wallet can use without its own server.

REST has no batching: requests for many addresses run concurrently, at most `concurrency`
at a time (public instances rate-limit). JSON numbers are read with parse_float=str so fee
estimates become integers without a float. Every failure is one of chains.errors' types.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx

from chains.aio import gather_all
from chains.errors import BadResponse, ChainError, NodeUnreachable
from chains.models import Asset, Balance
from chains.proxy import httpx_proxy
from chains.units import number_token_to_int
from chains.utxo import FeeEstimates, HistoryItem, Utxo, txid_of
from chains.utxo_networks import UtxoNetwork
from said import Said

T = TypeVar("T")
PAGE = 25  # confirmed transactions per /txs/chain page (esplora's fixed page size)
MAX_PAGES = 400  # 10,000 transactions for one address is more than a wallet should page


class RateLimited(ChainError):
    """The server asked us to slow down (HTTP 429)."""

    code = "RATE_LIMITED"

    def __init__(self, url: str, retry_after: str | None) -> None:
        wait = f" (it asks to wait {retry_after} s)" if retry_after else ""
        super().__init__(
            f"{url} is limiting requests{wait}: try again later or use your own server",
            url=url,
            retry_after=retry_after,
        )
        self.retry_after = retry_after


class TxRejected(BadResponse):
    """The server refused to relay a transaction (HTTP 400 on POST /tx)."""

    code = "TX_REJECTED"

    def __init__(self, message: str) -> None:
        super().__init__(f"the server refused the transaction: {message[:300]}")
        self.server_message = message[:1000]


class EsploraBackend:
    """A UtxoBackend over an Esplora REST API (the first of the network's URLs, or `url`)."""

    def __init__(
        self,
        network: UtxoNetwork,
        *,
        url: str | None = None,
        timeout: float = 20.0,
        concurrency: int = 8,
        transport: httpx.AsyncBaseTransport | None = None,
        proxy: str | None = None,
    ) -> None:
        base = url or (network.esplora_urls[0] if network.esplora_urls else None)
        if not base:
            raise ValueError(
                Said(
                    "esplora.no_esplora_url_configured",
                    "no Esplora URL configured for {name}",
                    name=network.name,
                )
            )
        self.network = network
        self.url = base.rstrip("/")
        self._http = httpx.AsyncClient(
            base_url=self.url,
            timeout=timeout,
            transport=transport,
            headers={"User-Agent": "termwallet/0.1"},
            follow_redirects=False,
            **httpx_proxy(self.url, proxy),
        )
        self.source = self.url
        self._sem = asyncio.Semaphore(concurrency)
        self._block_times: dict[int, int] = {}
        self.requests = 0

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _request(self, method: str, path: str, **kw: Any) -> httpx.Response:
        async with self._sem:
            self.requests += 1
            try:
                r = await self._http.request(method, path, **kw)
            except httpx.TimeoutException:
                raise NodeUnreachable(self.url, "timed out") from None
            except httpx.HTTPError as exc:
                raise NodeUnreachable(self.url, type(exc).__name__) from None
        if r.status_code == 429:
            raise RateLimited(self.url, r.headers.get("retry-after"))
        if r.status_code >= 500:
            raise NodeUnreachable(self.url, f"server error {r.status_code}")
        return r

    async def _get_json(self, path: str) -> Any:
        r = await self._request("GET", path)
        if r.status_code != 200:
            raise BadResponse(f"GET {path}: HTTP {r.status_code}")
        try:
            return json.loads(r.content, parse_float=str)
        except ValueError:
            raise BadResponse(f"GET {path}: not JSON") from None

    async def _get_text(self, path: str) -> str:
        r = await self._request("GET", path)
        if r.status_code != 200:
            raise BadResponse(f"GET {path}: HTTP {r.status_code}")
        return r.text.strip()

    async def _each(self, items: Sequence[str], fn: Callable[[str], Awaitable[T]]) -> dict[str, T]:
        results = await asyncio.gather(*(fn(i) for i in items))
        return dict(zip(items, results, strict=True))

    async def block_number(self) -> int:
        text = await self._get_text("/blocks/tip/height")
        if not text.isdigit():
            raise BadResponse("/blocks/tip/height: not a number")
        return int(text)

    async def _address_txs(self, address: str) -> list[dict[str, Any]]:
        """Every transaction of an address: mempool ones, then confirmed newest first."""
        first = await self._get_json(f"/address/{address}/txs")
        if not isinstance(first, list):
            raise BadResponse("address txs: not a list")
        txs = list(first)
        confirmed = [t for t in first if _status(t).get("confirmed")]
        last = confirmed[-1]["txid"] if len(confirmed) >= PAGE else None
        pages = 0
        while last is not None and pages < MAX_PAGES:
            page = await self._get_json(f"/address/{address}/txs/chain/{last}")
            if not isinstance(page, list):
                raise BadResponse("address txs page: not a list")
            txs.extend(page)
            pages += 1
            last = page[-1]["txid"] if len(page) >= PAGE else None
        for t in txs:
            st = _status(t)
            if st.get("confirmed") and isinstance(st.get("block_time"), int):
                self._block_times[int(st["block_height"])] = int(st["block_time"])
        return txs

    async def histories(self, addresses: Sequence[str]) -> dict[str, list[HistoryItem]]:
        async def one(address: str) -> list[HistoryItem]:
            out = []
            for t in await self._address_txs(address):
                st = _status(t)
                height = int(st["block_height"]) if st.get("confirmed") else 0
                out.append(HistoryItem(_hex32(t.get("txid")), height))
            return out

        return await self._each(addresses, one)

    async def utxos(self, addresses: Sequence[str]) -> dict[str, list[Utxo]]:
        async def one(address: str) -> list[Utxo]:
            items = await self._get_json(f"/address/{address}/utxo")
            if not isinstance(items, list):
                raise BadResponse("utxo: not a list")
            return [
                Utxo(
                    txid=_hex32(i.get("txid")),
                    vout=_nonneg(i.get("vout")),
                    value=_nonneg(i.get("value")),
                    height=int(_status(i).get("block_height") or 0),
                    address=address,
                )
                for i in items
            ]

        return await self._each(addresses, one)

    async def balances(self, addresses: Sequence[str], assets: Sequence[Asset]) -> list[Balance]:
        async def one(address: str) -> int:
            info = await self._get_json(f"/address/{address}")
            total = 0
            for key in ("chain_stats", "mempool_stats"):
                s = info.get(key) if isinstance(info, dict) else None
                if not isinstance(s, dict):
                    raise BadResponse(f"address: no {key}")
                total += _nonneg(s.get("funded_txo_sum")) - _nonneg(s.get("spent_txo_sum"))
            return total

        amounts, tip = await gather_all(self._each(addresses, one), self.block_number())
        now = datetime.now(UTC)
        out = []
        for asset in assets:
            if asset.contract is not None:
                raise ChainError(f"{self.network.name} has no tokens")
            out.extend(
                Balance(asset=asset, address=a, amount=max(amounts[a], 0), block=tip, as_of=now)
                for a in addresses
            )
        return out

    async def transactions(self, txids: Sequence[str]) -> dict[str, bytes]:
        async def one(txid: str) -> bytes:
            text = await self._get_text(f"/tx/{txid}/hex")
            try:
                raw = bytes.fromhex(text)
            except ValueError:
                raise BadResponse("tx hex: not hex") from None
            if txid_of(raw) != txid:
                raise BadResponse(f"the server sent another transaction than {txid}")
            return raw

        return await self._each(list(txids), one)

    async def block_times(self, heights: Sequence[int]) -> dict[int, int]:
        async def one(height: int) -> int:
            if height in self._block_times:
                return self._block_times[height]
            block_hash = await self._get_text(f"/block-height/{height}")
            info = await self._get_json(f"/block/{_hex32(block_hash)}")
            ts = info.get("timestamp") if isinstance(info, dict) else None
            if not isinstance(ts, int):
                raise BadResponse("block: no timestamp")
            self._block_times[height] = ts
            return ts

        wanted = sorted({h for h in heights if h > 0})
        values = await asyncio.gather(*(one(h) for h in wanted))
        return dict(zip(wanted, values, strict=True))

    async def fee_estimates(self, targets: Sequence[int]) -> FeeEstimates:
        data = await self._get_json("/fee-estimates")
        if not isinstance(data, dict):
            raise BadResponse("fee-estimates: not an object")
        available: dict[int, int] = {}
        for k, v in data.items():
            if not str(k).isdigit() or not isinstance(v, str | int):
                raise BadResponse("fee-estimates: bad entry")
            available[int(k)] = number_token_to_int(str(v), 0, round_up=True)
        floor = self.network.min_fee_rate
        by_target = {}
        for t in targets:
            # The estimate for the nearest target at or above t (a slower target is cheaper).
            candidates = sorted(k for k in available if k >= t)
            if candidates:
                by_target[t] = max(available[candidates[0]], floor)
        return FeeEstimates(by_target=by_target, floor=floor)

    async def fee_histogram(self) -> list[list[int | float]]:
        """The mempool by fee rate ([[sat/vB, vsize], ...], highest first), from /mempool."""
        data = await self._get_json("/mempool")
        histogram = data.get("fee_histogram") if isinstance(data, dict) else None
        if not isinstance(histogram, list):
            raise BadResponse("mempool: no fee_histogram")
        return histogram

    async def broadcast(self, raw: bytes) -> str:
        r = await self._request("POST", "/tx", content=raw.hex())
        if r.status_code == 400:
            raise TxRejected(r.text)
        if r.status_code != 200:
            raise BadResponse(f"POST /tx: HTTP {r.status_code}")
        txid = r.text.strip()
        if txid != txid_of(raw):
            raise BadResponse("broadcast: the server answered with another txid")
        return txid


def _status(t: Any) -> dict[str, Any]:
    st = t.get("status") if isinstance(t, dict) else None
    return st if isinstance(st, dict) else {}


def _hex32(value: Any) -> str:
    if not isinstance(value, str) or len(value) != 64:
        raise BadResponse("expected a 32-byte hex hash")
    try:
        bytes.fromhex(value)
    except ValueError:
        raise BadResponse("expected a 32-byte hex hash") from None
    return value.lower()


def _nonneg(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise BadResponse("expected a non-negative integer")
    return value
