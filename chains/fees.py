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
