"""History's value at the time (wallet/day_prices.py) over SQLite on disk and the local
CoinGecko-history fixture of tests/chains/test_day_prices.py (127.0.0.1, documented shape):
each (coin, day, currency) asked once, at most N requests a minute, nothing for testnets, the
demo's devnet or unlisted tokens, and an unknown value is an empty cell, never a number."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from chains.prices import CoinGecko
from tests.chains.test_day_prices import HistoryApi, history_api  # noqa: F401 (a fixture)
from tests.wallet.test_history_store import item
from wallet.day_prices import DayPrices, row_symbol
from wallet.history.store import HistoryStore
from wallet.store import Store

JAN2 = int(datetime(2024, 1, 2, 15, 30, tzinfo=UTC).timestamp())
JAN3 = int(datetime(2024, 1, 3, 9, 0, tzinfo=UTC).timestamp())
USDT = "0xdAC17F958D2ee523a2206206994597C13D831ec7"  # listed on eth (chains/tokens)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _rows(hs: HistoryStore) -> dict[str, object]:
    return {r.tx_hash: r for r in hs.iter_rows()}


@pytest.fixture
def hs(tmp_path: Path) -> HistoryStore:
    return HistoryStore(Store(tmp_path / "w.sqlite3"))


def _book(hs: HistoryStore, url: str, currency: str = "USD", **kw: object) -> DayPrices:
    return DayPrices(hs.store, currency, CoinGecko(url), **kw)  # type: ignore[arg-type]


async def test_values_at_the_days_price_and_each_day_asked_once(
    hs: HistoryStore,
    history_api: tuple[HistoryApi, str],  # noqa: F811
) -> None:
    fx, url = history_api
    hs.insert([
        item(1, network="eth", asset="eth:native", amount=2 * 10**18, ts=JAN2),
        item(2, network="btc", asset="btc:native", symbol="BTC", decimals=8, amount=50_000_000,
             ts=JAN2),
        item(3, network="btc", asset="btc:native", symbol="BTC", decimals=8, amount=1, ts=JAN2),
    ])  # fmt: skip
    rows = list(hs.iter_rows())
    book = _book(hs, url)
    try:
        assert await book.fill(rows) == 2  # BTC and ETH on 2 Jan: two requests, not three
        assert await book.fill(rows) == 0 and len(fx.requests) == 2  # kept: not asked again
    finally:
        await book.aclose()
    by_block = {r.block: r for r in rows}
    assert book.value_of(by_block[1]) == Decimal("4801.00")  # 2 ETH x 2400.5
    assert book.value_of(by_block[2]) == Decimal("22500.06")  # 0.5 BTC x 45000.123456789
    assert book.source_name(by_block[2]) == "coingecko"
    # Kept on disk: a new book over the same store reads it without a source.
    assert DayPrices(hs.store, "USD").value_of(by_block[1]) == Decimal("4801.00")
    assert DayPrices(hs.store, "CNY").value_of(by_block[1]) is None  # another currency


async def test_at_most_n_requests_a_minute_the_rest_stay_unknown(
    hs: HistoryStore,
    history_api: tuple[HistoryApi, str],  # noqa: F811
) -> None:
    fx, url = history_api
    day = 86_400
    hs.insert([item(n, network="eth", asset="eth:native", ts=JAN2 - n * day) for n in range(5)])
    rows = list(hs.iter_rows())
    clock = Clock()
    book = _book(hs, url, per_minute=2, clock=clock)
    try:
        await book.fill(rows)
        assert len(fx.requests) == 2 and len(book.missing(rows)) == 3
        clock.now += 30
        await book.fill(rows)
        assert len(fx.requests) == 2  # still within the minute
        clock.now += 31
        await book.fill(rows)
        assert len(fx.requests) == 4 and len(book.missing(rows)) == 1
    finally:
        await book.aclose()


async def test_testnets_devnet_approvals_and_unlisted_tokens_get_no_price(
    hs: HistoryStore,
    history_api: tuple[HistoryApi, str],  # noqa: F811
) -> None:
    fx, url = history_api
    hs.insert([
        item(1, network="sepolia", asset="sepolia:native", ts=JAN2),
        item(2, network="devnet", asset="devnet:native", ts=JAN2),
        item(3, network="btc-testnet", asset="btc-testnet:native", symbol="BTC", ts=JAN2),
        # A token calling itself USDT at another address: a symbol is not proof.
        item(4, network="eth", asset="eth:0x" + "12" * 20, symbol="USDT", decimals=6, ts=JAN2),
        item(5, network="eth", asset=f"eth:{USDT}", symbol="USDT", decimals=6, ts=JAN2,
             kind="approval"),
    ])  # fmt: skip
    rows = list(hs.iter_rows())
    assert [row_symbol(r) for r in rows] == [None] * 5
    book = _book(hs, url)
    try:
        assert await book.fill(rows) == 0
    finally:
        await book.aclose()
    assert fx.requests == [] and all(book.value_of(r) is None for r in rows)
    listed = item(6, network="eth", asset=f"eth:{USDT}", symbol="USDT", decimals=6, ts=JAN2)
    hs.insert([listed])
    assert row_symbol(next(r for r in hs.iter_rows() if r.block == 6)) == "USDT"


async def test_a_failed_or_missing_source_leaves_the_value_unknown(
    hs: HistoryStore,
    history_api: tuple[HistoryApi, str],  # noqa: F811
) -> None:
    fx, url = history_api
    hs.insert([
        item(1, network="eth", asset="eth:native", ts=JAN3),  # the source has no 3 Jan
        item(2, network="btc", asset="btc:native", symbol="BTC", decimals=8, ts=JAN2),
    ])  # fmt: skip
    rows = list(hs.iter_rows())
    fx.down = True
    book = _book(hs, url)
    try:
        assert await book.fill(rows) == 0
        assert len(book.errors) == 1 and len(fx.requests) == 1  # stops at the first failure
        assert all(book.value_of(r) is None for r in rows)
        assert len(book.missing(rows)) == 2  # nothing kept: asked again later
        fx.down = False
        await book.fill(rows)
    finally:
        await book.aclose()
    by_block = {r.block: r for r in rows}
    assert book.value_of(by_block[1]) is None  # the source has none that day: still unknown
    assert book.known("ETH", datetime.fromtimestamp(JAN3, UTC).date()) == (True, None)
    assert book.value_of(by_block[2]) is not None


async def test_csv_value_column_has_the_value_or_is_empty(
    hs: HistoryStore,
    history_api: tuple[HistoryApi, str],  # noqa: F811
) -> None:
    _, url = history_api
    hs.insert([
        item(1, network="eth", asset="eth:native", amount=10**18, ts=JAN2),
        item(2, network="eth", asset="eth:native", amount=10**18, ts=JAN3),  # none that day
        item(3, network="devnet", asset="devnet:native", ts=JAN2),  # no market
    ])  # fmt: skip
    book = _book(hs, url)
    try:
        await book.fill(list(hs.iter_rows()))
    finally:
        await book.aclose()
    buf = io.StringIO()
    assert hs.export_csv(buf, day_prices=book) == 3
    rows = {r["block"]: r for r in csv.DictReader(io.StringIO(buf.getvalue()))}
    assert rows["1"]["value_at_time"] == "2400.50" and rows["1"]["value_currency"] == "USD"
    assert rows["2"]["value_at_time"] == "" and rows["3"]["value_at_time"] == ""
    plain = io.StringIO()
    hs.export_csv(plain)  # without prices (the CLI): the columns are there, empty
    assert {r["value_at_time"] for r in csv.DictReader(io.StringIO(plain.getvalue()))} == {""}
