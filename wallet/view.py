"""Display helpers the UI may call: the UI never does unit arithmetic itself."""

from __future__ import annotations

from chains.units import format_amount


def amount_text(amount: int, decimals: int, max_places: int = 8) -> str:
    return format_amount(amount, decimals, max_places=max_places)


def source_label(url: str | None) -> str | None:
    """Which server data comes from, for the screen: the host only. Paths, queries and user
    parts of a URL often hold an API key (https://mainnet.infura.io/v3/KEY), and ports of
    local nodes change from run to run."""
    if not url:
        return None
    from urllib.parse import urlsplit

    try:
        host = urlsplit(url).hostname
    except ValueError:
        host = None
    return host or None
