"""The words for what a form field holds wrong, in the user's language, with the reason the
CLI gives (chains/units.py parse_amount) rather than "That amount is not valid.".

Each check returns the value or a FieldProblem saying why, so a form shows the reason next to
the field it concerns (tui/widgets/field_error.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tui.i18n import t

_EXPONENT = re.compile(r"^[+-]?[0-9]*\.?[0-9]+[eE][+-]?[0-9]+$", re.ASCII)
_SIGNED = re.compile(r"^[+-]\s*[0-9.]", re.ASCII)
_GROUPED = re.compile(r"^[0-9]{1,3}(,[0-9]{3})+(\.[0-9]*)?$", re.ASCII)

HIGH_SLIPPAGE_BPS = 500  # above 5 %, a form warns: the price may fall that far before it fails


@dataclass(frozen=True)
class FieldProblem:
    text: str  # what to show under the field, in the user's language


class FieldInvalid(ValueError):
    """A form field holds something wrong: `field` is the id of its FieldError line."""

    def __init__(self, field: str, problem: FieldProblem) -> None:
        super().__init__(problem.text)
        self.field = field
        self.text = problem.text


def _quoted(text: str) -> str:
    """What the user typed, as a message quotes it: a long paste is cut."""
    return text if len(text) <= 40 else text[:39] + "…"


def _decimal_text(text: str, decimals: int, symbol: str, what: str) -> int | FieldProblem:
    """`text` as base units; the reason when it is not a plain decimal number."""
    from chains.errors import AmountError
    from chains.units import parse_amount

    s = text.strip()
    if not s:
        return FieldProblem(t(f"form.{what}_empty"))
    shown = _quoted(s)
    if _SIGNED.match(s):
        if s.startswith("-"):
            return FieldProblem(t("form.negative", text=shown, what=t(f"form.what_{what}")))
        return FieldProblem(t("form.signed", text=shown))
    if _EXPONENT.match(s):
        return FieldProblem(t("form.exponent", text=shown))
    if _GROUPED.match(s):
        return FieldProblem(t("form.grouped", text=shown, plain=s.replace(",", "")))
    try:
        return parse_amount(s, decimals)
    except AmountError:
        pass
    frac = s.partition(".")[2]
    if re.fullmatch(r"[0-9]*\.[0-9]+|[0-9]+\.?", s, re.ASCII) and len(frac) > decimals:
        return FieldProblem(
            t("form.decimals", text=shown, decimals=decimals, symbol=symbol, count=len(frac))
        )
    return FieldProblem(t("form.not_a_number", text=shown))


def amount_or_problem(text: str, decimals: int, symbol: str) -> int | FieldProblem:
    """An amount to send or swap: more than zero, at most `decimals` places."""
    value = _decimal_text(text, decimals, symbol, "amount")
    if value == 0:
        return FieldProblem(t("form.amount_zero", symbol=symbol))
    return value


def gwei_or_problem(text: str, what: str) -> int | FieldProblem:
    """A custom fee field in gwei per gas (`what`: max or tip) as wei per gas."""
    value = _decimal_text(text, 9, "gwei", f"fee_{what}")
    if value == 0 and what == "max":
        return FieldProblem(t("form.fee_max_zero"))
    return value


def custom_fee_or_problem(max_text: str, tip_text: str) -> tuple[int, int] | FieldProblem:
    max_fee = gwei_or_problem(max_text, "max")
    if isinstance(max_fee, FieldProblem):
        return max_fee
    tip = gwei_or_problem(tip_text, "tip")
    if isinstance(tip, FieldProblem):
        return tip
    if tip > max_fee:
        return FieldProblem(t("form.fee_tip_above_max"))
    return max_fee, tip


def slippage_or_problem(text: str) -> int | FieldProblem:
    """A slippage in percent as basis points: 0.01 to the wallet's maximum (wallet/swap.py)."""
    from wallet.swap import MAX_SLIPPAGE_BPS

    value = _decimal_text(text, 2, "%", "slippage")
    if isinstance(value, FieldProblem):
        return value
    if value > MAX_SLIPPAGE_BPS:
        return FieldProblem(
            t("form.slippage_max", text=_quoted(text.strip()), max=MAX_SLIPPAGE_BPS // 100)
        )
    return value
