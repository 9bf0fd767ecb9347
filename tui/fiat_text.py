"""The fiat line of the send and swap reviews: each amount's value from the last known prices
(wallet/prices.py PriceBook.recent: no request is made while the user reads the review), how
old they are, or that there is none. Shown only: the review's figures that are signed never
come from here."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tui.i18n import t


def review_fiat(
    session: Any,
    parts: Sequence[tuple[str, str | None, int, int]],
    *,
    testnet: bool | None = None,
) -> str:
    """`parts`: (what, symbol, amount, decimals) with `what` in amount | fee | receive and
    symbol None for an asset that has no price by nature (a token the user added: see
    WalletSession.price_symbol); `testnet`: whether the coins are a test network's (default:
    the session's EVM network)."""
    from wallet.prices import age_text, fiat_text

    prices = getattr(session, "prices", None)
    if testnet is None:
        testnet = bool(getattr(getattr(session, "network", None), "testnet", False))
    if prices is None or any(p[1] is None for p in parts):
        return t("send.review.fiat_none")
    view = prices.recent([str(p[1]) for p in parts])
    # Testnet coins have no value (the demo's pool prices are its own, and said to be).
    if testnet and not view.demo:
        return t("send.review.fiat_none")
    out = []
    for what, symbol, amount, decimals in parts:
        value = view.value_of(str(symbol), amount, decimals)
        if value is None:
            return t("send.review.fiat_none")
        out.append(t(f"send.review.fiat_{what}", value=fiat_text(value, view.currency)))
    line = ", ".join(out)
    used = [view.quotes[str(p[1])] for p in parts]
    if view.demo:
        return f"{line} {t('send.review.fiat_demo')}"
    stale = [q for q in used if not q.fresh]
    if stale:
        oldest = min(stale, key=lambda q: q.as_of)
        return f"{line} {t('send.review.fiat_stale', age=age_text(oldest.age()))}"
    return line
