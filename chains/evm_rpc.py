"""How the EVM backend reaches a node: plain JSON-RPC over httpx for raw requests (the first
balance read, the chain id check, nonces, fees, receipts), and the mapping of web3's failures
for the typed calls that still go through web3 (signing-time calls: estimates, broadcasts,
contract reads). Split from chains/evm.py (issue 21).

Why not web3 for everything: importing web3 takes about 0.6 s (eth libraries build tables at
import), and the wallet's first screen of balances waited for it although that read is one
JSON-RPC batch written out by hand anyway. httpx is already the client of the history reader
and the explorers; it goes through the proxy setting (chains/proxy.py) like every client.
Failures become chains.errors here, with the node's URL and never httpx's own exception (the
callers and the UI know chains.errors only)."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from chains.errors import BadResponse, ChainError, NodeUnreachable


class JsonRpc:
    """One node's JSON-RPC endpoint. Replies are returned as the node sent them (dicts), in
    the order of the requests: the callers validate each."""

    def __init__(self, url: str, timeout: float) -> None:
        import httpx

        from chains.proxy import httpx_proxy, is_loopback

        self.url = url
        # A loopback node (the devnet) is never reached through an HTTP(S)_PROXY of the
        # environment; the SOCKS setting, when there is one, is the only route otherwise.
        host = urlsplit(url).hostname or ""
        self._routing: dict[str, Any] = {"trust_env": not is_loopback(host), **httpx_proxy(url)}
        self._timeout = timeout
        self._client = httpx.AsyncClient(timeout=timeout, **self._routing)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ids = itertools.count(1)

    async def aclose(self) -> None:
        if self._loop in (None, asyncio.get_running_loop()):
            await self._client.aclose()
        # else: its connections belong to a loop that has ended (and went with it)

    async def make_request(self, method: str, params: Sequence[Any]) -> Any:
        """The node's reply to one request (a dict when it kept to JSON-RPC)."""
        ident = next(self._ids)
        return await self._post({"jsonrpc": "2.0", "id": ident, "method": method, "params": params})

    async def make_batch_request(self, reqs: Sequence[tuple[str, Sequence[Any]]]) -> list[Any]:
        """The node's replies to a batch, matched to the requests by id, in request order
        (None where a request got no reply). A batch answered with anything but a list is a
        BadResponse."""
        ids = [next(self._ids) for _ in reqs]
        body = [
            {"jsonrpc": "2.0", "id": i, "method": m, "params": list(p)}
            for i, (m, p) in zip(ids, reqs, strict=True)
        ]
        replies = await self._post(body)
        if not isinstance(replies, list):
            raise BadResponse(f"{self.url} answered a batch with {type(replies).__name__}")
        by_id: dict[Any, Any] = {}
        for reply in replies:
            if isinstance(reply, dict) and isinstance(reply.get("id"), int):
                by_id.setdefault(reply["id"], reply)
        return [by_id.get(i) for i in ids]

    async def _post(self, body: Any) -> Any:
        import httpx

        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            # A backend outlives an event loop in the CLI (one asyncio.run per step): the
            # pool's connections belong to the loop that opened them, as web3's sessions did.
            if self._loop is not None:
                self._client = httpx.AsyncClient(timeout=self._timeout, **self._routing)
            self._loop = loop
        try:
            response = await self._client.post(self.url, json=body)
            response.raise_for_status()
            return response.json()
        except httpx.HTTPStatusError as exc:
            raise NodeUnreachable(self.url, f"HTTP {exc.response.status_code}") from None
        except httpx.ProxyError as exc:
            raise NodeUnreachable(self.url, f"through the proxy: {exc}"[:300]) from None
        except httpx.TimeoutException:
            raise NodeUnreachable(self.url, "timed out") from None
        except httpx.RemoteProtocolError:
            # An answer cut short of its length (or not HTTP): no part of it can be trusted.
            raise NodeUnreachable(self.url, "incomplete answer") from None
        except httpx.HTTPError as exc:
            raise NodeUnreachable(self.url, type(exc).__name__) from None
        except ValueError:  # not JSON (json.JSONDecodeError, UnicodeDecodeError)
            raise BadResponse(f"{self.url} did not answer JSON") from None


class Web3Errors:
    """Turns web3/aiohttp failures into NodeUnreachable / BadResponse with the node's URL."""

    def __init__(self, url: str) -> None:
        self.url = url

    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> bool:
        if exc is None or isinstance(exc, ChainError):
            return False
        if isinstance(exc, asyncio.TimeoutError | TimeoutError):
            raise NodeUnreachable(self.url, "timed out") from None
        if type(exc).__module__.startswith(("python_socks", "aiohttp_socks")):  # the proxy
            raise NodeUnreachable(self.url, f"through the proxy: {exc}"[:300]) from None
        import aiohttp
        from web3.exceptions import Web3Exception

        if isinstance(exc, aiohttp.ClientConnectionError | OSError):
            raise NodeUnreachable(self.url, type(exc).__name__) from None
        if isinstance(exc, aiohttp.ClientPayloadError):
            # An answer cut short of its length: no part of it can be trusted.
            raise NodeUnreachable(self.url, "incomplete answer") from None
        if isinstance(exc, aiohttp.ClientResponseError):
            raise NodeUnreachable(self.url, f"HTTP {exc.status}") from None
        # TypeError: web3's result formatters given a null or a wrong type where the method
        # returns bytes or a number (eth_call answered null): the node's answer is unusable.
        if isinstance(exc, Web3Exception | ValueError | TypeError | aiohttp.ContentTypeError):
            raise BadResponse(f"{self.url}: {str(exc)[:200]}") from None
        return False


def call_result(reply: Any, url: str) -> bytes:
    """The bytes an eth_call answered; CallReverted (with the contract's reason) when the call
    reverted, BadResponse for anything else that is not a result."""
    from chains.evm_errors import CallReverted

    if not isinstance(reply, dict):
        raise BadResponse(f"{url} answered eth_call with {type(reply).__name__}")
    error = reply.get("error")
    if error is not None:
        message = str(error.get("message") if isinstance(error, dict) else error)[:200]
        code = error.get("code") if isinstance(error, dict) else None
        # A revert (EIP-1474 code 3, or geth's and anvil's "execution reverted" words),
        # as web3's ContractLogicError tells it; any other error is the node's failure.
        if code == 3 or "revert" in message.lower():
            raise CallReverted(_with_reason(message, error))
        raise BadResponse(f"{url}: {message}")
    result = reply.get("result")
    if not isinstance(result, str) or not result.startswith("0x") or len(result) % 2:
        raise BadResponse(f"{url} gave a malformed eth_call result")
    try:
        return bytes.fromhex(result[2:])
    except ValueError:
        raise BadResponse(f"{url} gave a malformed eth_call result") from None


def _with_reason(message: str, error: dict[str, Any] | Any) -> str:
    """The node's words, with the contract's Error(string) reason added from the error's data
    when the words lack it (some nodes say only "execution reverted"), as web3 reports it."""
    data = error.get("data") if isinstance(error, dict) else None
    if isinstance(data, dict):  # some nodes nest it: {"data": {"data": "0x..."}}
        data = data.get("data")
    if not isinstance(data, str) or not data.startswith("0x08c379a0"):
        return message
    try:
        from eth_abi import decode

        (reason,) = decode(["string"], bytes.fromhex(data[10:]))
    except Exception:  # a malformed reason: the node's words are all there is
        return message
    reason = str(reason)[:160]
    return message if reason in message else f"{message}: {reason}"[:200]
