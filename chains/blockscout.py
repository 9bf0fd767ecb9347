"""A Blockscout REST API (v2) client for EVM history without an API key, over httpx.

Blockscout is the open-source explorer many networks run in public (eth.blockscout.com,
base.blockscout.com, ...); its instances answer without a key, rate-limited per address. The
Etherscan-compatible client (chains/etherscan.py) stays for users with a key or their own
Etherscan-shaped API; which one serves a network is decided in wallet/history_apis.py.

Shapes (the instance's /api-docs; Blockscout's API v2 views): list endpoints answer
`{"items": [...], "next_page_params": {...} | null}`, newest first; the next page is asked by
sending `next_page_params` back as query parameters (keyset paging). Transactions:
`hash`, `block_number` (older releases: `block`), `timestamp` (ISO 8601), `from`/`to` as
`{"hash": ...}` (`to` null for a contract creation), `value`, `gas_used`, `gas_price`,
`status` ("ok" | "error" | null while pending), `nonce`, `raw_input`. Token transfers:
`transaction_hash` (older: `tx_hash`), `block_number`, `log_index`, `from`, `to`, `token`
(`address_hash`, older: `address`), `total` (`value`, base units as a decimal string). Internal
transactions (coin a contract moved inside a transaction, e.g. a token -> ETH swap's payout):
`transaction_hash`, `block_number` (older: `block`), `index`, `type` (call, delegatecall,
staticcall, create, create2, selfdestruct, reward), `success`, `from`, `to`,
`created_contract`, `value`. An address the instance never saw is 404: no history.

Approvals: Blockscout lists no logs by topic for an account, so an approval is read from the
account's own successful `approve(spender, amount)` calls (their input), which is what an
ERC-20 records as the allowance.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from chains.errors import BadResponse, NodeUnreachable
from chains.etherscan import ExplorerError, ExplorerRateLimited
from chains.evm_history import ChainTx, InternalTransfer, TokenEvent, chain_txs
from chains.http_limits import Sleep, retry_after, with_backoff
from said import Said

# Public instances of the built-in networks (chains/networks.py). BNB Chain runs none.
INSTANCES: dict[str, str] = {
    "eth": "https://eth.blockscout.com",
    "sepolia": "https://eth-sepolia.blockscout.com",
    "base": "https://base.blockscout.com",
    "arbitrum": "https://arbitrum.blockscout.com",
    "polygon": "https://polygon.blockscout.com",
}
_MOVES_COIN = {"call", "create", "create2", "selfdestruct"}  # internal types that pay someone
MAX_PAGES = 200  # 50 items a page: 10,000 records, as the Etherscan client's window
APPROVE = "0x095ea7b3"  # approve(address,uint256)


class BlockscoutClient:
    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        *,
        timeout: float = 20.0,
        transport: Any = None,
        sleep: Sleep = asyncio.sleep,
        max_pages: int = MAX_PAGES,
    ) -> None:
        import httpx

        from chains.proxy import httpx_proxy

        self.base_url = base_url.rstrip("/")
        self._key = api_key
        self._sleep = sleep
        self.max_pages = max_pages
        self._client = httpx.AsyncClient(
            base_url=self.base_url,
            timeout=timeout,
            transport=transport,
            headers={"User-Agent": "termwallet/0.1", "Accept": "application/json"},
            **httpx_proxy(self.base_url),
        )
        self.requests = 0

    def __repr__(self) -> str:  # never the key
        return f"BlockscoutClient({self.base_url!r})"

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _get(self, path: str, params: dict[str, Any]) -> dict[str, Any] | None:
        """One page; None for 404 (an address the instance never saw)."""
        import httpx

        query = {k: v for k, v in params.items() if v is not None}
        if self._key:
            query["apikey"] = self._key

        async def send() -> httpx.Response:
            self.requests += 1
            return await self._client.get(path, params=query)

        try:
            reply = await with_backoff(send, sleep=self._sleep)
        except httpx.HTTPError as exc:
            # httpx's text quotes the URL, which may carry the key: its class name only.
            raise NodeUnreachable(self.base_url, type(exc).__name__) from None
        if reply.status_code == 429:
            wait = retry_after(reply.headers.get("Retry-After"))
            raise ExplorerRateLimited(
                f"{self.base_url} limits how often it may be asked"
                + (f" (it asks to wait {wait:.0f} s)" if wait is not None else "")
                + "; history is read again on the next refresh",
                retry_after=wait,
            )
        if reply.status_code == 404:
            return None
        if reply.status_code in (401, 403):
            raise ExplorerError(
                Said(
                    "blockscout.refused_request_http",
                    "{base_url} refused the request (HTTP {status_code})",
                    base_url=self.base_url,
                    status_code=reply.status_code,
                )
            )
        if reply.status_code >= 400:
            raise NodeUnreachable(self.base_url, f"HTTP {reply.status_code}")
        try:
            body = reply.json()
        except ValueError:
            raise BadResponse(f"{self.base_url} did not answer JSON") from None
        if not isinstance(body, dict) or not isinstance(body.get("items"), list):
            raise BadResponse(f"{self.base_url} answered without a list of items")
        return body

    async def _pages(
        self, path: str, start_block: int, extra: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """Items from the newest down to start_block, across pages."""
        out: list[dict[str, Any]] = []
        params: dict[str, Any] = dict(extra or {})
        for _ in range(self.max_pages):
            body = await self._get(path, params)
            if body is None:
                return out
            items = [i for i in body["items"] if isinstance(i, dict)]
            older = False
            for item in items:
                block = _block_of(item)
                if block is not None and block < start_block:
                    older = True  # newest first: the rest is older still
                    break
                out.append(item)
            nxt = body.get("next_page_params")
            if older or not items or not isinstance(nxt, dict) or not nxt:
                return out
            # Sent back as they came (Blockscout's keyset cursor), with our own filters kept.
            params = {**(extra or {}), **{str(k): _param(v) for k, v in nxt.items()}}
        raise ExplorerError(
            Said(
                "blockscout.more_than_pages_history",
                "more than {max_pages} pages of history at {base_url}: only the newest were read",
                max_pages=self.max_pages,
                base_url=self.base_url,
            )
        )

    async def history(self, address: str, start_block: int) -> tuple[list[ChainTx], int]:
        """(transactions touching `address` from start_block on, the highest block seen), the
        same as chains.etherscan.EtherscanClient.history."""
        me = address.lower()
        txs_raw, transfers = await _both(
            self._pages(f"/api/v2/addresses/{address}/transactions", start_block),
            self._pages(
                f"/api/v2/addresses/{address}/token-transfers", start_block, {"type": "ERC-20"}
            ),
        )
        # After the two above, not beside them: a public instance limits requests per client.
        internals = await self._pages(
            f"/api/v2/addresses/{address}/internal-transactions", start_block
        )
        txs: dict[str, dict[str, Any]] = {}
        events: dict[str, list[TokenEvent]] = {}
        internal: dict[str, list[InternalTransfer]] = {}
        last = start_block
        for t in txs_raw:
            block = _block_of(t)
            if block is None:
                continue  # pending: the wallet's own outbox follows those
            last = max(last, block)
            h = _hash(t.get("hash"))
            sender = _address(t.get("from"), "sender")
            to = _address(t.get("to"), "recipient") if t.get("to") else None
            raw_input = str(t.get("raw_input") or "0x")
            status = t.get("status")
            success = None if status is None else status == "ok"
            txs[h] = {
                "block": block, "ts": _time(t.get("timestamp")), "sender": sender, "to": to,
                "value": _num(t.get("value"), "value"), "nonce": _num(t.get("nonce"), "nonce"),
                "success": success, "gas_used": _opt_num(t.get("gas_used"), "gas used"),
                "price": _opt_num(t.get("gas_price"), "gas price"),
                "selector": raw_input[:10] if len(raw_input) >= 10 else "",
            }  # fmt: skip
            approval = _approval(me, sender, to, raw_input, success)
            if approval is not None:
                events.setdefault(h, []).append(approval)
        for i, tr in enumerate(transfers):
            h = _hash(tr.get("transaction_hash") or tr.get("tx_hash"))
            block = _block_of(tr)
            if block is None:
                block = txs.get(h, {}).get("block")
            if block is None:
                raise BadResponse(f"{self.base_url} sent a token transfer without its block")
            last = max(last, block)
            token = tr.get("token") if isinstance(tr.get("token"), dict) else {}
            contract = token.get("address_hash") or token.get("address")  # type: ignore[union-attr]
            total = tr.get("total") if isinstance(tr.get("total"), dict) else {}
            index = tr.get("log_index")
            events.setdefault(h, []).append(
                TokenEvent(
                    contract=_address({"hash": contract}, "token"),
                    kind="transfer",
                    src=_address(tr.get("from"), "sender"),
                    dst=_address(tr.get("to"), "recipient"),
                    value=_num(total.get("value"), "token value"),  # type: ignore[union-attr]
                    log_index=_num(index, "log index") if index is not None else 10_000 + i,
                )
            )
            if h not in txs:
                # Someone else's transaction (an incoming payment): its sender is not the
                # account, '' keeps its fee off the account's rows (as the Etherscan client).
                txs[h] = {
                    "block": block, "ts": _time(tr.get("timestamp")), "sender": "", "to": None,
                    "value": 0, "nonce": 0, "success": True, "gas_used": None, "price": None,
                    "selector": "",
                }  # fmt: skip
        for it in sorted(internals, key=lambda i: _num(i.get("index", 0), "index")):
            if it.get("success") is not True or str(it.get("type", "")) not in _MOVES_COIN:
                continue  # reverted, or a call that moves no coin between accounts
            value = _num(it.get("value"), "internal value")
            if value == 0:
                continue
            h = _hash(it.get("transaction_hash"))
            block = _block_of(it)
            if block is None:
                continue  # pending
            last = max(last, block)
            dst = it.get("to") or it.get("created_contract")
            found = internal.setdefault(h, [])
            found.append(
                InternalTransfer(src=_address(it.get("from"), "sender"),
                                 dst=_address(dst, "recipient"), value=value, index=len(found))
            )  # fmt: skip
            if h not in txs:
                # Paid by a contract inside someone else's transaction: as for tokens above.
                txs[h] = {
                    "block": block, "ts": _time(it.get("timestamp")), "sender": "", "to": None,
                    "value": 0, "nonce": 0, "success": True, "gas_used": None, "price": None,
                    "selector": "",
                }  # fmt: skip
        out = chain_txs(txs, events, internal)
        return out, last


async def _both(a: Any, b: Any) -> tuple[Any, Any]:
    """Both at once; when one fails the other is stopped (gather alone would leave it asking
    a rate-limited server in the background)."""
    ta, tb = asyncio.ensure_future(a), asyncio.ensure_future(b)
    try:
        return tuple(await asyncio.gather(ta, tb))  # type: ignore[return-value]
    except BaseException:
        for t in (ta, tb):
            t.cancel()
        await asyncio.gather(ta, tb, return_exceptions=True)
        raise


def _param(value: Any) -> Any:
    return value if isinstance(value, str | int) and not isinstance(value, bool) else str(value)


def _block_of(item: dict[str, Any]) -> int | None:
    value = item.get("block_number", item.get("block"))
    if value is None:
        return None
    return _num(value, "block number")


def _num(value: Any, what: str) -> int:
    if isinstance(value, bool):
        raise BadResponse(f"the explorer sent a malformed {what}")
    if isinstance(value, int):
        number = value
    else:
        text = str(value)
        if not (text.isascii() and text.isdigit()):
            raise BadResponse(f"the explorer sent a malformed {what}")
        number = int(text)
    if number < 0:
        raise BadResponse(f"the explorer sent a negative {what}")
    return number


def _opt_num(value: Any, what: str) -> int | None:
    return None if value is None else _num(value, what)


def _hash(value: Any) -> str:
    text = str(value or "").lower()
    if len(text) != 66 or not text.startswith("0x"):
        raise BadResponse("the explorer sent a malformed transaction hash")
    try:
        bytes.fromhex(text[2:])
    except ValueError:
        raise BadResponse("the explorer sent a malformed transaction hash") from None
    return text


def _address(value: Any, what: str) -> str:
    text = str((value or {}).get("hash") if isinstance(value, dict) else "").lower()
    if len(text) != 42 or not text.startswith("0x"):
        raise BadResponse(f"the explorer sent a malformed {what} address")
    try:
        bytes.fromhex(text[2:])
    except ValueError:
        raise BadResponse(f"the explorer sent a malformed {what} address") from None
    return text


def _time(value: Any) -> int | None:
    if value is None:
        return None
    try:
        return int(datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp())
    except ValueError:
        raise BadResponse("the explorer sent a malformed time") from None


def _approval(
    me: str, sender: str, to: str | None, raw_input: str, success: bool | None
) -> TokenEvent | None:
    """approve(spender, amount) sent by the account and executed: the allowance it set."""
    if not success or sender != me or to is None or not raw_input.startswith(APPROVE):
        return None
    body = raw_input[10:]
    if len(body) < 128:
        return None
    try:
        spender = "0x" + body[24:64].lower()
        amount = int(body[64:128], 16)
    except ValueError:
        return None
    return TokenEvent(contract=to, kind="approval", src=me, dst=spender, value=amount, log_index=0)
