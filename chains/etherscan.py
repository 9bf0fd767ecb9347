"""An Etherscan-compatible explorer API client (Etherscan V2 and the explorers that copy its
`?module=account&action=txlist` shape: Blockscout, Routescan, ...), over httpx.

The URL and key are the user's settings. Replies are validated into pydantic models here; the
API key never appears in an error (httpx's exception texts quote the request URL, which carries
it, so only the exception's class name is kept).

Shape (docs.etherscan.io, "Get a list of 'Normal' Transactions By Address", "Get a list of
'Internal' Transactions by Address" and "Get ERC20 Token Transfer Events by Address"):
`{"status": "1", "message": "OK", "result": [...]}`; nothing found is
`{"status": "0", "message": "No transactions found", "result": []}`; errors are
`{"status": "0", "message": "NOTOK", "result": "<reason>"}`. Every number is a decimal
string. A window returns at most 10,000 records (page x offset): longer histories continue
from the last block seen.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from chains.errors import BadResponse, ChainError, NodeUnreachable
from chains.evm_history import (
    APPROVAL_TOPIC,
    ChainTx,
    InternalTransfer,
    TokenEvent,
    chain_txs,
    decode_log,
    topic_for,
)
from said import Said

PAGE_SIZE = 1_000  # records per request: the free tier's cap from mid-2026
WINDOW = 10_000  # page x offset may not exceed this
RATE_LIMIT_RETRIES = 2  # a limited request is asked again at most this often


class ExplorerError(ChainError):
    code = "EXPLORER_API"


class ExplorerKeyRejected(ExplorerError):
    code = "EXPLORER_KEY"


class ExplorerRateLimited(ExplorerError):
    code = "EXPLORER_RATE_LIMIT"


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class NormalTx(_Loose):
    blockNumber: str
    timeStamp: str
    hash: str
    nonce: str = "0"
    # `from` is a Python keyword: read through an alias.
    sender: str
    to: str = ""
    value: str
    gasUsed: str = "0"
    gasPrice: str = "0"
    isError: str = "0"
    txreceipt_status: str = ""
    input: str = "0x"
    methodId: str = ""


class TokenTx(_Loose):
    blockNumber: str
    timeStamp: str
    hash: str
    nonce: str = "0"
    sender: str
    to: str
    contractAddress: str
    value: str
    tokenSymbol: str = ""
    tokenDecimal: str = ""
    gasUsed: str = "0"
    gasPrice: str = "0"
    logIndex: str | None = None
    input: str = "0x"


class InternalTx(_Loose):
    """A value transfer made by a contract inside a transaction (account/txlistinternal)."""

    blockNumber: str
    timeStamp: str
    hash: str
    sender: str
    to: str = ""
    contractAddress: str = ""  # the new contract, for a create
    value: str
    isError: str = "0"


def _num(text: str, what: str) -> int:
    try:
        value = int(text)
    except (TypeError, ValueError):
        raise BadResponse(f"the explorer sent a malformed {what}") from None
    if value < 0:
        raise BadResponse(f"the explorer sent a negative {what}")
    return value


class EtherscanClient:
    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        chain_id: int,
        *,
        timeout: float = 20.0,
        transport: Any = None,
        sleep: Any = None,
    ) -> None:
        import asyncio

        import httpx

        self._sleep = sleep if sleep is not None else asyncio.sleep
        self.base_url = base_url
        self._key = api_key
        self.chain_id = chain_id
        from chains.proxy import httpx_proxy

        self._client = httpx.AsyncClient(
            timeout=timeout, transport=transport, **httpx_proxy(base_url)
        )
        self.requests = 0

    def __repr__(self) -> str:  # never the key
        return f"EtherscanClient({self.base_url!r}, chain {self.chain_id})"

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _get(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """One request; a rate limit (HTTP 429, or Etherscan's own "Max calls per sec" answer
        with HTTP 200) is waited out and asked again a bounded number of times."""
        for attempt in range(RATE_LIMIT_RETRIES + 1):
            try:
                return await self._get_once(params)
            except ExplorerRateLimited as exc:
                wait = exc.details.get("retry_after")
                if attempt == RATE_LIMIT_RETRIES or (isinstance(wait, float) and wait > 20):
                    raise
                await self._sleep(wait if isinstance(wait, float) else float(2**attempt))
        raise AssertionError("unreachable")  # pragma: no cover

    async def _get_once(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        import httpx

        from chains.http_limits import retry_after

        query = {"chainid": str(self.chain_id), **params}
        if self._key:
            query["apikey"] = self._key
        self.requests += 1
        try:
            reply = await self._client.get(self.base_url, params=query)
        except httpx.HTTPError as exc:
            raise NodeUnreachable(self.base_url, type(exc).__name__) from None
        if reply.status_code == 429:
            wait = retry_after(reply.headers.get("Retry-After"))
            said = f" (it asks to wait {wait:.0f} s)" if wait is not None else ""
            raise ExplorerRateLimited(
                f"the explorer API limits how often it may be asked{said}; wait a minute or "
                "use an API key",
                retry_after=wait,
            )
        if reply.status_code >= 400:
            raise NodeUnreachable(self.base_url, f"HTTP {reply.status_code}")
        try:
            body = reply.json()
        except ValueError:
            raise BadResponse(f"{self.base_url} did not answer JSON") from None
        if not isinstance(body, dict):
            raise BadResponse(f"{self.base_url} answered something other than an object")
        result = body.get("result")
        if str(body.get("status")) == "1" and isinstance(result, list):
            return [r for r in result if isinstance(r, dict)]
        if isinstance(result, list) and not result:
            return []  # "No transactions found" (status 0, empty list)
        reason = str(result if isinstance(result, str) else body.get("message", ""))[:200]
        if self._key:
            reason = reason.replace(self._key, "***")
        low = reason.lower()
        if "rate limit" in low:
            raise ExplorerRateLimited(f"the explorer API says: {reason}")
        if "api key" in low or "apikey" in low:
            raise ExplorerKeyRejected(f"the explorer refused the API key: {reason}")
        raise ExplorerError(
            Said(
                "etherscan.explorer_api_refused_request",
                "the explorer API refused the request: {reason}",
                reason=reason,
            )
        )

    async def _paged(self, action: str, address: str, start_block: int) -> list[dict[str, Any]]:
        """Every record of `action` from start_block on, oldest first, across windows."""
        out: list[dict[str, Any]] = []
        seen: set[tuple[str, str, str]] = set()
        start = start_block
        while True:
            got_full_window = True
            for page in range(1, WINDOW // PAGE_SIZE + 1):
                rows = await self._get(
                    {
                        "module": "account", "action": action, "address": address,
                        "startblock": start, "endblock": 99_999_999, "page": page,
                        "offset": PAGE_SIZE, "sort": "asc",
                    }
                )  # fmt: skip
                for r in rows:
                    key = (str(r.get("hash")), str(r.get("logIndex")), str(r.get("traceId")),
                           str(r.get("value")))  # fmt: skip
                    if key not in seen:
                        seen.add(key)
                        out.append(r)
                if len(rows) < PAGE_SIZE:
                    got_full_window = False
                    break
            if not got_full_window or not out:
                return out
            # The window is full: continue from the last block seen (it is read again; the
            # records already kept are skipped above).
            last = _num(str(out[-1].get("blockNumber")), "block number")
            if last <= start:
                raise ExplorerError(
                    Said(
                        "etherscan.more_than_10_000",
                        "more than 10,000 records in one block: cannot page on",
                    )
                )
            start = last

    async def _approvals(self, address: str, start_block: int) -> list[tuple[str, TokenEvent]]:
        """Approval events the account signed (logs API, owner = topic1)."""
        out: list[tuple[str, TokenEvent]] = []
        for page in range(1, WINDOW // PAGE_SIZE + 1):
            rows = await self._get(
                {
                    "module": "logs", "action": "getLogs", "fromBlock": start_block,
                    "toBlock": "latest", "topic0": APPROVAL_TOPIC, "topic1": topic_for(address),
                    "topic0_1_opr": "and", "page": page, "offset": PAGE_SIZE,
                }
            )  # fmt: skip
            for r in rows:
                ev = decode_log(r)
                if ev is not None and ev.kind == "approval":
                    out.append((str(r.get("transactionHash", "")).lower(), ev))
            if len(rows) < PAGE_SIZE:
                break
        return out

    async def history(self, address: str, start_block: int) -> tuple[list[ChainTx], int]:
        """(transactions touching `address` from start_block on, the highest block seen).
        Normal transactions and ERC-20 transfers are merged per transaction hash."""
        try:
            normal = [
                NormalTx.model_validate({**r, "sender": r.get("from", "")})
                for r in await self._paged("txlist", address, start_block)
            ]
            tokens = [
                TokenTx.model_validate({**r, "sender": r.get("from", "")})
                for r in await self._paged("tokentx", address, start_block)
            ]
            # Coin paid by contracts (a token -> coin swap's payout): in no txlist record.
            internals = [
                InternalTx.model_validate({**r, "sender": r.get("from", "")})
                for r in await self._paged("txlistinternal", address, start_block)
            ]
        except ValidationError as exc:
            first = exc.errors()[0]
            raise BadResponse(
                f"the explorer sent a record without {'.'.join(map(str, first['loc']))}"
            ) from None
        txs: dict[str, dict[str, Any]] = {}
        events: dict[str, list[TokenEvent]] = {}
        last = start_block
        for h, ev in await self._approvals(address, start_block):
            events.setdefault(h, []).append(ev)
        for n in normal:
            block = _num(n.blockNumber, "block number")
            last = max(last, block)
            failed = n.isError == "1" or n.txreceipt_status == "0"
            txs[n.hash.lower()] = {
                "block": block, "ts": _num(n.timeStamp, "time"), "sender": n.sender.lower(),
                "to": n.to.lower() or None, "value": _num(n.value, "value"),
                "nonce": _num(n.nonce, "nonce"), "success": not failed,
                "gas_used": _num(n.gasUsed, "gas used"), "price": _num(n.gasPrice, "gas price"),
                "selector": n.input[:10] if len(n.input) >= 10 else "",
            }  # fmt: skip
        for i, t in enumerate(tokens):
            h = t.hash.lower()
            block = _num(t.blockNumber, "block number")
            last = max(last, block)
            index = _num(t.logIndex, "log index") if t.logIndex not in (None, "") else 10_000 + i
            events.setdefault(h, []).append(
                TokenEvent(
                    contract=t.contractAddress.lower(), kind="transfer", src=t.sender.lower(),
                    dst=t.to.lower(), value=_num(t.value, "token value"), log_index=index,
                )
            )  # fmt: skip
            if h not in txs:
                # A token transfer inside someone else's transaction (an incoming payment):
                # the tokentx record carries what we need of the transaction.
                # Its sender is not the account (txlist lists all the account sent), and the
                # record does not say who it is: '' keeps the fee off the account's rows.
                txs[h] = {
                    "block": block, "ts": _num(t.timeStamp, "time"), "sender": "", "to": None,
                    "value": 0, "nonce": _num(t.nonce, "nonce"), "success": True,
                    "gas_used": None, "price": None, "selector": "",
                }  # fmt: skip
        internal: dict[str, list[InternalTransfer]] = {}
        for it in internals:
            value = _num(it.value, "internal value")
            if it.isError == "1" or value == 0:
                continue  # reverted: moved nothing
            h = it.hash.lower()
            block = _num(it.blockNumber, "block number")
            last = max(last, block)
            found = internal.setdefault(h, [])
            found.append(
                InternalTransfer(src=it.sender.lower(),
                                 dst=(it.to or it.contractAddress).lower(), value=value,
                                 index=len(found))
            )  # fmt: skip
            if h not in txs:
                # Paid by a contract inside someone else's transaction: as for tokens above.
                txs[h] = {
                    "block": block, "ts": _num(it.timeStamp, "time"), "sender": "", "to": None,
                    "value": 0, "nonce": 0, "success": True, "gas_used": None, "price": None,
                    "selector": "",
                }  # fmt: skip
        out = chain_txs(txs, events, internal)
        return out, last
