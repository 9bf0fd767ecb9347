"""Fee tiers (slow / normal / fast) for EIP-1559 chains, from eth_feeHistory. Integers in wei.

The method is the one wallets converged on (MetaMask's gas API, web3's fee strategies): the
next block's base fee comes from the node, each tier's tip is the median over recent blocks of
the 10th / 50th / 90th percentile of tips paid, and the max fee leaves room for the base fee to
rise for a few full blocks (x2 covers about six, since each block moves it by at most 12.5 %).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from statistics import median_low

from chains.errors import BadResponse

REWARD_PERCENTILES = (10, 50, 90)
HISTORY_BLOCKS = 10
# Tips paid in empty or idle blocks are 0; a tip of nothing gets no priority on a busy
# network, so each tier has a floor (0.01 / 0.05 / 0.1 gwei: well below any real fee).
TIP_FLOORS = (10_000_000, 50_000_000, 100_000_000)
GWEI = 10**9


class FeeTier(StrEnum):
    SLOW = "slow"
    NORMAL = "normal"
    FAST = "fast"
    CUSTOM = "custom"


@dataclass(frozen=True)
class FeeQuote:
    """One tier: what goes into the transaction (max fees) and what it likely costs."""

    tier: FeeTier
    max_fee_per_gas: int
    max_priority_fee_per_gas: int
    base_fee: int  # the next block's base fee when quoted

    @property
    def likely_per_gas(self) -> int:
        return min(self.max_fee_per_gas, self.base_fee + self.max_priority_fee_per_gas)

    def max_cost(self, gas: int) -> int:
        return gas * self.max_fee_per_gas

    def likely_cost(self, gas: int) -> int:
        return gas * self.likely_per_gas


@dataclass(frozen=True)
class FeeOptions:
    slow: FeeQuote
    normal: FeeQuote
    fast: FeeQuote

    def get(self, tier: FeeTier | str) -> FeeQuote:
        tier = FeeTier(tier)
        if tier is FeeTier.CUSTOM:
            raise ValueError("a custom fee is built with custom_fee(), not picked from options")
        return {FeeTier.SLOW: self.slow, FeeTier.NORMAL: self.normal, FeeTier.FAST: self.fast}[tier]


def tiers_from_history(base_fees: list[int], rewards: list[list[int]]) -> FeeOptions:
    """base_fees: eth_feeHistory's baseFeePerGas (one more than blocks: the last is the next
    block's); rewards: per block, the tips at REWARD_PERCENTILES."""
    if not base_fees or any(not isinstance(b, int) or b < 0 for b in base_fees):
        raise BadResponse("eth_feeHistory gave no usable base fee")
    next_base = base_fees[-1]
    quotes = []
    for i, (tier, floor) in enumerate(
        zip((FeeTier.SLOW, FeeTier.NORMAL, FeeTier.FAST), TIP_FLOORS, strict=True)
    ):
        column = [r[i] for r in rewards if len(r) == len(REWARD_PERCENTILES)]
        if any(not isinstance(v, int) or v < 0 for v in column):
            raise BadResponse("eth_feeHistory gave a malformed reward")
        tip = max(median_low(column) if column else 0, floor)
        quotes.append(FeeQuote(tier, 2 * next_base + tip, tip, next_base))
    slow, normal, fast = quotes
    # Percentiles of a quiet chain can coincide; a faster tier never offers less.
    normal = _at_least(normal, slow)
    fast = _at_least(fast, normal)
    return FeeOptions(slow, normal, fast)


def _at_least(q: FeeQuote, lower: FeeQuote) -> FeeQuote:
    tip = max(q.max_priority_fee_per_gas, lower.max_priority_fee_per_gas)
    return FeeQuote(q.tier, max(q.max_fee_per_gas, 2 * q.base_fee + tip), tip, q.base_fee)


def custom_fee(max_fee_per_gas: int, max_priority_fee_per_gas: int, base_fee: int) -> FeeQuote:
    if max_priority_fee_per_gas < 0 or max_fee_per_gas <= 0:
        raise ValueError("fees must be positive")
    if max_priority_fee_per_gas > max_fee_per_gas:
        raise ValueError("the priority fee cannot exceed the max fee")
    return FeeQuote(FeeTier.CUSTOM, max_fee_per_gas, max_priority_fee_per_gas, base_fee)


def bumped(old_max_fee: int, old_tip: int, current: FeeQuote) -> tuple[int, int]:
    """Fees for a replacement (speed-up or cancel) of a pending transaction. Nodes accept a
    replacement only when both fees rise by at least 10 % (geth's txpool price bump); we add
    12.5 % and take the current fast quote if that is higher."""
    tip = max(old_tip * 9 // 8 + 1, current.max_priority_fee_per_gas)
    max_fee = max(old_max_fee * 9 // 8 + 1, current.max_fee_per_gas, tip)
    return max_fee, tip


# The most gas has cost per unit on each network, with a wide margin over its worst days
# (Ethereum's base fee peaked near 1,000 gwei in 2021; L2s stay below a few gwei). A node that
# asks for more is far likelier lying or broken than right, so a fee above this needs the
# user's explicit word, whatever the node says. Unknown networks get Ethereum's.
TYPICAL_MAX_FEE_PER_GAS: dict[str, int] = {
    "eth": 1_000 * GWEI,
    "sepolia": 1_000 * GWEI,
    "polygon": 10_000 * GWEI,  # priced in POL: its gwei figures run about 100x Ethereum's
    "arbitrum": 50 * GWEI,
    "base": 50 * GWEI,
    "bnb": 200 * GWEI,
    "devnet": 1_000 * GWEI,
}
# Each block moves the base fee by at most 1/8 (EIP-1559): the next block's cannot exceed the
# latest block's by more.
BASE_FEE_STEP = (9, 8)


class FeeConcern(StrEnum):
    HIGH = "high_fee"  # above the network's typical range, or above what the blocks show
    ABOVE_AMOUNT = "fee_above_amount"  # the fee likely costs more than the coins sent
    BELOW_BASE = "below_base_fee"  # cannot be mined until the base fee falls


def fee_concerns(
    quote: FeeQuote,
    gas: int,
    *,
    network: str,
    block_base_fee: int | None,
    value: int | None,
) -> tuple[FeeConcern, ...]:
    """What is wrong with a fee, judged against evidence other than the fee history it came
    from: the network's typical range, the latest block's own base fee (another RPC method, so
    a node lying only in eth_feeHistory shows) and the amount sent (value: native coins sent,
    None for a token)."""
    out: list[FeeConcern] = []
    ceiling = TYPICAL_MAX_FEE_PER_GAS.get(network, TYPICAL_MAX_FEE_PER_GAS["eth"])
    num, den = BASE_FEE_STEP
    too_high = quote.max_fee_per_gas > ceiling or quote.max_priority_fee_per_gas > ceiling
    if block_base_fee is not None and quote.base_fee > -(-block_base_fee * num // den):
        too_high = True
    if too_high:
        out.append(FeeConcern.HIGH)
    if value is not None and value > 0 and quote.likely_cost(gas) > value:
        out.append(FeeConcern.ABOVE_AMOUNT)
    current = quote.base_fee if block_base_fee is None else block_base_fee
    if quote.max_fee_per_gas < current:
        out.append(FeeConcern.BELOW_BASE)
    return tuple(out)
