"""History's "value at the time": a movement's amount at its day's price from the source
(CoinGecko's coin history: the price at 00:00 UTC of that day), never a guess.

Prices are read lazily, for the transaction the user opens and the rows being exported, by the
caller's worker, at most PER_MINUTE requests a minute (CoinGecko's keyless API allows few);
rows past that budget stay unknown and are read on a later opening or export. Each answer is
kept per (coin, day, currency) in the store (migration m0012_day_prices), including "the source
has none that day", so a day is asked once. Testnet, regtest and devnet coins get none, and so
do tokens that are not the network's listed ones (a symbol is not proof of what a contract is).
Like wallet/prices.py, shown only: nothing that builds or signs a transaction reads it.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import TYPE_CHECKING, Any

from wallet.prices import NO_CENTS

if TYPE_CHECKING:
    from wallet.history.model import HistoryRow
    from wallet.store import Store

PER_MINUTE = 10  # requests to the history endpoint a minute, at most
RECENT = timedelta(days=2)  # "none that day" is not kept for days this recent: it may come


def row_symbol(row: HistoryRow) -> str | None:
    """The coin `row` is priced by, or None: mainnet native coins and the network's listed
    tokens only (testnets, regtest and the demo's devnet have no market)."""
    from chains.networks import NETWORKS
    from chains.prices import COINS
    from chains.utxo_networks import UTXO_NETWORKS

    net: Any = NETWORKS.get(row.network) or UTXO_NETWORKS.get(row.network)
    # An approval's amount is an allowance, not money that moved.
    if net is None or net.testnet or row.kind == "approval":
        return None
    network, _, key = row.asset.partition(":")
    if key == "native":
        symbol = getattr(net, "native_symbol", None) or getattr(net, "symbol", None)
    else:
        from chains.tokens import find_listed

        listed = find_listed(network, key)
        symbol = listed.symbol if listed is not None and listed.symbol == row.symbol else None
    return symbol if symbol in COINS else None


def row_day(row: HistoryRow) -> date:
    return datetime.fromtimestamp(row.ts, UTC).date()


class DayPrices:
    """The day prices of one currency: kept in the store, read from the source on demand."""

    def __init__(
        self,
        store: Store,
        currency: str,
        source: Any = None,  # chains.prices.CoinGecko (or a compatible API)
        *,
        api_url: str | None = None,
        per_minute: int = PER_MINUTE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.currency = currency
        self._source = source
        self._api_url = api_url
        self.per_minute = per_minute
        self._clock = clock
        self._asked: deque[float] = deque()  # when each request of the last minute was made
        self.errors: list[Exception] = []  # the failures of the last fill

    @property
    def source(self) -> Any:
        if self._source is None:
            from chains.prices import COINGECKO, CoinGecko

            self._source = CoinGecko(self._api_url or COINGECKO)
        return self._source

    def known(self, symbol: str, day: date) -> tuple[bool, Decimal | None]:
        """(whether the store has an answer for that day, the price: None when the source had
        none)."""
        r = self.store.db.execute(
            "SELECT price FROM day_prices WHERE symbol = ? AND day = ? AND currency = ?",
            (symbol, day.isoformat(), self.currency),
        ).fetchone()
        if r is None:
            return False, None
        return True, None if r["price"] is None else Decimal(r["price"])

    def price_of(self, row: HistoryRow) -> Decimal | None:
        symbol = row_symbol(row)
        return None if symbol is None else self.known(symbol, row_day(row))[1]

    def value_of(self, row: HistoryRow) -> Decimal | None:
        """The row's amount at its day's price, in the currency's cents; None when unknown
        (no price kept, no decimals, not priced at all)."""
        price = self.price_of(row)
        if price is None or row.decimals is None:
            return None
        exact = Decimal(row.amount).scaleb(-row.decimals) * price
        step = Decimal(1) if self.currency in NO_CENTS else Decimal("0.01")
        return exact.quantize(step, rounding=ROUND_HALF_EVEN)

    def missing(self, rows: Iterable[HistoryRow]) -> list[tuple[str, date]]:
        """The (coin, day) pairs of `rows` the store has no answer for, newest first."""
        pairs: dict[tuple[str, date], None] = {}
        for row in rows:
            symbol = row_symbol(row)
            if symbol is not None:
                pairs[(symbol, row_day(row))] = None
        out = [p for p in pairs if not self.known(*p)[0]]
        return sorted(out, key=lambda p: p[1], reverse=True)

    def _may_ask(self) -> bool:
        now = self._clock()
        while self._asked and now - self._asked[0] >= 60.0:
            self._asked.popleft()
        return len(self._asked) < self.per_minute

    async def fill(self, rows: Sequence[HistoryRow]) -> int:
        """Read the missing day prices of `rows` while the minute's budget lasts; returns how
        many were read. Stops at the first failure (an outage or a refusal is not asked again
        and again); the failures are in `errors`."""
        from chains.errors import ChainError

        self.errors = []
        read = 0
        today = datetime.now(UTC).date()
        for symbol, day in self.missing(rows):
            if not self._may_ask():
                break
            self._asked.append(self._clock())
            try:
                price = await self.source.day_price(symbol, day, self.currency)
            except ChainError as exc:
                self.errors.append(exc)
                break
            if price is None and today - day < RECENT:
                continue  # the day's price may not be there yet
            self._save(symbol, day, price)
            read += 1
        return read

    def _save(self, symbol: str, day: date, price: Decimal | None) -> None:
        with self.store.db:
            self.store.db.execute(
                "INSERT INTO day_prices (symbol, day, currency, price, source, fetched_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(symbol, day, currency) DO UPDATE SET "
                "price = excluded.price, source = excluded.source, "
                "fetched_at = excluded.fetched_at",
                (symbol, day.isoformat(), self.currency, None if price is None else str(price),
                 self.source.name, datetime.now(UTC).isoformat()),
            )  # fmt: skip

    def source_name(self, row: HistoryRow) -> str | None:
        symbol = row_symbol(row)
        if symbol is None:
            return None
        r = self.store.db.execute(
            "SELECT source FROM day_prices WHERE symbol = ? AND day = ? AND currency = ?",
            (symbol, row_day(row).isoformat(), self.currency),
        ).fetchone()
        return None if r is None else str(r["source"])

    async def aclose(self) -> None:
        if self._source is not None:
            await self._source.aclose()
