"""The UtxoBackend over the Electrum protocol: the wallet's histories, UTXOs, balances,
transactions, fees and subscriptions, read through one server's JSON-RPC client
(chains/electrum_client.py, which says why requests are pipelined) and checked on the way in.

JSON numbers arrive as strings (the client reads them with parse_float=str): fee estimates
in BTC/kB are turned into integers without a float ever existing.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from chains.aio import gather_all
from chains.cert_pins import CertificateChanged, CertPins
from chains.electrum_client import ElectrumClient
from chains.errors import BadResponse, ChainError, NodeUnreachable
from chains.models import Asset, Balance
from chains.units import number_token_to_int
from chains.utxo import (
    FeeEstimates,
    HistoryItem,
    Utxo,
    address_to_script,
    electrum_scripthash,
)
from chains.utxo_networks import UtxoNetwork
from said import Said


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
        if servers:
            self.servers = tuple(servers)
        else:
            from chains.proxy import current_proxy

            # The built-in onion services only through a proxy (Tor), and after the others:
            # a proxy that is not Tor cannot reach them, and a failed try costs a timeout.
            onion = network.electrum_onion_servers if (proxy or current_proxy()) else ()
            self.servers = network.electrum_servers + onion
        if not self.servers:
            raise ValueError(
                Said(
                    "electrum.no_electrum_server_configured",
                    "no Electrum server configured for {name}",
                    name=network.name,
                )
            )
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
            if self._client is not None and not self._client.closed:
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
