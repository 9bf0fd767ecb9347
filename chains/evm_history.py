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
# keccak256("Withdrawal(address,uint256)"): WETH9 unwrapping, what a router does before it pays
# out the coin by an internal call.
WITHDRAWAL_TOPIC = "0x7fcf532c15f0a6db0bd6d0e038bea71d30d808c7d98cb3bf7268a95bf5081b65"
# Uniswap V2 router swaps that end in the coin: swapExactTokensForETH, swapTokensForExactETH,
# swapExactTokensForETHSupportingFeeOnTransferTokens. Each takes `to` as its 4th argument and
# pays it exactly what WETH withdrew.
_SWAPS_TO_COIN = {"0x18cbafe5", "0x4a25d94a", "0x791ac947"}
BATCH = 100  # requests per JSON-RPC batch: nodes commonly cap batches at 100-1000
MAX_SCAN_BLOCKS = 5_000  # a block scan beyond this is a public chain: use an explorer API


REFUSED = object()  # a lenient batch's answer to a call the node refused


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
class InternalTransfer:
    """Coin moved by a contract inside a transaction (a call with value below the top level),
    from the node's traces or, without them, decoded from a known swap's receipt."""

    src: str  # lower-case
    dst: str  # lower-case
    value: int
    index: int  # order within the transaction
    traced: bool = True  # False: decoded from the swap's receipt (the node has no traces)


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
    internal: tuple[InternalTransfer, ...] = field(default=())

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
        # Which trace method the node answers: found on first use; '' when it has none.
        self.trace_method: str | None = None

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _batch(
        self, calls: Sequence[tuple[str, list[Any]]], *, lenient: bool = False
    ) -> list[Any]:
        """Results in call order, in batches of BATCH requests. `lenient`: a refused call
        gives REFUSED in its place instead of failing the batch (for optional methods)."""
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
                if lenient and (a is None or "error" in a):
                    out.append(REFUSED)
                    continue
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
        internal = await self._internal(
            [(h, txs[h], r) for h, r in zip(hashes, receipts, strict=True)], ours
        )
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
                    internal=internal.get(h, ()),
                )
            )
        out.sort(key=lambda t: (t.block or 0, t.hash))
        return out

    async def _internal(
        self, found: Sequence[tuple[str, dict[str, Any], Any]], ours: set[str]
    ) -> dict[str, tuple[InternalTransfer, ...]]:
        """Coin moved to or from `ours` by contracts inside the successful contract calls of
        `found` (hash, transaction, receipt): from the node's traces (geth's callTracer, else
        the trace_ module's), else decoded from a swap's receipt where the router paid out
        the coin it unwrapped from WETH. Without this a token -> coin swap shows no coin in."""
        calls = [
            (h, tx, r)
            for h, tx, r in found
            if r is not None
            and r.get("status") == "0x1"
            and len(str(tx.get("input") or tx.get("data") or "0x")) >= 10
        ]
        if not calls:
            return {}
        traced: dict[str, tuple[InternalTransfer, ...]] = {}
        methods = (
            ("debug_traceTransaction", lambda h: [h, {"tracer": "callTracer"}], _from_call_frames),
            ("trace_transaction", lambda h: [h], _from_parity_traces),
        )
        for method, params, parse in methods:
            if self.trace_method not in (None, method):
                continue
            try:
                answers = await self._batch(
                    [(method, params(h)) for h, _, _ in calls], lenient=True
                )
            except ChainError:
                # Some providers refuse a method with an HTTP error for the whole batch: the
                # same as "not offered" here, and the history read so far stays good.
                answers = [REFUSED] * len(calls)
            if all(a is REFUSED or a is None for a in answers):
                continue  # the node does not offer this tracer
            self.trace_method = method
            for (h, _, _), a in zip(calls, answers, strict=True):
                if a is not REFUSED and a is not None:
                    traced[h] = parse(a, ours)
            break
        else:
            self.trace_method = ""
        out: dict[str, tuple[InternalTransfer, ...]] = {}
        for h, tx, r in calls:
            if h in traced:
                if traced[h]:
                    out[h] = traced[h]
                continue
            decoded = _swap_payout(tx, r, ours)
            if decoded:
                out[h] = decoded
        return out


def _valued(value: Any) -> int:
    return _int(value, "trace value") if value not in (None, "") else 0


def _from_call_frames(top: Any, ours: set[str]) -> tuple[InternalTransfer, ...]:
    """Transfers below the top frame of a callTracer result. A frame that failed (and all it
    called) moved nothing; DELEGATECALL, STATICCALL and CALLCODE move no coin between
    accounts."""
    if not isinstance(top, dict):
        raise BadResponse("the node sent a malformed trace")
    out: list[InternalTransfer] = []

    def walk(frame: dict[str, Any]) -> None:
        for child in frame.get("calls") or []:
            if not isinstance(child, dict):
                raise BadResponse("the node sent a malformed trace")
            if child.get("error"):
                continue
            kind = str(child.get("type", "")).upper()
            value = _valued(child.get("value"))
            src, dst = str(child.get("from", "")).lower(), str(child.get("to") or "").lower()
            if (
                kind in ("CALL", "CREATE", "CREATE2", "SELFDESTRUCT")
                and value > 0
                and (src in ours or dst in ours)
            ):
                out.append(InternalTransfer(src, dst, value, len(out)))
            walk(child)

    walk(top)
    return tuple(out)


def _from_parity_traces(traces: Any, ours: set[str]) -> tuple[InternalTransfer, ...]:
    """Transfers below the top call of a trace_transaction result (a flat list, each with its
    traceAddress). A failed call's descendants are skipped with it."""
    if not isinstance(traces, list):
        raise BadResponse("the node sent a malformed trace")
    failed: list[tuple[int, ...]] = []
    out: list[InternalTransfer] = []
    for tr in traces:
        if not isinstance(tr, dict) or not isinstance(tr.get("action"), dict):
            raise BadResponse("the node sent a malformed trace")
        where = tuple(tr.get("traceAddress") or ())
        if tr.get("error"):
            failed.append(where)
        if not where or any(where[: len(f)] == f for f in failed):
            continue
        action, kind = tr["action"], str(tr.get("type", ""))
        if kind == "call" and action.get("callType") in ("call", None):
            src, dst = action.get("from", ""), action.get("to") or ""
            value = _valued(action.get("value"))
        elif kind == "create":
            src, dst = action.get("from", ""), (tr.get("result") or {}).get("address") or ""
            value = _valued(action.get("value"))
        elif kind in ("suicide", "selfdestruct"):
            src, dst = action.get("address", ""), action.get("refundAddress") or ""
            value = _valued(action.get("balance"))
        else:
            continue
        src, dst = str(src).lower(), str(dst).lower()
        if value > 0 and (src in ours or dst in ours):
            out.append(InternalTransfer(src, dst, value, len(out)))
    return tuple(out)


def _swap_payout(
    tx: dict[str, Any], receipt: dict[str, Any], ours: set[str]
) -> tuple[InternalTransfer, ...]:
    """Without traces: a Uniswap V2 swap ending in the coin pays its `to` argument what WETH
    withdrew for the router in the same transaction (the router's code, v2-periphery)."""
    data = str(tx.get("input") or tx.get("data") or "0x")
    router = str(tx.get("to") or "").lower()
    if data[:10] not in _SWAPS_TO_COIN or len(data) < 10 + 64 * 4 or not router:
        return ()
    dst = "0x" + data[10 + 64 * 3 + 24 : 10 + 64 * 4].lower()
    if dst not in ours:
        return ()
    paid = 0
    for log in receipt.get("logs") or []:
        topics = log.get("topics") or []
        if (
            len(topics) == 2
            and str(topics[0]).lower() == WITHDRAWAL_TOPIC
            and _addr_from_topic(str(topics[1])) == router
        ):
            paid += _int(log.get("data"), "log value")
    return (InternalTransfer(router, dst, paid, 0, traced=False),) if paid else ()


def chain_txs(
    txs: dict[str, dict[str, Any]],
    events: dict[str, list[TokenEvent]],
    internal: dict[str, list[InternalTransfer]],
) -> list[ChainTx]:
    """An explorer's rows (Etherscan- or Blockscout-shaped, read into one dict per transaction)
    as ChainTx, oldest first: the one way both clients finish a page."""
    out = [
        ChainTx(
            hash=h,
            block=d["block"],
            timestamp=d["ts"],
            sender=d["sender"],
            to=d["to"],
            value=d["value"],
            nonce=d["nonce"],
            success=d["success"],
            gas_used=d["gas_used"],
            effective_gas_price=d["price"],
            selector=d["selector"],
            events=tuple(sorted(events.get(h, []), key=lambda e: e.log_index)),
            internal=tuple(internal.get(h, ())),
        )
        for h, d in txs.items()
    ]
    out.sort(key=lambda t: (t.block or 0, t.hash))
    return out
