"""A bound on Bitcoin and Litecoin fee rates, from evidence other than the server's own
estimate: the network's typical range (a hard ceiling) and the server's mempool as its fee
histogram says (what the next block needs). A rate far above either is far likelier a lying
or broken server than the network's price: the review flags it loudly, and the CLI pays it
only with --accept-high-fee (the same rule as for Ethereum fees, chains/fees.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from chains.errors import BadResponse

# The most a transaction's fee rate has needed, per coin, with a wide margin (sat/vB): Bitcoin
# peaked near 1,000-1,500 sat/vB in its busiest blocks (the 2024 halving); Litecoin's blocks
# are rarely full and its rates stay in single digits. Testnets and regtest share their coin's.
TYPICAL_MAX_SAT_PER_VB = {"btc": 2_000, "ltc": 500}
BLOCK_VSIZE = 1_000_000  # a block's room in vbytes (Bitcoin and Litecoin alike)
# The estimate may sit above what the mempool shows now (estimators look back over blocks),
# so only a rate many times the next block's is flagged, and never one this low.
EVIDENCE_FACTOR = 10
NEVER_HIGH_SAT_PER_VB = 20


class UtxoFeeConcern(StrEnum):
    HIGH = "high_fee"  # above the coin's typical range, or far above what the mempool needs
    ABOVE_AMOUNT = "fee_above_amount"  # the fee is more than the amount sent


def ceiling_of(network_id: str) -> int:
    coin = network_id.split("-", 1)[0]
    return TYPICAL_MAX_SAT_PER_VB.get(coin, TYPICAL_MAX_SAT_PER_VB["btc"])


def next_block_rate(histogram: Sequence[Sequence[object]], floor: int) -> int:
    """The fee rate (sat/vB, rounded up) at which the next block fills, from a fee histogram
    ([[rate, vsize], ...], highest rate first, as Electrum servers and Esplora give it); the
    floor when the mempool would not fill a block."""
    total = 0
    for item in histogram:
        if len(item) != 2 or not all(isinstance(v, int | float) for v in item):
            raise BadResponse("fee histogram: not [rate, vsize] pairs")
        rate, vsize = item
        if rate < 0 or vsize < 0:  # type: ignore[operator]
            raise BadResponse("fee histogram: negative figures")
        total += int(vsize)  # type: ignore[call-overload]
        if total >= BLOCK_VSIZE:
            return max(-int(-rate // 1), floor)  # type: ignore[operator]
    return floor


def fee_rate_concerns(
    rate: int, fee: int, amount: int, *, network: str, next_block: int | None
) -> tuple[UtxoFeeConcern, ...]:
    """What is wrong with a fee rate: above the coin's ceiling, above EVIDENCE_FACTOR times
    what the next block needs (next_block None: the server gave no histogram, only the
    ceiling counts), or a fee above the amount sent."""
    out: list[UtxoFeeConcern] = []
    high = rate > ceiling_of(network)
    if next_block is not None and rate > max(EVIDENCE_FACTOR * next_block, NEVER_HIGH_SAT_PER_VB):
        high = True
    if high:
        out.append(UtxoFeeConcern.HIGH)
    if fee > amount:
        out.append(UtxoFeeConcern.ABOVE_AMOUNT)
    return tuple(out)
