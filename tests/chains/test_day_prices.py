"""CoinGecko's coin history (the day's price) against a LOCAL HTTP FIXTURE on 127.0.0.1 that
serves the documented shape of GET /coins/{id}/history?date=dd-mm-yyyy (docs.coingecko.com,
"Coin Historical Data by ID"): {"id": ..., "market_data": {"current_price": {"usd": ...}}}, no
market_data for a day the coin had no market. A fixture, not CoinGecko: no network is used.
Also used by tests/wallet/test_day_prices.py and tests/tui/test_history_value.py."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from chains.errors import BadResponse, NodeUnreachable
from chains.prices import CoinGecko, PriceUnavailable
from tests.fixtures.json_http import JsonHandler, serving


class HistoryApi:
    def __init__(self) -> None:
        self.requests: list[str] = []
        # (coin id, dd-mm-yyyy) -> {currency: number written raw into the JSON text}
        self.days: dict[tuple[str, str], dict[str, str]] = {
            ("bitcoin", "02-01-2024"): {"usd": "45000.123456789", "cny": "320000"},
            ("ethereum", "02-01-2024"): {"usd": "2400.5"},
        }
        self.limited = 0  # the next this many requests get a 429
        self.retry_after = "0"
        self.down = False
        self.raw: str | None = None


@pytest.fixture
def history_api() -> Iterator[tuple[HistoryApi, str]]:
    fx = HistoryApi()

    class Handler(JsonHandler):
        def do_GET(self) -> None:
            path, q = self.path_and_query()
            fx.requests.append(self.path)
            if fx.down:
                return self.send_json(503, "{}")
            if fx.limited:
                fx.limited -= 1
                return self.send_json(429, '{"status": {"error_code": 429}}', fx.retry_after)
            if fx.raw is not None:
                return self.send_json(200, fx.raw)
            parts = path.split("/")
            if len(parts) != 4 or parts[1] != "coins" or parts[3] != "history":
                return self.send_json(404, '{"error": "not found"}')
            coin = parts[2]
            head = f'"id": "{coin}", "symbol": "x", "name": "X", "localization": {{}}'
            prices = fx.days.get((coin, q["date"]))
            if prices is None:  # before the coin had a market: no market_data at all
                return self.send_json(200, "{" + head + "}")
            cur = ", ".join(f'"{k}": {v}' for k, v in prices.items())
            body = (
                "{" + head + ', "market_data": {"current_price": {' + cur + "}, "
                '"market_cap": {}, "total_volume": {}}, "community_data": {}}'
            )
            self.send_json(200, body)

    with serving(Handler) as url:
        yield fx, url


async def _day(url: str, symbol: str, day: date, currency: str, **kw: Any) -> Decimal | None:
    gecko = CoinGecko(url, **kw)
    try:
        return await gecko.day_price(symbol, day, currency)
    finally:
        await gecko.aclose()


async def test_the_days_price_is_read_exactly_from_the_documented_shape(
    history_api: tuple[HistoryApi, str],
) -> None:
    fx, url = history_api
    assert await _day(url, "BTC", date(2024, 1, 2), "USD") == Decimal("45000.123456789")
    assert await _day(url, "BTC", date(2024, 1, 2), "CNY") == Decimal("320000")
    path = fx.requests[0]
    assert path.startswith("/coins/bitcoin/history?") and "date=02-01-2024" in path
    assert "localization=false" in path


async def test_no_market_that_day_or_currency_or_coin_is_none_not_a_number(
    history_api: tuple[HistoryApi, str],
) -> None:
    fx, url = history_api
    assert await _day(url, "BTC", date(2010, 1, 2), "USD") is None  # no market_data
    assert await _day(url, "ETH", date(2024, 1, 2), "EUR") is None  # not in that currency
    assert await _day(url, "DUSD", date(2024, 1, 2), "USD") is None  # not a listed coin
    assert len(fx.requests) == 2  # the unknown coin asks no one


async def test_a_429_waits_what_retry_after_says_then_reads(
    history_api: tuple[HistoryApi, str],
) -> None:
    fx, url = history_api
    fx.limited, fx.retry_after = 1, "3"
    waited: list[float] = []

    async def sleep(seconds: float) -> None:
        waited.append(seconds)

    assert await _day(url, "ETH", date(2024, 1, 2), "USD", sleep=sleep) == Decimal("2400.5")
    assert waited == [3.0] and len(fx.requests) == 2


async def test_a_source_that_keeps_refusing_or_is_down_raises_typed_errors(
    history_api: tuple[HistoryApi, str],
) -> None:
    fx, url = history_api
    fx.limited, fx.retry_after = 10, "120"  # longer than the client waits: the user is told
    with pytest.raises(PriceUnavailable, match="wait 120 s"):
        await _day(url, "BTC", date(2024, 1, 2), "USD")
    fx.limited, fx.down = 0, True
    with pytest.raises(NodeUnreachable):
        await _day(url, "BTC", date(2024, 1, 2), "USD")
    fx.down, fx.raw = False, '{"id": "bitcoin", "market_data": {"current_price": {"usd": -1}}}'
    with pytest.raises(BadResponse):
        await _day(url, "BTC", date(2024, 1, 2), "USD")
    fx.raw = "<html>"
    with pytest.raises(BadResponse):
        await _day(url, "BTC", date(2024, 1, 2), "USD")
