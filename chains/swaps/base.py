"""What every swap provider gives the wallet: a Quote with every fee as an integer in base
units, the route, the on-chain protection (minimum out, deadline) and the transaction itself.

The small JSON-RPC reads a swap needs (eth_call, the latest block, a receipt's logs) go through
EvmBackend's own request path (`_call`: its error mapping and node fallback) rather than a
second web3 client: see the adapter section at the bottom.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol, runtime_checkable

from pydantic import Field

from chains.errors import BadResponse, ChainError
from chains.evm import EvmBackend, checksum
from chains.models import Frozen
from said import Said

BPS = 10_000
NATIVE = None  # a token field of None means the network's native coin


class SwapError(ChainError):
    code = "SWAP"


class NoRoute(SwapError):
    code = "SWAP_NO_ROUTE"


class QuoteExpired(SwapError):
    code = "SWAP_QUOTE_EXPIRED"


class PriceMoved(SwapError):
    """A fresh quote is below the reviewed minimum: executing would only revert (or, without
    the on-chain minimum, lose money). The user reviews a new quote instead."""

    code = "SWAP_PRICE_MOVED"

    def __init__(self, fresh_out: int, min_out: int) -> None:
        super().__init__(
            f"the price moved beyond your slippage: {fresh_out} now, at least {min_out} "
            "reviewed (base units); nothing was signed",
            fresh_out=fresh_out,
            min_out=min_out,
        )
        self.fresh_out, self.min_out = fresh_out, min_out


class AggregatorError(SwapError):
    code = "SWAP_AGGREGATOR"


class CalldataMismatch(AggregatorError):
    """The quote's calldata (what would be signed) asks for another trade than its JSON, or
    a lower minimum than the one reviewed: the API is hostile or broken."""

    code = "SWAP_AGGREGATOR_CALLDATA"


class CalldataUnreadable(AggregatorError):
    """The calldata calls a function the wallet cannot decode, so the minimum the chain
    would enforce is unknown: no review may show one."""

    code = "SWAP_AGGREGATOR_UNREADABLE"


class SwapCall(Frozen):
    """The transaction that executes a quote: `data` carries the minimum out and deadline."""

    to: str
    data: bytes
    value: int = Field(ge=0)


class QuoteRequest(Frozen):
    sell_token: str | None  # None: the native coin
    buy_token: str | None
    sell_amount: int = Field(gt=0)
    slippage_bps: int = Field(ge=0, le=5_000)
    taker: str  # who sends the swap and receives the output
    sell_decimals: int = Field(default=18, ge=0, le=36)
    buy_decimals: int = Field(default=18, ge=0, le=36)
    deadline_seconds: int = Field(default=1_200, gt=0)


class Quote(Frozen):
    provider: str
    network: str
    sell_token: str | None
    buy_token: str | None
    sell_amount: int = Field(gt=0)  # what goes into the trade (service fee not included)
    buy_amount: int = Field(ge=0)  # expected output if nothing moves
    min_buy_amount: int = Field(ge=0)  # enforced on chain (amountOutMin)
    slippage_bps: int
    price_impact_bps: int = Field(ge=0)  # beyond the provider fee: what the trade's size costs
    provider_fee: int = Field(ge=0)  # in provider_fee_token base units (LP fee for Uniswap)
    provider_fee_token: str | None  # None: native
    provider_fee_bps: int = Field(ge=0)
    native_fee: int = Field(default=0, ge=0)  # native paid to the provider beyond sell_amount
    route: tuple[str, ...]  # token addresses hop by hop (WETH stands for the native coin)
    sources: tuple[str, ...] = ()  # liquidity sources an aggregator splits the trade over
    spender: str | None  # needs an allowance of sell_amount; None for a native sell
    call: SwapCall
    # Chain time (unix seconds) after which the swap reverts on chain. None: the provider's
    # calldata has no deadline the wallet can see (0x v1); only the minimum protects it.
    deadline: int | None
    block: int | None = None  # the block the quote was read at
    quoted_at: datetime
    gas_estimate: int | None = None  # the provider's figure; the wallet estimates its own

    @property
    def hops(self) -> int:
        return max(len(self.route) - 1, 1)


@runtime_checkable
class SwapProvider(Protocol):
    name: str

    async def quote(self, request: QuoteRequest) -> Quote: ...

    async def aclose(self) -> None: ...


def min_out(amount: int, slippage_bps: int) -> int:
    """The least output accepted: rounded down, as the router compares amountOut >= min."""
    return amount * (BPS - slippage_bps) // BPS


# -- reads through EvmBackend, with a revert turned into a swap error ---------------------------


async def eth_call(backend: EvmBackend, to: str, data: bytes, block: int | str = "latest") -> bytes:
    from chains.evm import CallReverted

    try:
        return await backend.eth_call(to, data, block)
    except CallReverted as exc:
        raise SwapError(
            Said(
                "swaps.base.contract_refused_call", "the contract refused the call ({exc})", exc=exc
            )
        ) from None


async def latest_block(backend: EvmBackend) -> tuple[int, int]:
    return await backend.latest_block()


async def block_timestamp(backend: EvmBackend, number: int) -> int:
    return await backend.block_timestamp(number)


async def receipt_logs(backend: EvmBackend, tx_hash: str) -> list[tuple[str, list[bytes], bytes]]:
    return await backend.receipt_logs(tx_hash)


_ALLOWANCE = bytes.fromhex("dd62ed3e")  # allowance(address,address)


async def erc20_allowance(backend: EvmBackend, token: str, owner: str, spender: str) -> int:
    from eth_abi import decode, encode

    raw = await eth_call(
        backend,
        token,
        _ALLOWANCE + encode(["address", "address"], [checksum(owner), checksum(spender)]),
    )
    try:
        return int(decode(["uint256"], raw)[0])
    except Exception:
        raise BadResponse(f"{token} gave a malformed allowance") from None


_TRANSFER_TOPIC = bytes.fromhex(
    "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
)  # Transfer(address,address,uint256)
_WITHDRAWAL_TOPIC = bytes.fromhex(
    "7fcf532c15f0a6db0bd6d0e038bea71d30d808c7d98cb3bf7268a95bf5081b65"
)  # WETH9 Withdrawal(address,uint256)


def received_from_logs(
    logs: Sequence[tuple[str, list[bytes], bytes]],
    *,
    buy_token: str | None,
    taker: str,
    weth: str | None,
) -> int | None:
    """What a swap paid the taker, read from its receipt: ERC-20 Transfer logs of the bought
    token to the taker, or for the native coin the WETH unwrapped for it (routers unwrap
    WETH and send the coin on, which leaves no log of its own). None: cannot tell."""
    me = checksum(taker).lower()
    total = 0
    if buy_token is not None:
        token = checksum(buy_token)
        for address, topics, data in logs:
            if address == token and len(topics) == 3 and topics[0] == _TRANSFER_TOPIC:
                if "0x" + topics[2][-20:].hex() == me:
                    total += int.from_bytes(data[:32], "big")
        return total
    if weth is None:
        return None
    w = checksum(weth)
    for address, topics, data in logs:
        if address == w and topics and topics[0] == _WITHDRAWAL_TOPIC:
            total += int.from_bytes(data[-32:], "big")
    return total
