"""How a swap's figures read on screen: percentages, amounts and the quote's lines, shared by
the swap form, its review and the approvals list. Integers in, text out: no floats.

Below tui/screens/ so the screens the swap form pushes need not import it back (issue 21)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.text import Text

from tui.i18n import t
from wallet.view import amount_text

if TYPE_CHECKING:
    from chains.models import Asset
    from wallet.swap import SwapReview


def pct(bps: int) -> str:
    """Basis points as a percentage text, without floats: 30 -> '0.30 %'."""
    return f"{bps // 100}.{bps % 100:02d} %"


def money(amount: int, asset: Asset, places: int = 8) -> str:
    return f"{amount_text(amount, asset.decimals, places)} {asset.symbol}"


def quote_lines(r: SwapReview, assets: Sequence[Asset] = ()) -> list[tuple[str, str]]:
    """(label key, value) of the quote panel and the review: every fee is a line of its own."""
    q = r.quote
    native = r.native
    provider_fee_asset = r.sell if q.provider_fee_token == r.sell.contract else r.buy
    lines = [
        ("rate", f"1 {r.sell.symbol} = {money(r.rate, r.buy)}"),
        ("expected", money(q.buy_amount, r.buy)),
        ("minimum", t("swap.minimum_value", amount=money(q.min_buy_amount, r.buy),
                      slippage=pct(q.slippage_bps))),
        ("impact", pct(q.price_impact_bps)),
        ("provider_fee", f"{money(q.provider_fee, provider_fee_asset)} "
                         f"({pct(q.provider_fee_bps)})"),
        ("service_fee", f"{money(r.service_fee, r.sell)} ({pct(r.service_fee_bps)})"),
        ("network_fee", t("swap.fee_value", likely=money(r.network_fee_likely, native),
                          max=money(r.network_fee_max, native))),
    ]  # fmt: skip
    if q.native_fee:
        lines.append(("protocol_fee", money(q.native_fee, native)))
    lines.append(("total", t("swap.total_value", total=money(r.total_sell, r.sell),
                             fee=money(r.network_fee_max, native))))  # fmt: skip
    hops = [r.sell.symbol, *(_symbol(a, assets) for a in q.route[1:-1]), r.buy.symbol]
    lines.append(("route", f"{t('swap.provider_' + q.provider)}: " + " → ".join(hops)))
    return lines


def _symbol(address: str, assets: Sequence[Asset]) -> str:
    for a in assets:
        if a.contract is not None and a.contract.lower() == address.lower():
            return a.symbol
    return address[:6] + "…" + address[-4:]


def lines_text(lines: list[tuple[str, str]]) -> Text:
    out = Text()
    for key, value in lines:
        out.append(f"{t('swap.line.' + key)}: ", style="bold")
        out.append(value + "\n")
    return out
