"""History's value at the time on screen (App.run_test + Pilot): the details pane and the CSV
export over SQLite on disk and the local CoinGecko-history fixture of
tests/chains/test_day_prices.py (127.0.0.1, the documented shape; no network). A source that
fails or has no price shows "—" and says why, never a number."""

from __future__ import annotations

import csv
import html
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.history import _Services
from chains.prices import CoinGecko
from tests.chains.test_day_prices import HistoryApi, history_api  # noqa: F401 (a fixture)
from tests.tui.helpers import settle_keep_toasts
from tests.tui.helpers import until as _until
from tests.wallet.test_history_store import item
from tui.app import TermwalletApp, make_app
from tui.screens.history import HistoryScreen
from tui.screens.history_details import HistoryDetailsScreen
from tui.screenshots import settle
from wallet.day_prices import DayPrices
from wallet.history.store import HistoryStore
from wallet.settings import Settings
from wallet.store import Store

ACCOUNT = "0x9858EfFD232B4033E47d90003D41EC34EcaEda94"
JAN2 = int(datetime(2024, 1, 2, 15, 30, tzinfo=UTC).timestamp())


class Services(_Services):
    def __init__(self, path: Path, price_url: str) -> None:
        super().__init__(path, ACCOUNT)
        self.price_url = price_url

    async def open_session(self) -> Any:
        session = await super().open_session()
        session.day_prices = DayPrices(session.store, "USD", CoinGecko(self.price_url))
        return session


def _app(tmp_path: Path, url: str, items: list[Any]) -> TermwalletApp:
    path = tmp_path / "w.sqlite3"
    store = Store(path)
    HistoryStore(store).insert(items)
    store.close()
    return make_app(Settings(language="en"), Services(path, url))  # type: ignore[arg-type]


def _details(app: TermwalletApp) -> str:
    text = str(app.screen.query_one("#details-text").render())
    return html.unescape(text)


async def _open(pilot: Any, app: TermwalletApp, block: int) -> None:
    await _until(pilot, lambda: app.session is not None)
    hs = HistoryStore(app.session.store)  # type: ignore[attr-defined]
    row = next(r for r in hs.iter_rows() if r.block == block)
    await app.push_screen(HistoryDetailsScreen(hs, row, head=None))
    await _until(pilot, lambda: isinstance(app.screen, HistoryDetailsScreen))
    await _until(pilot, lambda: not any(w.is_running for w in app.screen.workers))
    await pilot.pause()


def _value_line(text: str) -> str:
    return next(line for line in text.splitlines() if line.startswith("Value at the time"))


async def test_the_details_show_the_value_at_the_days_price_and_say_what_it_is(
    tmp_path: Path,
    history_api: tuple[HistoryApi, str],  # noqa: F811
) -> None:
    fx, url = history_api
    app = _app(tmp_path, url, [item(1, network="eth", asset="eth:native", amount=2 * 10**18,
                                    ts=JAN2)])  # fmt: skip
    async with app.run_test(size=(110, 40)) as pilot:
        await _open(pilot, app, 1)
        text = _details(app)
        assert _value_line(text).endswith("4,801.00 USD"), text
        assert "the day's price from CoinGecko (00:00 UTC, 2024-01-02)" in text
        assert len(fx.requests) == 1


async def test_a_failed_source_shows_a_dash_and_why_never_a_number(
    tmp_path: Path,
    history_api: tuple[HistoryApi, str],  # noqa: F811
) -> None:
    fx, url = history_api
    fx.down = True
    items = [
        item(1, network="eth", asset="eth:native", ts=JAN2),
        item(2, network="devnet", asset="devnet:native", ts=JAN2),
    ]
    app = _app(tmp_path, url, items)
    async with app.run_test(size=(110, 40)) as pilot:
        await _open(pilot, app, 1)
        text = _details(app)
        assert _value_line(text).endswith(" —"), text
        assert not re.search(r"\d USD", text)
        assert "the price for 2024-01-02 could not be read yet" in text
        app.pop_screen()
        asked = len(fx.requests)
        await _open(pilot, app, 2)  # the demo's devnet: no market, nobody asked
        text = _details(app)
        assert _value_line(text).endswith(" —") and not re.search(r"\d USD", text)
        assert len(fx.requests) == asked


async def test_the_export_has_the_value_column(
    tmp_path: Path,
    history_api: tuple[HistoryApi, str],  # noqa: F811
) -> None:
    _, url = history_api
    items = [
        item(1, network="eth", asset="eth:native", amount=10**18, ts=JAN2),
        item(2, network="eth", asset="eth:native", ts=JAN2 + 86_400),  # none that day
    ]
    app = _app(tmp_path, url, items)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await _until(pilot, lambda: isinstance(app.screen, HistoryScreen))
        await settle(pilot)
        await pilot.press("e")
        await _until(pilot, lambda: any((tmp_path / "exports").glob("*.csv")))
        await settle_keep_toasts(pilot)
    (path,) = (tmp_path / "exports").glob("*.csv")
    rows = {r["block"]: r for r in csv.DictReader(path.open(encoding="utf-8"))}
    assert rows["1"]["value_at_time"] == "2400.50" and rows["1"]["value_currency"] == "USD"
    assert rows["2"]["value_at_time"] == ""  # the source has no 3 Jan: empty, not a guess
