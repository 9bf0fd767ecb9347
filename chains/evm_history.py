"""Transaction history from an EVM node: ERC-20 Transfer/Approval events touching the user's
addresses (eth_getLogs) and, where the chain is small enough to read whole (the devnet), native
transfers and failed transactions found by scanning blocks.

Raw JSON-RPC over httpx rather than web3: history reads are a few large batches (logs, blocks
with their transactions, receipts), and web3 would build a Python object per field of every
transaction for nothing. The replies are validated here and turned into `ChainTx`; transport
failures become chains.errors, never raw httpx exceptions (their text can carry the URL).

A public network is not block-scanned (millions of blocks): use chains/etherscan.py there.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from chains.errors import BadResponse, ChainError, NodeUnreachable

# keccak256 of the event signatures (ERC-20)
TRANSFER_TOPIC = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
APPROVAL_TOPIC = "0x8c5be1e5ebec7d5bd14f71427d1e84f3dd0314c0f7b2291e5b200ac8c7c3b925"
BATCH = 100  # requests per JSON-RPC batch: nodes commonly cap batches at 100-1000
MAX_SCAN_BLOCKS = 5_000  # a block scan beyond this is a public chain: use an explorer API


class ScanTooLarge(ChainError):
    code = "HISTORY_SCAN_TOO_LARGE"


@dataclass(frozen=True, slots=True)
class TokenEvent:
    contract: str  # lower-case 0x address
    kind: str  # transfer | approval
    src: str  # from (transfer) or owner (approval), lower-case
    dst: str  # to (transfer) or spender (approval), lower-case
    value: int
    log_index: int


@dataclass(frozen=True, slots=True)
class ChainTx:
    """One transaction as history needs it. Addresses are lower-case; amounts base units."""

    hash: str
    block: int | None  # None: pending
    timestamp: int | None
    sender: str
    to: str | None  # None: contract creation
    value: int
    nonce: int
    success: bool | None  # None: no receipt (pending)
    gas_used: int | None = None
    effective_gas_price: int | None = None
    selector: str = ""  # first 4 bytes of the input, 0x-hex; '' for a plain transfer
    events: tuple[TokenEvent, ...] = field(default=())

    @property
    def fee(self) -> int | None:
        if self.gas_used is None or self.effective_gas_price is None:
            return None
        return self.gas_used * self.effective_gas_price


def topic_for(address: str) -> str:
    return "0x" + address.lower().removeprefix("0x").rjust(64, "0")


def _addr_from_topic(topic: str) -> str:
    return "0x" + topic[-40:].lower()


def _int(value: Any, what: str) -> int:
    if not isinstance(value, str) or not value.startswith("0x"):
        raise BadResponse(f"the node sent a malformed {what}")
    try:
        return int(value, 16) if len(value) > 2 else 0
    except ValueError:
        raise BadResponse(f"the node sent a malformed {what}") from None


def decode_log(log: dict[str, Any]) -> TokenEvent | None:
    """An ERC-20 Transfer or Approval log, else None (ERC-721 Transfers index the token id: four
    topics and no data, so they are skipped here)."""
    topics = log.get("topics") or []
    data = log.get("data") or "0x"
    if len(topics) != 3 or not isinstance(data, str) or len(data) != 66:
        return None
    kind = {TRANSFER_TOPIC: "transfer", APPROVAL_TOPIC: "approval"}.get(str(topics[0]).lower())
    if kind is None:
        return None
    return TokenEvent(
        contract=str(log.get("address", "")).lower(),
        kind=kind,
        src=_addr_from_topic(topics[1]),
        dst=_addr_from_topic(topics[2]),
        value=_int(data, "log value"),
        log_index=_int(log.get("logIndex"), "log index"),
    )


class EvmHistoryReader:
    """History reads from one JSON-RPC node. `aclose()` when done."""

    def __init__(self, rpc_url: str, *, timeout: float = 15.0) -> None:
        import httpx

        self.url = rpc_url
        loopback = any(h in rpc_url for h in ("://127.0.0.1", "://localhost", "://[::1]"))
        # A loopback devnet must never be reached through an HTTP(S)_PROXY from the environment.
        from chains.proxy import httpx_proxy

        routing: dict[str, Any] = {"trust_env": not loopback, **httpx_proxy(rpc_url)}
        self._client = httpx.AsyncClient(timeout=timeout, **routing)
        self.round_trips = 0

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _batch(self, calls: Sequence[tuple[str, list[Any]]]) -> list[Any]:
        """Results in call order, in batches of BATCH requests."""
        import httpx

        out: list[Any] = []
        for start in range(0, len(calls), BATCH):
            chunk = calls[start : start + BATCH]
            body = [
                {"jsonrpc": "2.0", "id": i, "method": m, "params": p}
                for i, (m, p) in enumerate(chunk)
            ]
            self.round_trips += 1
            try:
                reply = await self._client.post(self.url, json=body)
                reply.raise_for_status()
                answers = reply.json()
            except httpx.HTTPStatusError as exc:
                raise NodeUnreachable(self.url, f"HTTP {exc.response.status_code}") from None
            except httpx.HTTPError as exc:
                raise NodeUnreachable(self.url, type(exc).__name__) from None
            except ValueError:
                raise BadResponse(f"{self.url} did not answer JSON") from None
            if not isinstance(answers, list) or len(answers) != len(chunk):
                raise BadResponse(f"{self.url} answered a batch of {len(chunk)} wrongly")
            by_id = {a.get("id"): a for a in answers if isinstance(a, dict)}
            for i, (method, _) in enumerate(chunk):
                a = by_id.get(i)
                if a is None or "error" in a:
                    err = (a or {}).get("error", "no answer")
                    raise BadResponse(f"the node refused {method}: {str(err)[:200]}")
                out.append(a.get("result"))
        return out

    async def head(self) -> int:
        (result,) = await self._batch([("eth_blockNumber", [])])
        return _int(result, "block number")

    async def scan(
        self,
        addresses: Iterable[str],
        from_block: int,
        to_block: int,
        *,
        scan_blocks: bool = True,
    ) -> list[ChainTx]:
        """Every transaction in [from_block, to_block] that moves value or tokens of
        `addresses`, or that they sent (failed ones included when scanning blocks)."""
        ours = {a.lower() for a in addresses}
        if not ours or to_block < from_block:
            return []
        if scan_blocks and to_block - from_block + 1 > MAX_SCAN_BLOCKS:
            raise ScanTooLarge(
                f"reading {to_block - from_block + 1} blocks from the node is too slow; "
                "set an explorer API (Etherscan-compatible) for this network",
            )
        topics = [topic_for(a) for a in sorted(ours)]
        rng = {"fromBlock": hex(from_block), "toBlock": hex(to_block)}
        logs_out, logs_in, approvals = await self._batch(
            [
                ("eth_getLogs", [{**rng, "topics": [TRANSFER_TOPIC, topics]}]),
                ("eth_getLogs", [{**rng, "topics": [TRANSFER_TOPIC, None, topics]}]),
                ("eth_getLogs", [{**rng, "topics": [APPROVAL_TOPIC, topics]}]),
            ]
        )
        events: dict[str, dict[int, TokenEvent]] = {}
        for log in [*(logs_out or []), *(logs_in or []), *(approvals or [])]:
            ev = decode_log(log)
            if ev is None or log.get("removed"):
                continue
            events.setdefault(str(log["transactionHash"]).lower(), {})[ev.log_index] = ev

        txs: dict[str, dict[str, Any]] = {}
        stamps: dict[int, int] = {}
        if scan_blocks:
            blocks = await self._batch(
                [("eth_getBlockByNumber", [hex(n), True]) for n in range(from_block, to_block + 1)]
            )
            for b in blocks:
                if b is None:
                    continue
                number = _int(b.get("number"), "block number")
                stamps[number] = _int(b.get("timestamp"), "block time")
                for tx in b.get("transactions") or []:
                    h = str(tx.get("hash", "")).lower()
                    if (
                        str(tx.get("from", "")).lower() in ours
                        or str(tx.get("to") or "").lower() in ours
                        or h in events
                    ):
                        txs[h] = tx
        missing = [h for h in events if h not in txs]
        if missing:
            for h, tx in zip(
                missing,
                await self._batch([("eth_getTransactionByHash", [h]) for h in missing]),
                strict=True,
            ):
                if tx is not None:
                    txs[h] = tx
            need = sorted(
                {_int(t.get("blockNumber"), "block number") for t in txs.values()} - set(stamps)
            )
            for n, b in zip(
                need,
                await self._batch([("eth_getBlockByNumber", [hex(n), False]) for n in need]),
                strict=True,
            ):
                if b is not None:
                    stamps[n] = _int(b.get("timestamp"), "block time")
        hashes = sorted(txs)
        receipts = await self._batch([("eth_getTransactionReceipt", [h]) for h in hashes])
        out = []
        for h, r in zip(hashes, receipts, strict=True):
            tx = txs[h]
            block = _int(tx["blockNumber"], "block number") if tx.get("blockNumber") else None
            data = str(tx.get("input") or tx.get("data") or "0x")
            out.append(
                ChainTx(
                    hash=h,
                    block=block,
                    timestamp=stamps.get(block) if block is not None else None,
                    sender=str(tx.get("from", "")).lower(),
                    to=str(tx["to"]).lower() if tx.get("to") else None,
                    value=_int(tx.get("value", "0x0"), "value"),
                    nonce=_int(tx.get("nonce", "0x0"), "nonce"),
                    success=None if r is None else _int(r.get("status"), "status") == 1,
                    gas_used=None if r is None else _int(r.get("gasUsed"), "gas used"),
                    effective_gas_price=None
                    if r is None
                    else _int(r.get("effectiveGasPrice") or tx.get("gasPrice"), "gas price"),
                    selector=data[:10] if len(data) >= 10 else "",
                    events=tuple(sorted(events.get(h, {}).values(), key=lambda e: e.log_index)),
                )
            )
        out.sort(key=lambda t: (t.block or 0, t.hash))
        return out
