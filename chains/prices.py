"""Fiat prices from public APIs that need no account: CoinGecko's `simple/price` (every coin and
currency in one request) first, then exchange tickers (Coinbase's spot price, Kraken's ticker)
for the coins CoinGecko did not answer. Over httpx, through the wallet's proxy.

Prices are Decimal from the JSON text (parse_float=Decimal: no float ever holds one). A price
is information for the user, never an input to what is signed (wallet/prices.py keeps them
apart). Shapes:
- CoinGecko (docs.coingecko.com, "Coin Price by IDs"): GET /simple/price?ids=bitcoin,ethereum
  &vs_currencies=usd,cny&include_last_updated_at=true ->
  {"bitcoin": {"usd": 67000.12, "cny": 484000, "last_updated_at": 1764800000}, ...}
- Coinbase (docs.cdp.coinbase.com, "Get Spot Price"): GET /v2/prices/BTC-USD/spot ->
  {"data": {"amount": "67000.12", "base": "BTC", "currency": "USD"}}
- Kraken (docs.kraken.com, "Get Ticker Information"): GET /0/public/Ticker?pair=XBTUSD ->
  {"error": [], "result": {"XXBTZUSD": {"c": ["67000.10000", "0.001"], ...}}} (c: last trade)
- CoinGecko (docs.coingecko.com, "Coin Historical Data by ID"): GET /coins/bitcoin/history
  ?date=30-12-2024&localization=false -> {"id": "bitcoin", ..., "market_data":
  {"current_price": {"usd": 93530.1, ...}, ...}}: the coin's price at 00:00 UTC of that day;
  no "market_data" for a day the coin had no market yet.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from chains.errors import BadResponse, ChainError, NodeUnreachable
from chains.http_limits import Sleep, retry_after, with_backoff
from said import Said

# Coins by ticker symbol: CoinGecko's id, the exchanges' symbols.
COINS: dict[str, str] = {
    "BTC": "bitcoin",
    "LTC": "litecoin",
    "ETH": "ethereum",
    "POL": "polygon-ecosystem-token",
    "BNB": "binancecoin",
    "USDT": "tether",
    "USDC": "usd-coin",
    "DAI": "dai",
    "WETH": "weth",
    "WBTC": "wrapped-bitcoin",
}
KRAKEN_BASE = {"BTC": "XBT"}  # Kraken's own names where they differ
CURRENCIES = ("USD", "CNY", "EUR", "GBP", "JPY", "HKD", "SGD", "CHF", "CAD", "AUD", "KRW")

COINGECKO = "https://api.coingecko.com/api/v3"
COINBASE = "https://api.coinbase.com"
KRAKEN = "https://api.kraken.com"


class PriceUnavailable(ChainError):
    code = "PRICE_UNAVAILABLE"


@dataclass(frozen=True)
class Price:
    symbol: str  # the coin, 'BTC'
    currency: str  # 'USD'
    value: Decimal  # one coin in the currency
    as_of: datetime  # when the source says it was current (or when it answered)
    source: str  # 'coingecko' | 'coinbase' | 'kraken' | ...


class PriceSource(Protocol):
    name: str

    async def prices(self, symbols: Sequence[str], currency: str) -> dict[str, Price]: ...

    async def aclose(self) -> None: ...


class _Http:
    name = "http"

    def __init__(self, base_url: str, *, timeout: float, transport: Any) -> None:
        import httpx

        from chains.proxy import httpx_proxy

        self.base_url = base_url.rstrip("/")
        self._client = httpx.AsyncClient(
            base_url=self.base_url,
            timeout=timeout,
            transport=transport,
            headers={"User-Agent": "termwallet/0.1", "Accept": "application/json"},
            **httpx_proxy(self.base_url),
        )
        self.requests = 0

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _json(self, path: str, params: dict[str, str] | None = None) -> Any:
        import httpx

        self.requests += 1
        try:
            reply = await self._client.get(path, params=params)
        except httpx.HTTPError as exc:
            raise NodeUnreachable(self.base_url, type(exc).__name__) from None
        if reply.status_code == 429:
            raise PriceUnavailable(
                Said(
                    "prices.limits_how_often_may",
                    "{base_url} limits how often it may be asked",
                    base_url=self.base_url,
                )
            )
        if reply.status_code >= 400:
            raise NodeUnreachable(self.base_url, f"HTTP {reply.status_code}")
        try:
            return json.loads(reply.content, parse_float=Decimal, parse_int=Decimal)
        except ValueError:
            raise BadResponse(f"{self.base_url} did not answer JSON") from None


class CoinGecko(_Http):
    name = "coingecko"

    def __init__(
        self,
        base_url: str = COINGECKO,
        *,
        timeout: float = 10.0,
        transport: Any = None,
        sleep: Sleep | None = None,
    ) -> None:
        import asyncio

        super().__init__(base_url, timeout=timeout, transport=transport)
        self._sleep: Sleep = sleep or asyncio.sleep

    async def day_price(self, symbol: str, day: date, currency: str) -> Decimal | None:
        """One coin's price at 00:00 UTC of `day` (the history endpoint); None when the
        source has none for that day (not listed then, or not in that currency). A refusal
        (429 after waiting what Retry-After asks, or the public API's limits on old days) and an
        outage raise: the caller keeps the day unknown, never guesses it."""
        import httpx

        coin_id = COINS.get(symbol)
        if coin_id is None:
            return None
        params = {"date": day.strftime("%d-%m-%Y"), "localization": "false"}

        async def send() -> httpx.Response:
            self.requests += 1
            return await self._client.get(f"/coins/{coin_id}/history", params=params)

        try:
            reply = await with_backoff(send, sleep=self._sleep)
        except httpx.HTTPError as exc:
            raise NodeUnreachable(self.base_url, type(exc).__name__) from None
        if reply.status_code == 429:
            wait = retry_after(reply.headers.get("Retry-After"))
            raise PriceUnavailable(
                f"{self.base_url} limits how often it may be asked"
                + (f" (it asks to wait {wait:.0f} s)" if wait is not None else "")
            )
        if reply.status_code in (401, 403):
            # The keyless API answers old days only with a plan: unknown, not an outage.
            raise PriceUnavailable(
                Said(
                    "prices.gives_no_price",
                    "{base_url} gives no price for {day}",
                    base_url=self.base_url,
                    day=day.isoformat(),
                )
            )
        if reply.status_code >= 400:
            raise NodeUnreachable(self.base_url, f"HTTP {reply.status_code}")
        try:
            body = json.loads(reply.content, parse_float=Decimal, parse_int=Decimal)
        except ValueError:
            raise BadResponse(f"{self.base_url} did not answer JSON") from None
        if not isinstance(body, dict):
            raise BadResponse(f"{self.base_url}: the coin's history is not an object")
        market = body.get("market_data")
        if market is None:
            return None  # no market that day
        prices = market.get("current_price") if isinstance(market, dict) else None
        if not isinstance(prices, dict):
            raise BadResponse(f"{self.base_url}: the coin's history has no current_price")
        value = prices.get(currency.lower())
        return None if value is None else _positive(value, self.base_url)

    async def prices(self, symbols: Sequence[str], currency: str) -> dict[str, Price]:
        ids = {COINS[s]: s for s in symbols if s in COINS}
        if not ids:
            return {}
        cur = currency.lower()
        body = await self._json(
            "/simple/price",
            {
                "ids": ",".join(sorted(ids)),
                "vs_currencies": cur,
                "include_last_updated_at": "true",
            },
        )
        if not isinstance(body, dict):
            raise BadResponse(f"{self.base_url}: the prices are not an object")
        now = datetime.now(UTC)
        out = {}
        for coin_id, symbol in ids.items():
            row = body.get(coin_id)
            if not isinstance(row, dict) or cur not in row:
                continue  # not listed in this currency: another source may have it
            stamp = row.get("last_updated_at")
            as_of = (
                datetime.fromtimestamp(int(stamp), UTC)
                if isinstance(stamp, Decimal) and stamp == stamp.to_integral_value() and stamp > 0
                else now
            )
            out[symbol] = Price(symbol, currency, _positive(row[cur], self.base_url), as_of,
                                self.name)  # fmt: skip
        return out


class Coinbase(_Http):
    name = "coinbase"

    def __init__(
        self, base_url: str = COINBASE, *, timeout: float = 10.0, transport: Any = None
    ) -> None:
        super().__init__(base_url, timeout=timeout, transport=transport)

    async def prices(self, symbols: Sequence[str], currency: str) -> dict[str, Price]:
        import asyncio

        async def one(symbol: str) -> Price | None:
            try:
                body = await self._json(f"/v2/prices/{symbol}-{currency}/spot")
            except NodeUnreachable as exc:
                if "HTTP 404" in str(exc):  # no such pair: not an outage
                    return None
                raise
            data = body.get("data") if isinstance(body, dict) else None
            if not isinstance(data, dict) or str(data.get("currency", "")).upper() != currency:
                raise BadResponse(f"{self.base_url}: the spot price names no {currency}")
            value = _positive(_decimal(data.get("amount"), self.base_url), self.base_url)
            return Price(symbol, currency, value, datetime.now(UTC), self.name)

        got = await asyncio.gather(*(one(s) for s in symbols))
        return {p.symbol: p for p in got if p is not None}


class Kraken(_Http):
    name = "kraken"

    def __init__(
        self, base_url: str = KRAKEN, *, timeout: float = 10.0, transport: Any = None
    ) -> None:
        super().__init__(base_url, timeout=timeout, transport=transport)

    async def prices(self, symbols: Sequence[str], currency: str) -> dict[str, Price]:
        pairs = {f"{KRAKEN_BASE.get(s, s)}{currency}": s for s in symbols}
        if not pairs:
            return {}
        body = await self._json("/0/public/Ticker", {"pair": ",".join(sorted(pairs))})
        if not isinstance(body, dict) or body.get("error") not in ([], None):
            # An unknown pair fails the whole request: say which, let the caller go on.
            raise PriceUnavailable(
                Said(
                    "prices.answered_error",
                    "{base_url}: {error}",
                    base_url=self.base_url,
                    error=str(body.get("error"))[:200],
                )
            )
        result = body.get("result")
        if not isinstance(result, dict):
            raise BadResponse(f"{self.base_url}: the ticker has no result")
        now = datetime.now(UTC)
        out = {}
        # Longest base first: WETH's row must not be read as ETH's.
        ordered = sorted(pairs.items(), key=lambda kv: -len(kv[0]))
        for name, row in result.items():
            # Kraken answers with its long names (XXBTZUSD for XBTUSD): match the ends.
            symbol = next((s for p, s in ordered if _kraken_match(str(name), p, currency)), None)
            if symbol is None or not isinstance(row, dict):
                continue
            last = row.get("c")
            if not isinstance(last, list) or not last:
                raise BadResponse(f"{self.base_url}: a ticker without its last trade")
            value = _positive(_decimal(last[0], self.base_url), self.base_url)
            out[symbol] = Price(symbol, currency, value, now, self.name)
        return out


def _kraken_match(name: str, pair: str, currency: str) -> bool:
    base = pair[: -len(currency)]
    stripped = name.upper()
    return stripped == pair or (stripped.endswith(currency) and base in stripped)


def _decimal(value: Any, where: str) -> Decimal:
    if isinstance(value, Decimal):
        return value
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise BadResponse(f"{where}: a price that is not a number") from None


def _positive(value: Any, where: str) -> Decimal:
    number = _decimal(value, where)
    if not number.is_finite() or number <= 0:
        raise BadResponse(f"{where}: a price that is not a positive number")
    return number


def default_sources(coingecko_url: str | None = None, transport: Any = None) -> list[PriceSource]:
    """CoinGecko (or the user's CoinGecko-compatible API), then the exchange tickers."""
    return [
        CoinGecko(coingecko_url or COINGECKO, transport=transport),
        Coinbase(transport=transport),
        Kraken(transport=transport),
    ]


async def fetch_prices(
    sources: Sequence[PriceSource], symbols: Sequence[str], currency: str
) -> tuple[dict[str, Price], list[Exception]]:
    """Each symbol from the first source that has it; (prices, the failures met on the way)."""
    wanted = list(dict.fromkeys(symbols))
    got: dict[str, Price] = {}
    errors: list[Exception] = []
    for source in sources:
        missing = [s for s in wanted if s not in got]
        if not missing:
            break
        try:
            got.update(await source.prices(missing, currency))
        except ChainError as exc:
            errors.append(exc)
    return got, errors
