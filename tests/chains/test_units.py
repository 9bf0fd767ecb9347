from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chains.errors import AmountError
from chains.units import format_amount, parse_amount, to_decimal


@pytest.mark.parametrize(
    ("text", "decimals", "expected"),
    [
        ("1", 18, 10**18),
        ("1.5", 18, 15 * 10**17),
        ("0.000000000000000001", 18, 1),
        (".25", 6, 250_000),
        ("2500", 6, 2_500_000_000),
        ("  7.0  ", 8, 700_000_000),
        (
            "115792089237316195423570985008687907853269984665640564039457.584007913129639935",
            18,
            2**256 - 1,
        ),
    ],
)
def test_parse_exact(text: str, decimals: int, expected: int) -> None:
    assert parse_amount(text, decimals) == expected


@pytest.mark.parametrize(
    "text", ["", "abc", "1e18", "-1", "+1", "1,000", "1.2.3", "0x10", "inf", "NaN", "."]
)
def test_parse_rejects_what_is_not_a_plain_amount(text: str) -> None:
    with pytest.raises(AmountError) as info:
        parse_amount(text, 18)
    assert "amount" in str(info.value)


@pytest.mark.parametrize(
    "text", ["1\u0660", "\uff11", "0_1", "1_000", "\u0661.5", "1.\u0665", "1\n", "\u0967"]
)
def test_parse_takes_ascii_digits_only(text: str) -> None:
    """Issue 14, case 8: '1٠' was 10, '１' was 1 and '0_1' was 1."""
    with pytest.raises(AmountError):
        parse_amount(text, 18)


def test_parse_rejects_more_places_than_the_asset_has() -> None:
    with pytest.raises(AmountError, match="more than 6 decimal places"):
        parse_amount("1.0000001", 6)


def test_format_cuts_never_rounds_up() -> None:
    # 0.999999999 ETH shown with 4 places must not become 1.
    assert format_amount(999_999_999 * 10**9, 18, max_places=4) == "0.9999"
    assert format_amount(12_500_000_000_000_000_000, 18) == "12.5"
    assert format_amount(2_500_000_000, 6) == "2,500"
    assert format_amount(0, 18) == "0"
    assert format_amount(1, 18) == "0.000000000000000001"


def test_floats_never_become_money() -> None:
    with pytest.raises(TypeError):
        to_decimal(1.5, 18)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        format_amount(True, 18)  # type: ignore[arg-type]


@given(st.integers(min_value=0, max_value=2**256 - 1), st.integers(min_value=0, max_value=36))
def test_round_trip_is_exact(amount: int, decimals: int) -> None:
    text = format_amount(amount, decimals).replace(",", "")
    assert parse_amount(text, decimals) == amount
    assert to_decimal(amount, decimals) == Decimal(text)
