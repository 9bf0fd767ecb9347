"""Ethereum and EVM chains over JSON-RPC: the only module that touches web3.py.

web3 is imported on first use (it takes over a second to import). Its exceptions are turned
into chains.errors (or the send errors below) here and nowhere else.

A network may list several RPC URLs: each call goes to the current one and, when that node
cannot be reached, to the next; the one that answered becomes current.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from chains.errors import BadResponse, ChainError, NodeUnreachable
from chains.fees import HISTORY_BLOCKS, REWARD_PERCENTILES, FeeOptions, tiers_from_history
from chains.models import Asset, Balance, Network

T = TypeVar("T")

ERC20_ABI: list[dict[str, Any]] = [
    {
        "name": "balanceOf",
        "type": "function",
        "stateMutability": "view",
        "inputs": [{"name": "owner", "type": "address"}],
        "outputs": [{"name": "", "type": "uint256"}],
    },
]
_TRANSFER = bytes.fromhex("a9059cbb")  # transfer(address,uint256)
_APPROVE = bytes.fromhex("095ea7b3")  # approve(address,uint256)
_SYMBOL, _NAME, _DECIMALS = "0x95d89b41", "0x06fdde03", "0x313ce567"
MAX_TOKEN_DECIMALS = 36  # chains.models.Asset's bound
MAX_NONCE = 2**64  # EIP-2681
MAX_GAS = 2**32  # far above any block's gas limit; an estimate beyond it is not one
_BALANCE_OF = "0x70a08231"  # balanceOf(address); the address follows, left-padded to 32 bytes


class TxRejected(ChainError):
    """The node refused a signed transaction; `reason` is the node's own words."""

    code = "TX_REJECTED"

    def __init__(self, reason: str) -> None:
        super().__init__(f"The node refused the transaction: {reason}", reason=reason)
        self.reason = reason


class NonceUsed(TxRejected):
    """A transaction with this nonce is already mined: this one can never be."""

    code = "NONCE_USED"


class AlreadyKnown(TxRejected):
    """The node already holds exactly this transaction (a re-broadcast): not an error for us."""

    code = "TX_ALREADY_KNOWN"


class Underpriced(TxRejected):
    """A replacement must pay more than the transaction it replaces."""

    code = "TX_UNDERPRICED"


class WrongChain(ChainError):
    """A node answered for another chain than the network's: every answer it gives would be
    about other money, and what we sign for it would be for the wrong chain."""

    code = "WRONG_CHAIN"

    def __init__(self, url: str, expected: int, got: int | None) -> None:
        said = "no usable chain id" if got is None else f"chain id {got}"
        super().__init__(
            f"refused node {url}: it answered {said}, but this network is chain id {expected}",
            url=url,
            expected=expected,
            got="?" if got is None else got,
        )
        self.url = url


class CallReverted(ChainError):
    """A read-only contract call reverted; the message is the contract's reason."""

    code = "CALL_REVERTED"


class NotAToken(ChainError):
    code = "NOT_A_TOKEN"


@dataclass(frozen=True)
class Receipt:
    tx_hash: str
    block: int
    success: bool
    gas_used: int
    effective_gas_price: int


@dataclass(frozen=True)
class TokenMetadata:
    contract: str
    symbol: str
    name: str
    decimals: int


def checksum(address: str) -> str:
    from eth_utils import to_checksum_address

    return str(to_checksum_address(address))


def erc20_transfer_data(to: str, amount: int) -> bytes:
    from eth_abi import encode

    return _TRANSFER + encode(["address", "uint256"], [checksum(to), amount])


def erc20_approve_data(spender: str, amount: int) -> bytes:
    from eth_abi import encode

    return _APPROVE + encode(["address", "uint256"], [checksum(spender), amount])


def decode_erc20_transfer(data: bytes) -> tuple[str, int] | None:
    """(recipient, amount) when `data` is an ERC-20 transfer call, else None."""
    if data[:4] != _TRANSFER or len(data) != 68:
        return None
    from eth_abi import decode

    to, amount = decode(["address", "uint256"], data[4:])
    return checksum(to), int(amount)


class EvmBackend:
    def __init__(self, network: Network, *, timeout: float = 10.0) -> None:
        if not network.rpc_urls:
            raise ChainError(f"{network.name}: no RPC URL configured; add one in settings")
        self.network = network
        self.url = network.rpc_urls[0]
        self._timeout = timeout
        self._w3: Any = None
        self._w3_url: str | None = None
        # URLs whose eth_chainId matched the network's: a node is asked once, before its first
        # answer is used (a public RPC of another chain would show other balances as ours).
        self._checked: set[str] = set()
        self.round_trips = 0  # HTTP requests sent: the bench and tests read it

    # -- plumbing ----------------------------------------------------------------------------

    def _web3(self) -> Any:
        if self._w3 is None or self._w3_url != self.url:
            from web3 import AsyncWeb3

            from chains.proxy import web3_provider

            # Through the proxy when one is set (chains/proxy.py).
            self._w3 = AsyncWeb3(web3_provider(self.url, self._timeout))
            self._w3_url = self.url
        return self._w3

    def _candidates(self) -> list[str]:
        return [self.url, *(u for u in self.network.rpc_urls if u != self.url)]

    async def _call(
        self, fn: Callable[[Any], Awaitable[T]], *, requests: int = 1, checks_chain: bool = False
    ) -> T:
        """fn(w3) on the current node; on NodeUnreachable or a node of another chain, on the
        next URL. Other bad answers are reported, not skipped silently. checks_chain: fn asks
        for the chain id itself (in its batch, to keep one round trip) when the URL is new."""
        last: NodeUnreachable | WrongChain | None = None
        for url in self._candidates():
            if url != self.url:
                await self._drop_client()
                self.url = url
            try:
                async with _ErrorMap(url):
                    if url not in self._checked and not checks_chain:
                        await self._check_chain(self._web3(), url)
                    self.round_trips += requests
                    return await fn(self._web3())
            except (NodeUnreachable, WrongChain) as exc:
                # A wrong chain is the more useful message when no URL works.
                if not isinstance(last, WrongChain):
                    last = exc
        assert last is not None
        raise last

    async def _check_chain(self, w3: Any, url: str) -> None:
        expected = self.network.evm_chain_id
        if expected is None:
            return
        self.round_trips += 1
        reply = await w3.provider.make_request("eth_chainId", [])
        self._chain_answer(url, reply.get("result") if isinstance(reply, dict) else None)

    def _chain_answer(self, url: str, result: Any) -> None:
        expected = self.network.evm_chain_id
        assert expected is not None  # only EVM networks with a chain id are checked
        got = _hex_int(result)
        if got != expected:
            raise WrongChain(url, expected, got)
        self._checked.add(url)

    async def _drop_client(self) -> None:
        if self._w3 is not None:
            try:
                await self._w3.provider.disconnect()
            finally:
                self._w3 = None

    async def aclose(self) -> None:
        await self._drop_client()

    def _errors(self) -> _ErrorMap:
        return _ErrorMap(self.url)

    # -- reads -------------------------------------------------------------------------------

    async def block_number(self) -> int:
        async def go(w3: Any) -> int:
            return int(await w3.eth.block_number)

        return await self._call(go)

    async def chain_id(self) -> int:
        async def go(w3: Any) -> int:
            return int(await w3.eth.chain_id)

        return await self._call(go)

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
        from web3 import AsyncWeb3

        pairs = [(AsyncWeb3.to_checksum_address(a), asset) for a in addresses for asset in assets]
        if batch_size is None or len(pairs) <= batch_size:
            results = await self._call(
                lambda w3: self._batch(w3, pairs, None), requests=1, checks_chain=True
            )
            if len(results) != len(pairs) + 1:
                raise BadResponse(
                    f"{self.url} answered {len(results)} of {len(pairs) + 1} requests"
                )
            block, values = _as_int(results[0], self.url), list(results[1:])
        else:
            block = await self.block_number()
            chunks = [pairs[i : i + batch_size] for i in range(0, len(pairs), batch_size)]
            answers = await asyncio.gather(
                *(self._call(lambda w3, c=c: self._batch(w3, c, block)) for c in chunks)
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
        self, w3: Any, pairs: Sequence[tuple[str, Asset]], block: int | None
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
                data = _BALANCE_OF + address[2:].lower().rjust(64, "0")
                reqs.append(("eth_call", [{"to": asset.contract, "data": data}, at]))
        url = self.url
        check = url not in self._checked and self.network.evm_chain_id is not None
        if check:
            reqs.insert(0, ("eth_chainId", []))
        replies = await w3.provider.make_batch_request(reqs)
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
            out.append(_hex_int(reply.get("result")))
        return out

    async def nonces(self, address: str) -> tuple[int, int]:
        """(latest, pending) transaction counts of `address`, in one batch: latest is the next
        nonce after the mined ones, pending also counts what the node holds in its pool."""

        async def go(w3: Any) -> list[Any]:
            a = checksum(address)
            reqs = [("eth_getTransactionCount", [a, tag]) for tag in ("latest", "pending")]
            return list(await w3.provider.make_batch_request(reqs))

        replies = await self._call(go)
        counts = [_hex_int(r.get("result")) if isinstance(r, dict) else None for r in replies]
        if len(counts) != 2 or any(c is None or c >= MAX_NONCE for c in counts):
            # EIP-2681: a nonce is below 2^64. A larger one cannot be stored or mined; signing
            # it would only make a transaction nobody can include.
            raise BadResponse(f"{self.url} gave a malformed nonce (transaction count)")
        latest, pending = counts
        assert latest is not None and pending is not None
        return latest, pending

    async def fee_options(self) -> FeeOptions:
        async def go(w3: Any) -> Any:
            # Raw: web3's formatter meets a null or odd answer with a TypeError of its own.
            params = [hex(HISTORY_BLOCKS), "latest", list(REWARD_PERCENTILES)]
            return await w3.provider.make_request("eth_feeHistory", params)

        reply = await self._call(go)
        history = reply.get("result") if isinstance(reply, dict) else None
        try:
            base = [_strict_int(b) for b in history["baseFeePerGas"]]  # type: ignore[index]
            rewards = [[_strict_int(v) for v in r] for r in history.get("reward") or []]  # type: ignore[union-attr]
        except (AttributeError, KeyError, TypeError, ValueError):
            raise BadResponse(f"{self.url} gave a malformed fee history") from None
        return tiers_from_history(base, rewards)

    async def latest_base_fee(self) -> int | None:
        """The latest block's own baseFeePerGas (None before EIP-1559): evidence about fees
        from another method than eth_feeHistory."""

        async def go(w3: Any) -> Any:
            return await w3.provider.make_request("eth_getBlockByNumber", ["latest", False])

        reply = await self._call(go)
        block = reply.get("result") if isinstance(reply, dict) else None
        if not isinstance(block, dict):
            raise BadResponse(f"{self.url} gave no latest block")
        if block.get("baseFeePerGas") is None:
            return None
        try:
            return _strict_int(block["baseFeePerGas"])
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

        async def go(w3: Any) -> Any:
            return await w3.provider.make_request("eth_getTransactionByHash", [tx_hash])

        reply = await self._call(go)
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
                for sel in (_SYMBOL, _NAME, _DECIMALS):
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
        return TokenMetadata(address, _text(bytes(symbol)), _text(bytes(name)), dec)

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

        async def go(w3: Any) -> list[Any]:
            # Raw requests: web3's typed receipt call raises on a null result inside a batch.
            reqs = [("eth_getTransactionReceipt", [h]) for h in tx_hashes]
            return list(await w3.provider.make_batch_request(reqs))

        replies = await self._call(go)
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
                        block=_strict_int(r["blockNumber"]),
                        success=_strict_int(r["status"]) == 1,
                        gas_used=_strict_int(r["gasUsed"]),
                        effective_gas_price=_strict_int(r.get("effectiveGasPrice") or "0x0"),
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
                raise _rejected(exc) from None

        return await self._call(go)

    # -- reads for contract use-cases (swaps) ----------------------------------------------

    async def eth_call(self, to: str, data: bytes, block: int | str = "latest") -> bytes:
        """A read-only contract call; CallReverted (with the contract's reason) if it reverts."""

        async def go(w3: Any) -> bytes:
            from web3.exceptions import ContractLogicError

            try:
                return bytes(await w3.eth.call({"to": checksum(to), "data": data}, block))
            except ContractLogicError as exc:
                raise CallReverted(str(exc.message)[:200]) from None

        return await self._call(go)

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


def _rejected(exc: Any) -> TxRejected:
    msg = getattr(exc, "rpc_response", None)
    text = str((msg or {}).get("error", {}).get("message") if isinstance(msg, dict) else exc)
    low = text.lower()
    if "already known" in low or "already imported" in low or "known transaction" in low:
        return AlreadyKnown(text[:200])
    if "nonce too low" in low or "nonce has already been used" in low:
        return NonceUsed(text[:200])
    if "underpriced" in low or "replacement" in low:
        return Underpriced(text[:200])
    return TxRejected(text[:200])


def _text(raw: bytes) -> str:
    from eth_abi import decode

    try:
        return str(decode(["string"], raw)[0])[:64]
    except Exception:
        return raw[:32].rstrip(b"\0").decode("utf-8", "replace")[:64]


def _hex_int(value: Any) -> int | None:
    """A quantity or a 32-byte word as the node sends it ('0x1a'); None when it is not one."""
    if not isinstance(value, str) or not value.startswith("0x"):
        return None
    digits = value[2:]
    if digits == "":
        return None  # eth_call on an address without code answers '0x'
    if len(digits) > 64:
        return None
    try:
        return int(digits, 16)
    except ValueError:
        return None


def _strict_int(value: Any) -> int:
    """A quantity of a JSON-RPC answer, or ValueError."""
    n = _hex_int(value)
    if n is None:
        raise ValueError(f"not a quantity: {str(value)[:40]}")
    return n


def _as_int(value: Any, url: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise BadResponse(f"{url} gave a malformed number")
    return value


class _ErrorMap:
    """Turns web3/aiohttp failures into NodeUnreachable / BadResponse with the node's URL."""

    def __init__(self, url: str) -> None:
        self.url = url

    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> bool:
        if exc is None or isinstance(exc, ChainError):
            return False
        import aiohttp
        from web3.exceptions import Web3Exception

        if isinstance(exc, asyncio.TimeoutError | TimeoutError):
            raise NodeUnreachable(self.url, "timed out") from None
        if type(exc).__module__.startswith(("python_socks", "aiohttp_socks")):  # the proxy
            raise NodeUnreachable(self.url, f"through the proxy: {exc}"[:300]) from None
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
