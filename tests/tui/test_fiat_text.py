"""The reviews' fiat line (tui/fiat_text.py) from the last known prices in a real store: the
values, their age when old, nothing for testnet coins or coins without a price."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

from chains.prices import Price
from tui.fiat_text import review_fiat
from tui.i18n import set_language
from wallet.prices import PriceBook
from wallet.store import Store


def _session(tmp_path: Path, *, testnet: bool, age: timedelta) -> SimpleNamespace:
    store = Store(tmp_path / "w.sqlite3")
    book = PriceBook(store, "USD", [])
    when = datetime.now(UTC) - age
    book._save([Price("ETH", "USD", Decimal("3500"), when, "coingecko")])
    return SimpleNamespace(prices=book, network=SimpleNamespace(testnet=testnet))


def test_values_of_the_amount_and_the_fee(tmp_path: Path) -> None:
    set_language("en")
    s = _session(tmp_path, testnet=False, age=timedelta(minutes=1))
    line = review_fiat(s, [("amount", "ETH", 10**18 // 2, 18), ("fee", "ETH", 21000 * 10**10, 18)])
    assert line == "≈ 1,750.00 USD, fee up to ≈ 0.74 USD"  # 0.00021 ETH x 3500 = 0.735
    s.prices.store.close()


def test_old_prices_say_their_age_and_missing_ones_say_none(tmp_path: Path) -> None:
    set_language("en")
    s = _session(tmp_path, testnet=False, age=timedelta(hours=3))
    assert review_fiat(s, [("amount", "ETH", 10**18, 18)]) == (
        "≈ 3,500.00 USD (last known price, 3 h old)"
    )
    assert review_fiat(s, [("amount", "DAI", 10**18, 18)]).startswith("no price known")
    s.prices.store.close()


def test_testnet_coins_have_no_value(tmp_path: Path) -> None:
    set_language("zh-CN")
    try:
        s = _session(tmp_path, testnet=True, age=timedelta(minutes=1))
        assert review_fiat(s, [("amount", "ETH", 10**18, 18)]).startswith("无已知价格")
        assert review_fiat(SimpleNamespace(prices=None), []).startswith("无已知价格")
        s.prices.store.close()
    finally:
        set_language("en")
