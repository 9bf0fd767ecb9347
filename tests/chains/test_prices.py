"""The price sources against a LOCAL HTTP FIXTURE on 127.0.0.1 serving the documented shapes of
CoinGecko's /simple/price, Coinbase's spot price and Kraken's ticker. A fixture, not those
services: no network is used. What it proves: one request for every coin at CoinGecko, the
fallbacks fill only what is missing, numbers stay Decimal, bad answers are typed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal

import pytest

from chains.errors import BadResponse
from chains.prices import Coinbase, CoinGecko, Kraken, fetch_prices
from tests.fixtures.json_http import JsonHandler, serving


class Fixture:
    def __init__(self) -> None:
        self.requests: list[str] = []
        # CoinGecko: id -> {currency: number} (numbers written raw into the JSON text)
        self.gecko: dict[str, dict[str, str]] = {
            "bitcoin": {"usd": "67000.12", "cny": "484000.5"},
            "ethereum": {"usd": "3500.987654321"},
        }
        self.coinbase: dict[str, str] = {"LTC-USD": "71.05", "LTC-EUR": "65.4"}
        self.kraken: dict[str, str] = {"XXBTZEUR": "61000.1", "XETHZEUR": "3200.5"}
        self.down: set[str] = set()  # paths answered with 503
        self.raw: str | None = None  # a forced body


@pytest.fixture
def api() -> Iterator[tuple[Fixture, str]]:
    fx = Fixture()

    class Handler(JsonHandler):
        def do_GET(self) -> None:
            path, q = self.path_and_query()
            fx.requests.append(self.path)
            if any(path.startswith(d) for d in fx.down):
                return self.send_json(503, "{}")
            if fx.raw is not None:
                return self.send_json(200, fx.raw)
            if path == "/simple/price":
                cur = q["vs_currencies"]
                parts = []
                for coin in q["ids"].split(","):
                    row = fx.gecko.get(coin, {})
                    if cur in row:
                        parts.append(
                            f'"{coin}": {{"{cur}": {row[cur]}, "last_updated_at": 1764800000}}'
                        )
                return self.send_json(200, "{" + ", ".join(parts) + "}")
            if path.startswith("/v2/prices/"):
                pair = path.split("/")[3]
                if pair not in fx.coinbase:
                    return self.send_json(404, '{"errors": [{"id": "not_found"}]}')
                base, cur = pair.split("-")
                body = {"data": {"amount": fx.coinbase[pair], "base": base, "currency": cur}}
                return self.send_json(200, json.dumps(body))
            if path == "/0/public/Ticker":
                result = {}
                for pair in q["pair"].split(","):
                    long = "X" + pair[:-3] + "Z" + pair[-3:]
                    if long not in fx.kraken:
                        return self.send_json(200, '{"error": ["EQuery:Unknown asset pair"]}')
                    result[long] = {"a": ["1", "1", "1"], "c": [fx.kraken[long], "0.01"]}
                return self.send_json(200, json.dumps({"error": [], "result": result}))
            self.send_json(404, "{}")

    with serving(Handler) as url:
        yield fx, url


async def test_coingecko_prices_every_coin_in_one_request(api: tuple[Fixture, str]) -> None:
    fx, url = api
    gecko = CoinGecko(url)
    try:
        got = await gecko.prices(["BTC", "ETH", "LTC"], "USD")
    finally:
        await gecko.aclose()
    assert len(fx.requests) == 1 and "include_last_updated_at=true" in fx.requests[0]
    assert got["BTC"].value == Decimal("67000.12") and got["BTC"].source == "coingecko"
    assert got["ETH"].value == Decimal("3500.987654321")  # every digit: never a float
    assert got["BTC"].as_of.timestamp() == 1764800000
    assert "LTC" not in got  # not listed: left to the next source


async def test_fallbacks_fill_only_what_is_missing(api: tuple[Fixture, str]) -> None:
    fx, url = api
    sources = [CoinGecko(url), Coinbase(url), Kraken(url)]
    try:
        got, errors = await fetch_prices(sources, ["BTC", "ETH", "LTC"], "EUR")
        # CoinGecko has none in EUR here, Coinbase has LTC, Kraken has BTC and ETH.
        assert {s: (p.value, p.source) for s, p in got.items()} == {
            "LTC": (Decimal("65.4"), "coinbase"),
            "BTC": (Decimal("61000.1"), "kraken"),
            "ETH": (Decimal("3200.5"), "kraken"),
        }
        assert errors == []
        # CoinGecko down: the others answer, and the failure is reported, not hidden.
        fx.down = {"/simple/price"}
        got, errors = await fetch_prices(sources, ["LTC"], "USD")
        assert got["LTC"].source == "coinbase" and len(errors) == 1
        assert "HTTP 503" in str(errors[0])
    finally:
        for s in sources:
            await s.aclose()


@pytest.mark.parametrize(
    "raw",
    [
        '{"bitcoin": {"usd": -5}}',
        '{"bitcoin": {"usd": "many"}}',
        '{"bitcoin": {"usd": 0}}',
        "[1, 2]",
        "not json",
    ],
)
async def test_bad_prices_are_typed(api: tuple[Fixture, str], raw: str) -> None:
    fx, url = api
    fx.raw = raw
    gecko = CoinGecko(url)
    try:
        with pytest.raises(BadResponse):
            await gecko.prices(["BTC"], "USD")
    finally:
        await gecko.aclose()
