"""Branch-and-bound coin selection (Bitcoin Core's SelectCoinsBnB, select_bnb in
chains/coin_selection.py):
an exact-match set is spent without change; otherwise the largest-first selection runs as
before; spending chosen coins uses all of them."""

from __future__ import annotations

import hashlib

import pytest

from chains.coin_selection import (
    INPUT_VBYTES,
    Coin,
    estimate_vsize,
    output_vbytes,
    select_bnb,
    select_coins,
)
from chains.errors import InsufficientFunds

WPKH = bytes.fromhex("0014") + bytes(20)
PUB = bytes.fromhex("02") + bytes(32)
RATE = 10


def _coin(value: int, n: int, height: int = 100) -> Coin:
    txid = hashlib.sha256(n.to_bytes(4, "big")).hexdigest()
    return Coin(txid, 0, value, height, WPKH, "p2wpkh", (84 | 0x80000000, 0, 0), PUB)


def _exact_amount(values: list[int]) -> int:
    """The amount that coins of `values` pay exactly, fee included, with no change."""
    return sum(values) - estimate_vsize(["p2wpkh"] * len(values), [WPKH]) * RATE


def test_an_exact_match_is_spent_without_change() -> None:
    # Largest-first would take 500k then 300k and make change; 200k + 100k fits exactly.
    coins = [_coin(500_000, 1), _coin(300_000, 2), _coin(200_000, 3), _coin(100_000, 4)]
    amount = _exact_amount([200_000, 100_000])
    sel = select_coins(coins, [(WPKH, amount)], RATE, WPKH, dust_limit=294, symbol="BTC")
    assert sorted(c.value for c in sel.coins) == [100_000, 200_000]
    assert sel.change == 0
    assert sel.fee == estimate_vsize(["p2wpkh", "p2wpkh"], [WPKH]) * RATE
    assert sel.fee + amount == 300_000


def test_a_near_match_within_the_cost_of_change_is_taken_without_change() -> None:
    coins = [_coin(700_000, 1), _coin(250_000, 2), _coin(130_000, 3)]
    amount = _exact_amount([250_000, 130_000]) - 500  # 500 sat over: cheaper than change
    assert 500 < (output_vbytes(WPKH) + INPUT_VBYTES["p2wpkh"]) * RATE
    sel = select_coins(coins, [(WPKH, amount)], RATE, WPKH, dust_limit=294, symbol="BTC")
    assert sorted(c.value for c in sel.coins) == [130_000, 250_000]
    assert sel.change == 0 and sel.fee == 380_000 - amount


def test_without_a_changeless_set_the_largest_first_selection_runs() -> None:
    coins = [_coin(500_000, 1), _coin(300_000, 2), _coin(200_000, 3)]
    amount = 123_456  # no subset lands within the window
    assert select_bnb(coins, amount, [WPKH], RATE, WPKH) is None
    sel = select_coins(coins, [(WPKH, amount)], RATE, WPKH, dust_limit=294, symbol="BTC")
    assert [c.value for c in sel.coins] == [500_000]
    assert sel.change == 500_000 - amount - sel.fee > 0


def test_bnb_prefers_the_smallest_overshoot() -> None:
    coins = [_coin(v, i) for i, v in enumerate([60_000, 50_000, 40_000, 30_000, 10_000, 5_000])]
    amount = _exact_amount([50_000, 30_000])  # also 40k + 30k + 10k, but with more inputs...
    found = select_bnb(coins, amount, [WPKH], RATE, WPKH)
    assert found is not None
    got = sum(c.value - INPUT_VBYTES["p2wpkh"] * RATE for c in found)
    need = amount + estimate_vsize([], [WPKH]) * RATE
    assert got == need  # an exact match exists and is found


def test_confirmed_coins_are_matched_before_unconfirmed_ones() -> None:
    pending = _coin(_exact_amount([70_000, 40_000]) + 1_100, 1, height=0)  # exact alone too
    coins = [pending, _coin(70_000, 2), _coin(40_000, 3)]
    amount = _exact_amount([70_000, 40_000])
    assert select_bnb([pending], amount, [WPKH], RATE, WPKH) == (pending,)
    sel = select_coins(coins, [(WPKH, amount)], RATE, WPKH, dust_limit=294, symbol="BTC")
    assert pending not in sel.coins and sel.change == 0


def test_an_unconfirmed_exact_match_is_used_when_confirmed_coins_cannot_pay() -> None:
    pending = _coin(100_000, 1, height=0)
    coins = [pending, _coin(60_000, 2), _coin(40_000, 3)]
    amount = _exact_amount([100_000])  # 60k + 40k pay less once their two input fees are out
    sel = select_coins(coins, [(WPKH, amount)], RATE, WPKH, dust_limit=294, symbol="BTC")
    assert sel.coins == (pending,) and sel.change == 0


def test_chosen_coins_are_all_spent_with_change() -> None:
    coins = [_coin(300_000, 1), _coin(200_000, 2)]
    sel = select_coins(
        coins, [(WPKH, 100_000)], RATE, WPKH, dust_limit=294, symbol="BTC", use_all=True
    )
    assert set(sel.coins) == set(coins)
    assert sel.fee == estimate_vsize(["p2wpkh"] * 2, [WPKH, WPKH]) * RATE
    assert sel.change == 500_000 - 100_000 - sel.fee


def test_chosen_coins_that_cannot_pay_are_refused() -> None:
    with pytest.raises(InsufficientFunds):
        select_coins(
            [_coin(50_000, 1)], [(WPKH, 60_000)], RATE, WPKH, dust_limit=294, symbol="BTC",
            use_all=True,
        )  # fmt: skip


@pytest.mark.parametrize(("rate", "fewer_inputs"), [(50, True), (2, False)])
def test_waste_decides_between_changeless_sets(rate: int, fewer_inputs: bool) -> None:
    """Core's waste metric: above the long-term rate (10 sat/vB) each input costs more now than
    later, so one coin 1,000 sat over the target beats two coins that match exactly; below it,
    spending two coins now is the cheaper way, so the exact pair wins."""
    target = 1_000_000
    need = target + estimate_vsize([], [WPKH]) * rate
    spend = INPUT_VBYTES["p2wpkh"] * rate
    one = _coin(need + 1_000 + spend, 1)
    pair = [_coin(600_000 + spend, 2), _coin(need - 600_000 + spend, 3)]
    found = select_bnb([one, *pair], target, [WPKH], rate, WPKH)
    assert found is not None
    assert (found == (one,)) is fewer_inputs
    if not fewer_inputs:
        assert sorted(found, key=lambda c: c.value) == sorted(pair, key=lambda c: c.value)
