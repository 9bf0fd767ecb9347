"""The Bitcoin/Litecoin fee-rate bound (chains/utxo_fees.py) on its own: the next block's rate
from a mempool histogram, and which rates are flagged."""

from __future__ import annotations

import pytest

from chains.errors import BadResponse
from chains.utxo_fees import UtxoFeeConcern, fee_rate_concerns, next_block_rate


def test_the_next_block_rate_is_where_the_histogram_fills_a_block() -> None:
    assert next_block_rate([], 1) == 1  # an empty mempool: anything above the floor
    assert next_block_rate([[50, 400_000], [12.2, 700_000], [3, 9_000_000]], 1) == 13
    assert next_block_rate([[50, 400_000]], 2) == 2  # not a block's worth waiting
    with pytest.raises(BadResponse):
        next_block_rate([["x", 1]], 1)
    with pytest.raises(BadResponse):
        next_block_rate([[5, -1]], 1)


@pytest.mark.parametrize(
    ("rate", "network", "next_block", "high"),
    [
        (2_001, "btc", None, True),  # above Bitcoin's ceiling, whatever the server says
        (2_000, "btc", None, False),
        (501, "ltc-regtest", None, True),  # testnets and regtest have their coin's ceiling
        (100, "ltc", 1, True),  # within the range, but 100x what the mempool needs
        (100, "ltc", 10, False),
        (20, "btc", 1, False),  # never high at so low a rate
    ],
)
def test_which_rates_are_high(rate: int, network: str, next_block: int | None, high: bool) -> None:
    concerns = fee_rate_concerns(rate, 1_000, 10**8, network=network, next_block=next_block)
    assert (UtxoFeeConcern.HIGH in concerns) is high


def test_a_fee_above_the_amount_is_said() -> None:
    assert fee_rate_concerns(5, 2_000, 1_000, network="btc", next_block=5) == (
        UtxoFeeConcern.ABOVE_AMOUNT,
    )
