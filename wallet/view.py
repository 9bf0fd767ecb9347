"""Display helpers the UI may call: the UI never does unit arithmetic itself."""

from __future__ import annotations

from chains.units import format_amount


def amount_text(amount: int, decimals: int, max_places: int = 8) -> str:
    return format_amount(amount, decimals, max_places=max_places)
