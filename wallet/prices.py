"""Fiat values beside balances: prices read from chains/prices.py's sources, kept in the store
with their time, shown with their age when they are not fresh, never made up.

A price is for the user's eyes only: nothing here is an input to building or signing a
transaction (tests/wallet/test_prices.py checks that the send and swap modules never import
this one), so a wrong or stale price can mislead a glance, never move funds.

Testnet coins have no value: they get no price. The demo (devnet) prices its tokens from its
own Uniswap V2 pool, in Demo Dollars, and says so (DemoPrices).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chains.prices import Price, PriceSource
    from wallet.store import Store

DEMO_CURRENCY = "DUSD"  # the demo's Demo Dollar: its prices are in it, not in a real currency
FRESH = timedelta(minutes=10)  # older than this, a price is shown with its age
ASK_EVERY = timedelta(seconds=60)  # the price sources are asked at most this often
NO_CENTS = {"JPY", "KRW"}


def default_currency(language: str) -> str:
    return "CNY" if language == "zh-CN" else "USD"


@dataclass(frozen=True)
class Quote:
    """A price as the wallet shows it: from this refresh (fresh) or the last known one."""

    symbol: str
    currency: str
    value: Decimal
    as_of: datetime
    source: str
    fresh: bool  # read in this refresh and current per FRESH

    def age(self, now: datetime | None = None) -> timedelta:
        return (now or datetime.now(UTC)) - self.as_of


@dataclass(frozen=True)
class PriceView:
    currency: str
    quotes: dict[str, Quote] = field(default_factory=dict)
    errors: tuple[Exception, ...] = ()
    demo: bool = False  # priced from the devnet pool (in Demo Dollars)

    def value_of(self, symbol: str, amount: int, decimals: int) -> Decimal | None:
        """The fiat value of `amount` base units, rounded to the currency's cents; None when
        there is no price (never zero, never guessed)."""
        q = self.quotes.get(symbol)
        if q is None:
            return None
        exact = Decimal(amount).scaleb(-decimals) * q.value
        step = Decimal(1) if self.currency in NO_CENTS else Decimal("0.01")
        return exact.quantize(step, rounding=ROUND_HALF_EVEN)

    def total(self, rows: Sequence[tuple[str | None, int | None, int]]) -> tuple[Decimal, bool]:
        """(sum of the rows' values, whether every row with a balance had a price); a row
        whose symbol is None has no price by nature (an unlisted token)."""
        total, complete = Decimal(0), True
        for symbol, amount, decimals in rows:
            if amount is None:
                complete = False
                continue
            v = None if symbol is None else self.value_of(symbol, amount, decimals)
            if v is None:
                complete = complete and amount == 0
            else:
                total += v
        return total, complete

    @property
    def oldest(self) -> Quote | None:
        return min(self.quotes.values(), key=lambda q: q.as_of, default=None)


def fiat_text(value: Decimal, currency: str) -> str:
    places = 0 if currency in NO_CENTS else 2
    return f"{value:,.{places}f} {currency}"


def age_text(age: timedelta) -> str:
    """'5 min', '3 h', '2 d': language-neutral units for the catalogs to place."""
    minutes = max(0, int(age.total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // (24 * 60)} d"


class PriceBook:
    """Reads prices for a set of coins and keeps the last known ones in the store."""

    def __init__(
        self,
        store: Store,
        currency: str,
        sources: Sequence[PriceSource] | None = None,
        *,
        api_url: str | None = None,
        demo: bool = False,
    ) -> None:
        self.store = store
        self.currency = currency
        self._sources = sources
        self._api_url = api_url
        self.demo = demo
        self._last: tuple[list[str], datetime, PriceView] | None = None  # the last ask

    def _sources_now(self) -> Sequence[PriceSource]:
        if self._sources is None:
            from chains.prices import default_sources

            self._sources = default_sources(self._api_url)
        return self._sources

    async def refresh(self, symbols: Sequence[str]) -> PriceView:
        from chains.prices import fetch_prices

        wanted = sorted(set(symbols))
        if not wanted:
            return PriceView(self.currency, demo=self.demo)
        # Asked again at most every ASK_EVERY: the Assets screen refreshes every 30 s, public
        # price APIs limit how often they may be asked, and a price does not need it.
        now = datetime.now(UTC)
        if self._last is not None and self._last[0] == wanted and now - self._last[1] < ASK_EVERY:
            return self._last[2]
        got, errors = await fetch_prices(self._sources_now(), wanted, self.currency)
        self._save(got.values())
        quotes = {
            s: Quote(s, p.currency, p.value, p.as_of, p.source, now - p.as_of <= FRESH)
            for s, p in got.items()
        }
        for s, q in self.cached([s for s in wanted if s not in got]).items():
            quotes[s] = q
        view = PriceView(self.currency, quotes, tuple(errors), demo=self.demo)
        self._last = (wanted, now, view)
        return view

    def cached(self, symbols: Sequence[str]) -> dict[str, Quote]:
        """The last known prices (marked not fresh): what an offline wallet shows."""
        if not symbols:
            return {}
        marks = ",".join("?" * len(symbols))
        rows = self.store.db.execute(
            f"SELECT * FROM prices WHERE currency = ? AND symbol IN ({marks})",  # noqa: S608
            (self.currency, *symbols),
        ).fetchall()
        return {
            r["symbol"]: Quote(
                r["symbol"],
                r["currency"],
                Decimal(r["price"]),
                datetime.fromisoformat(r["as_of"]),
                r["source"],
                False,
            )
            for r in rows
        }

    def recent(self, symbols: Sequence[str]) -> PriceView:
        """The last known prices without asking anyone (a review screen: no request between
        what the user reads and what is signed); fresh when younger than FRESH."""
        now = datetime.now(UTC)
        quotes = {
            s: Quote(q.symbol, q.currency, q.value, q.as_of, q.source, now - q.as_of <= FRESH)
            for s, q in self.cached(list(dict.fromkeys(symbols))).items()
        }
        return PriceView(self.currency, quotes, demo=self.demo)

    def _save(self, prices: Any) -> None:
        now = datetime.now(UTC).isoformat()
        with self.store.db:
            for p in prices:
                self.store.db.execute(
                    "INSERT INTO prices (symbol, currency, price, as_of, source, fetched_at) "
                    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(symbol, currency) DO UPDATE SET "
                    "price = excluded.price, as_of = excluded.as_of, source = excluded.source, "
                    "fetched_at = excluded.fetched_at",
                    (p.symbol, p.currency, str(p.value), p.as_of.isoformat(), p.source, now),
                )

    async def aclose(self) -> None:
        for s in self._sources or ():
            await s.aclose()


def priced_symbols(network_testnet: bool, symbols: Sequence[str]) -> list[str]:
    """The coins that have a market price: none on a testnet (its coins are worth nothing)."""
    return [] if network_testnet else list(dict.fromkeys(symbols))


def quote_from(price: Price, fresh: bool = True) -> Quote:
    return Quote(price.symbol, price.currency, price.value, price.as_of, price.source, fresh)


class DemoPrices:
    """The demo's prices: each asset's Uniswap V2 pool against the Demo Dollar on the devnet
    (reserves ratio, decimals applied), DUSD itself being 1. Not a market: the screen says so."""

    name = "devnet pool"

    def __init__(self, backend: Any, assets: Sequence[Any]) -> None:
        self.backend = backend
        self.assets = {a.symbol: a for a in assets}

    async def prices(self, symbols: Sequence[str], currency: str) -> dict[str, Price]:
        import asyncio

        from chains.errors import ChainError
        from chains.prices import Price
        from chains.swaps.uniswap_v2 import DEPLOYMENTS, UniswapV2Provider

        dusd = self.assets.get(DEMO_CURRENCY)
        if dusd is None or dusd.contract is None:
            return {}
        pool = UniswapV2Provider(self.backend, DEPLOYMENTS["devnet"])
        now = datetime.now(UTC)

        async def one(symbol: str) -> Price | None:
            asset = self.assets.get(symbol)
            if asset is None:
                return None
            if symbol == DEMO_CURRENCY:
                return Price(symbol, currency, Decimal(1), now, self.name)
            token = asset.contract or DEPLOYMENTS["devnet"].weth
            try:
                r_token, r_dusd = await pool.reserves(token, dusd.contract)
            except ChainError:
                return None  # no pool: no price, never a guess
            if r_token <= 0 or r_dusd <= 0:
                return None
            value = Decimal(r_dusd).scaleb(-dusd.decimals) / Decimal(r_token).scaleb(
                -asset.decimals
            )
            return Price(symbol, currency, value, now, self.name)

        got = await asyncio.gather(*(one(s) for s in symbols))
        return {p.symbol: p for p in got if p is not None}

    async def aclose(self) -> None:
        return None
