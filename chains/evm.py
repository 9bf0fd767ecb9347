"""Ethereum and EVM chains over JSON-RPC: the backend. The only place (with chains/evm_rpc.py
and chains/proxy.py) that touches web3.py.

Raw JSON-RPC (balances, the chain id check, nonces, fees, receipts) goes over httpx
(chains/evm_rpc.py), so the first balance read never waits for web3's import (about 0.6 s).
The typed calls of sending and swapping (estimates, broadcasts, contract reads, token
metadata) go through web3, imported on first use; `preload_web3` imports it on a thread ahead
of that. Failures of both are turned into chains.errors (or the send errors of
chains/evm_errors.py) in chains/evm_rpc.py and nowhere else.

A network may list several RPC URLs: each call goes to the current one and, when that node
cannot be reached, to the next; the one that answered becomes current.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from chains.errors import BadResponse, ChainError, NodeUnreachable
from chains.evm_abi import (
    BALANCE_OF,
    DECIMALS,
    ERC20_ABI,
    MAX_GAS,
    MAX_NONCE,
    MAX_TOKEN_DECIMALS,
    NAME,
    SYMBOL,
    Receipt,
    TokenMetadata,
    abi_text,
    address_checksum,
    as_int,
    checksum,
    decode_erc20_transfer,
    erc20_approve_data,
    erc20_transfer_data,
    hex_int,
    strict_int,
)
from chains.evm_errors import (
    AlreadyKnown,
    CallReverted,
    NonceUsed,
    NotAToken,
    TxRejected,
    Underpriced,
    WrongChain,
    rejected,
)
from chains.evm_rpc import JsonRpc, Web3Errors
from chains.fees import HISTORY_BLOCKS, REWARD_PERCENTILES, FeeOptions, tiers_from_history
from chains.models import Asset, Balance, Network
from chains.web3_loader import load_first_read_libraries, preload_web3, wait_for_web3

__all__ = [  # what the rest of the code imports from here (split into evm_* by issue 21)
    "ERC20_ABI",
    "MAX_GAS",
    "MAX_NONCE",
    "MAX_TOKEN_DECIMALS",
    "AlreadyKnown",
    "CallReverted",
    "EvmBackend",
    "NonceUsed",
    "NotAToken",
    "Receipt",
    "TokenMetadata",
    "TxRejected",
    "Underpriced",
    "WrongChain",
    "checksum",
    "decode_erc20_transfer",
    "erc20_approve_data",
    "erc20_transfer_data",
    "load_first_read_libraries",
    "preload_web3",
]

T = TypeVar("T")


class EvmBackend:
    def __init__(self, network: Network, *, timeout: float = 10.0) -> None:
        if not network.rpc_urls:
            raise ChainError(f"{network.name}: no RPC URL configured; add one in settings")
        self.network = network
        self.url = network.rpc_urls[0]
        self._timeout = timeout
        self._w3: Any = None
        self._w3_url: str | None = None
        self._rpc_client: JsonRpc | None = None
        # URLs whose eth_chainId matched the network's: a node is asked once, before its first
        # answer is used (a public RPC of another chain would show other balances as ours).
        self._checked: set[str] = set()
        self.round_trips = 0  # HTTP requests sent: the bench and tests read it

    # -- plumbing ----------------------------------------------------------------------------

    def _web3(self) -> Any:
        if self._w3 is None or self._w3_url != self.url:
            wait_for_web3()
            from web3 import AsyncWeb3

            from chains.proxy import web3_provider

            # Through the proxy when one is set (chains/proxy.py).
            self._w3 = AsyncWeb3(web3_provider(self.url, self._timeout))
            self._w3_url = self.url
        return self._w3

    def _rpc(self) -> JsonRpc:
        if self._rpc_client is None or self._rpc_client.url != self.url:
            self._rpc_client = JsonRpc(self.url, self._timeout)
        return self._rpc_client

    def _candidates(self) -> list[str]:
        return [self.url, *(u for u in self.network.rpc_urls if u != self.url)]

    async def _call(
        self,
        fn: Callable[[Any], Awaitable[T]],
        *,
        requests: int = 1,
        checks_chain: bool = False,
        raw: bool = False,
    ) -> T:
        """fn(w3) on the current node, or fn(JsonRpc) with raw; on NodeUnreachable or a node of
        another chain, on the next URL. Other bad answers are reported, not skipped silently.
        checks_chain: fn asks for the chain id itself (in its batch, to keep one round trip)
        when the URL is new."""
        last: NodeUnreachable | WrongChain | None = None
        for url in self._candidates():
            if url != self.url:
                await self._drop_client()
                self.url = url
            try:
                async with Web3Errors(url):
                    if url not in self._checked and not checks_chain:
                        await self._check_chain(url)
                    self.round_trips += requests
                    return await fn(self._rpc() if raw else self._web3())
            except (NodeUnreachable, WrongChain) as exc:
                # A wrong chain is the more useful message when no URL works.
                if not isinstance(last, WrongChain):
                    last = exc
        assert last is not None
        raise last

    async def _check_chain(self, url: str) -> None:
        expected = self.network.evm_chain_id
        if expected is None:
            return
        self.round_trips += 1
        reply = await self._rpc().make_request("eth_chainId", [])
        self._chain_answer(url, reply.get("result") if isinstance(reply, dict) else None)

    def _chain_answer(self, url: str, result: Any) -> None:
        expected = self.network.evm_chain_id
        assert expected is not None  # only EVM networks with a chain id are checked
        got = hex_int(result)
        if got != expected:
            raise WrongChain(url, expected, got)
        self._checked.add(url)

    async def _drop_client(self) -> None:
        rpc, self._rpc_client = self._rpc_client, None
        try:
            if self._w3 is not None:
                await self._w3.provider.disconnect()
        finally:
            self._w3 = None
            if rpc is not None:
                await rpc.aclose()

    async def aclose(self) -> None:
        await self._drop_client()

    # -- reads -------------------------------------------------------------------------------

    async def _quantity(self, method: str, what: str) -> int:
        async def go(rpc: JsonRpc) -> Any:
            return await rpc.make_request(method, [])

        reply = await self._call(go, raw=True)
        if not isinstance(reply, dict) or "error" in reply:
            err = reply.get("error") if isinstance(reply, dict) else reply
            raise BadResponse(f"{self.url}: {str(err)[:200]}")
        try:
            return strict_int(reply.get("result"))
        except ValueError:
            raise BadResponse(f"{self.url} gave a malformed {what}") from None

    async def block_number(self) -> int:
        return await self._quantity("eth_blockNumber", "block number")

    async def chain_id(self) -> int:
        return await self._quantity("eth_chainId", "chain id")

    async def balances(
        self,
        addresses: Sequence[str],
        assets: Sequence[Asset],
        *,
        batch_size: int | None = None,
    ) -> list[Balance]:
        """All (address, asset) balances and the block number in ONE JSON-RPC batch request.

        With batch_size, the pairs go in batches of that many, sent concurrently, every call
        pinned to one block number read first (so all figures are of the same block)."""
        pairs = [(address_checksum(a), asset) for a in addresses for asset in assets]
        if batch_size is None or len(pairs) <= batch_size:
            results = await self._call(
                lambda rpc: self._batch(rpc, pairs, None), requests=1, checks_chain=True, raw=True
            )
            if len(results) != len(pairs) + 1:
                raise BadResponse(
                    f"{self.url} answered {len(results)} of {len(pairs) + 1} requests"
                )
            block, values = as_int(results[0], self.url), list(results[1:])
        else:
            block = await self.block_number()
            chunks = [pairs[i : i + batch_size] for i in range(0, len(pairs), batch_size)]
            answers = await asyncio.gather(
                *(self._call(lambda rpc, c=c: self._batch(rpc, c, block), raw=True) for c in chunks)
            )
            values = []
            for chunk, answer in zip(chunks, answers, strict=True):
                if len(answer) != len(chunk):
                    raise BadResponse(f"{self.url} answered {len(answer)} of {len(chunk)}")
                values.extend(answer)
        now = datetime.now(UTC)
        out = []
        for (address, asset), value in zip(pairs, values, strict=True):
            if not isinstance(value, int) or value < 0:
                raise BadResponse(f"{self.url} gave a malformed balance for {asset.symbol}")
            out.append(Balance(asset=asset, address=address, amount=value, block=block, as_of=now))
        return out

    async def _batch(
        self, rpc: JsonRpc, pairs: Sequence[tuple[str, Asset]], block: int | None
    ) -> list[Any]:
        """Raw JSON-RPC in one batch. Written out rather than through web3's contract objects:
        building one contract call costs about a millisecond of CPU in web3, so 1,000 balances
        took over a second of pure Python; a balanceOf call is a fixed 36-byte payload."""
        at = hex(block) if block is not None else "latest"
        reqs: list[tuple[str, Any]] = [] if block is not None else [("eth_blockNumber", [])]
        for address, asset in pairs:
            if asset.contract is None:
                reqs.append(("eth_getBalance", [address, at]))
            else:
                data = BALANCE_OF + address[2:].lower().rjust(64, "0")
                reqs.append(("eth_call", [{"to": asset.contract, "data": data}, at]))
        url = self.url
        check = url not in self._checked and self.network.evm_chain_id is not None
        if check:
            reqs.insert(0, ("eth_chainId", []))
        replies = await rpc.make_batch_request(reqs)
        if not isinstance(replies, list):
            raise BadResponse(f"the node answered a batch with {type(replies).__name__}")
        if check:
            first = replies.pop(0) if replies else None
            self._chain_answer(url, first.get("result") if isinstance(first, dict) else None)
        out: list[Any] = []
        for reply in replies:
            if not isinstance(reply, dict) or "error" in reply:
                err = reply.get("error") if isinstance(reply, dict) else reply
                raise BadResponse(f"the node refused a balance request: {str(err)[:200]}")
            out.append(hex_int(reply.get("result")))
        return out

    async def nonces(self, address: str) -> tuple[int, int]:
        """(latest, pending) transaction counts of `address`, in one batch: latest is the next
        nonce after the mined ones, pending also counts what the node holds in its pool."""

        a = address_checksum(address)

        async def go(rpc: JsonRpc) -> list[Any]:
            reqs = [("eth_getTransactionCount", [a, tag]) for tag in ("latest", "pending")]
            return await rpc.make_batch_request(reqs)

        replies = await self._call(go, raw=True)
        counts = [hex_int(r.get("result")) if isinstance(r, dict) else None for r in replies]
        if len(counts) != 2 or any(c is None or c >= MAX_NONCE for c in counts):
            # EIP-2681: a nonce is below 2^64. A larger one cannot be stored or mined; signing
            # it would only make a transaction nobody can include.
            raise BadResponse(f"{self.url} gave a malformed nonce (transaction count)")
        latest, pending = counts
        assert latest is not None and pending is not None
        return latest, pending

    async def fee_options(self) -> FeeOptions:
        async def go(rpc: JsonRpc) -> Any:
            # Raw: web3's formatter meets a null or odd answer with a TypeError of its own.
            params = [hex(HISTORY_BLOCKS), "latest", list(REWARD_PERCENTILES)]
            return await rpc.make_request("eth_feeHistory", params)

        reply = await self._call(go, raw=True)
        history = reply.get("result") if isinstance(reply, dict) else None
        try:
            base = [strict_int(b) for b in history["baseFeePerGas"]]  # type: ignore[index]
            rewards = [[strict_int(v) for v in r] for r in history.get("reward") or []]  # type: ignore[union-attr]
        except (AttributeError, KeyError, TypeError, ValueError):
            raise BadResponse(f"{self.url} gave a malformed fee history") from None
        return tiers_from_history(base, rewards)

    async def latest_base_fee(self) -> int | None:
        """The latest block's own baseFeePerGas (None before EIP-1559): evidence about fees
        from another method than eth_feeHistory."""

        async def go(rpc: JsonRpc) -> Any:
            return await rpc.make_request("eth_getBlockByNumber", ["latest", False])

        reply = await self._call(go, raw=True)
        block = reply.get("result") if isinstance(reply, dict) else None
        if not isinstance(block, dict):
            raise BadResponse(f"{self.url} gave no latest block")
        if block.get("baseFeePerGas") is None:
            return None
        try:
            return strict_int(block["baseFeePerGas"])
        except ValueError:
            raise BadResponse(f"{self.url} gave a malformed base fee") from None

    async def estimate_gas(self, sender: str, to: str, value: int, data: bytes) -> int:
        async def go(w3: Any) -> int:
            from web3.exceptions import ContractLogicError

            tx = {"from": checksum(sender), "to": checksum(to), "value": value, "data": data}
            try:
                return int(await w3.eth.estimate_gas(tx))
            except ContractLogicError as exc:
                # The node simulated it and it reverted (a token refusing the transfer).
                raise TxRejected(f"it would fail ({str(exc.message)[:120]})") from None

        gas = await self._call(go)
        if not 0 < gas < MAX_GAS:
            raise BadResponse(f"{self.url} gave a malformed gas estimate")
        return gas

    async def has_transaction(self, tx_hash: str) -> bool:
        """Whether the node knows this transaction (in its pool or mined): after a broadcast,
        the check that it did not only say it took it."""

        async def go(rpc: JsonRpc) -> Any:
            return await rpc.make_request("eth_getTransactionByHash", [tx_hash])

        reply = await self._call(go, raw=True)
        return isinstance(reply, dict) and isinstance(reply.get("result"), dict)

    async def is_contract(self, address: str) -> bool:
        async def go(w3: Any) -> bool:
            return len(await w3.eth.get_code(checksum(address))) > 0

        return await self._call(go)

    async def token_metadata(self, contract: str) -> TokenMetadata:
        """symbol, name and decimals of an ERC-20 in one batch. Some old tokens (MKR) return
        bytes32 rather than string for symbol and name; both are read."""
        address = checksum(contract)

        async def go(w3: Any) -> list[Any]:
            async with w3.batch_requests() as batch:
                batch.add(w3.eth.get_code(address))
                for sel in (SYMBOL, NAME, DECIMALS):
                    batch.add(w3.eth.call({"to": address, "data": sel}))
                return list(await batch.async_execute())

        try:
            code, symbol, name, decimals = await self._call(go)
        except BadResponse:
            raise NotAToken(f"{address} does not answer as an ERC-20 token") from None
        if not code:
            raise NotAToken(f"{address} is not a contract on {self.network.name}")
        from eth_abi import decode

        try:
            dec = int(decode(["uint8"], bytes(decimals))[0])
        except Exception:
            raise NotAToken(f"{address} has no decimals(): not an ERC-20 token") from None
        if dec > MAX_TOKEN_DECIMALS:
            # No real token has more (the largest known use 24-30); with 255 one base unit
            # would be 10^-255 of a token and any typed amount a number of hundreds of digits.
            raise NotAToken(
                f"{address} answers decimals() = {dec}, more than any token has "
                f"({MAX_TOKEN_DECIMALS} at most): refused"
            )
        return TokenMetadata(address, abi_text(bytes(symbol)), abi_text(bytes(name)), dec)

    async def receipt(self, tx_hash: str) -> Receipt | None:
        async def go(w3: Any) -> Any:
            from web3.exceptions import TransactionNotFound

            try:
                return await w3.eth.get_transaction_receipt(tx_hash)
            except TransactionNotFound:
                return None

        r = await self._call(go)
        if r is None:
            return None
        return Receipt(
            tx_hash=tx_hash,
            block=int(r["blockNumber"]),
            success=int(r["status"]) == 1,
            gas_used=int(r["gasUsed"]),
            effective_gas_price=int(r.get("effectiveGasPrice") or 0),
        )

    async def receipts(self, tx_hashes: Sequence[str]) -> dict[str, Receipt | None]:
        """Receipts of many transactions in one batch (None: not mined)."""
        if not tx_hashes:
            return {}

        async def go(rpc: JsonRpc) -> list[Any]:
            # Raw requests: web3's typed receipt call raises on a null result inside a batch.
            reqs = [("eth_getTransactionReceipt", [h]) for h in tx_hashes]
            return await rpc.make_batch_request(reqs)

        replies = await self._call(go, raw=True)
        if not isinstance(replies, list) or len(replies) != len(tx_hashes):
            raise BadResponse(f"{self.url} answered receipts with something else")
        out: dict[str, Receipt | None] = {}
        for h, reply in zip(tx_hashes, replies, strict=True):
            if not isinstance(reply, dict) or "error" in reply:
                err = reply.get("error") if isinstance(reply, dict) else reply
                raise BadResponse(f"{self.url}: {str(err)[:200]}")
            r = reply.get("result")
            try:
                out[h] = (
                    None
                    if r is None
                    else Receipt(
                        tx_hash=h,
                        block=strict_int(r["blockNumber"]),
                        success=strict_int(r["status"]) == 1,
                        gas_used=strict_int(r["gasUsed"]),
                        effective_gas_price=strict_int(r.get("effectiveGasPrice") or "0x0"),
                    )
                )
            except (KeyError, TypeError, ValueError, AttributeError):
                raise BadResponse(f"{self.url} gave a malformed receipt for {h}") from None
        return out

    # -- writes ------------------------------------------------------------------------------

    async def broadcast(self, raw_tx: bytes) -> str:
        """Send a signed transaction; returns its hash. Re-sending the same bytes is safe: a
        node that already has them says so and we raise AlreadyKnown (the caller treats it as
        sent)."""

        async def go(w3: Any) -> str:
            from web3.exceptions import Web3RPCError

            try:
                return "0x" + bytes(await w3.eth.send_raw_transaction(raw_tx)).hex()
            except Web3RPCError as exc:
                raise rejected(exc) from None

        return await self._call(go)

    # -- reads for contract use-cases (swaps) ----------------------------------------------

    async def eth_call(self, to: str, data: bytes, block: int | str = "latest") -> bytes:
        """A read-only contract call; CallReverted (with the contract's reason) if it reverts.
        Raw JSON-RPC, not web3's eth.call: the demo's prices read pool reserves while the
        first balances are on their way, and importing web3 (about 1 s) on the app's event
        loop held those balances back; a call is one request whose answer is hex bytes."""
        at = hex(block) if isinstance(block, int) else block
        params = [{"to": address_checksum(to), "data": "0x" + data.hex()}, at]

        async def go(rpc: JsonRpc) -> Any:
            return await rpc.make_request("eth_call", params)

        reply = await self._call(go, raw=True)
        if not isinstance(reply, dict):
            raise BadResponse(f"{self.url} answered eth_call with {type(reply).__name__}")
        error = reply.get("error")
        if error is not None:
            message = str(error.get("message") if isinstance(error, dict) else error)[:200]
            code = error.get("code") if isinstance(error, dict) else None
            # A revert (EIP-1474 code 3, or geth's and anvil's "execution reverted" words),
            # as web3's ContractLogicError tells it; any other error is the node's failure.
            if code == 3 or "revert" in message.lower():
                raise CallReverted(_with_reason(message, error))
            raise BadResponse(f"{self.url}: {message}")
        result = reply.get("result")
        if not isinstance(result, str) or not result.startswith("0x") or len(result) % 2:
            raise BadResponse(f"{self.url} gave a malformed eth_call result")
        try:
            return bytes.fromhex(result[2:])
        except ValueError:
            raise BadResponse(f"{self.url} gave a malformed eth_call result") from None

    async def latest_block(self) -> tuple[int, int]:
        """(number, timestamp) of the latest block: deadlines are in chain time, not wall time."""

        async def go(w3: Any) -> tuple[int, int]:
            b = await w3.eth.get_block("latest")
            return int(b["number"]), int(b["timestamp"])

        return await self._call(go)

    async def block_timestamp(self, number: int) -> int:
        async def go(w3: Any) -> int:
            return int((await w3.eth.get_block(number))["timestamp"])

        return await self._call(go)

    async def receipt_logs(self, tx_hash: str) -> list[tuple[str, list[bytes], bytes]]:
        """(contract, topics, data) of every log of a mined transaction."""

        async def go(w3: Any) -> list[tuple[str, list[bytes], bytes]]:
            r = await w3.eth.get_transaction_receipt(tx_hash)
            return [
                (checksum(log["address"]), [bytes(t) for t in log["topics"]], bytes(log["data"]))
                for log in r["logs"]
            ]

        return await self._call(go)


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
