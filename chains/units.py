"""The one place where base-unit integers meet Decimal. Nothing else converts amounts.

Floats never appear: parsing rejects them, formatting works on Decimal with an exact context.
"""

from __future__ import annotations

import re
from decimal import ROUND_DOWN, Decimal, localcontext

from chains.errors import AmountError

# A plain decimal number: digits, optional fraction. No exponent, sign, or thousands separators:
# an amount the user types is money, and "1e3" or "1,000" is too easy to misread.
# ASCII digits only: Python's \d and int() also take Arabic-Indic, full-width and other digits
# ("1٠" was sent as 10) and int() skips underscores ("0_1" became 1).
_AMOUNT = re.compile(r"^([0-9]+)(?:\.([0-9]*))?$|^\.([0-9]+)$", re.ASCII)


def parse_amount(text: str, decimals: int) -> int:
    """'1.5' with 18 decimals -> 1500000000000000000. Raises AmountError saying what is wrong."""
    s = text.strip(" \t")
    m = _AMOUNT.fullmatch(s)
    if not m:
        raise AmountError(f"'{text}' is not an amount: use digits and one '.' (e.g. 0.25)")
    whole = m.group(1) or "0"
    frac = m.group(2) if m.group(1) is not None else m.group(3)
    frac = frac or ""
    if len(frac) > decimals:
        raise AmountError(
            f"'{text}' has more than {decimals} decimal places, the smallest unit of this asset"
        )
    return int(whole) * 10**decimals + (int(frac.ljust(decimals, "0")) if decimals else 0)


def to_decimal(amount: int, decimals: int) -> Decimal:
    """Exact at any size: built from the digits, so no context precision can round it (scaleb
    would, at 28 digits)."""
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise TypeError(f"amounts are integers in base units, got {type(amount).__name__}")
    sign = 1 if amount < 0 else 0
    return Decimal((sign, tuple(int(c) for c in str(abs(amount))), -decimals))


def format_amount(amount: int, decimals: int, *, max_places: int | None = None) -> str:
    """Base units -> '1,234.5678'. Cuts (never rounds up) to max_places; keeps trailing
    digits that matter and drops trailing zeros."""
    d = to_decimal(amount, decimals)
    with localcontext() as ctx:
        ctx.prec = max(60, len(str(abs(amount))) + decimals + 2)
        if max_places is not None and max_places < decimals:
            d = d.quantize(Decimal(1).scaleb(-max_places), rounding=ROUND_DOWN)
        text = f"{d:,f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def format_with_symbol(amount: int, decimals: int, symbol: str, *, max_places: int = 8) -> str:
    return f"{format_amount(amount, decimals, max_places=max_places)} {symbol}"


def number_token_to_int(token: str, decimals: int, *, round_up: bool = False) -> int:
    """A JSON number token ('0.00001', '1e-05', '87.882') scaled by 10**decimals, exactly.

    Servers write fee rates as JSON floats, sometimes in exponent form, which
    chains.units.parse_amount rightly refuses from users; integer arithmetic keeps them exact
    here. JSON is parsed with parse_float=str so no float is ever made."""
    s = token.strip().lower()
    neg = s.startswith("-")
    s = s.lstrip("+-")
    mantissa, _, exp_text = s.partition("e")
    try:
        exp = int(exp_text) if exp_text else 0
        whole, _, frac = mantissa.partition(".")
        digits = int((whole or "0") + frac)
    except ValueError:
        raise ValueError(f"not a number: {token!r}") from None
    shift = exp - len(frac) + decimals
    if shift >= 0:
        value = digits * 10**shift
    else:
        q, r = divmod(digits, 10**-shift)
        value = q + (1 if round_up and r else 0)
    return -value if neg else value
