"""The wallet's prices: kept in the store with their time, shown with their age when offline,
never made up, never an input to what is signed (issue 19)."""

from __future__ import annotations

import ast
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from chains.errors import NodeUnreachable
from chains.prices import Price
from wallet.prices import PriceBook, PriceView, Quote, age_text, fiat_text, priced_symbols
from wallet.store import Store

NOW = datetime.now(UTC)


class Answering:
    """A price source standing in for the network ones (their HTTP shapes are tested in
    tests/chains/test_prices.py): answers from a table, or fails like an unreachable API."""

    name = "table"

    def __init__(self, table: dict[str, str], down: bool = False) -> None:
        self.table, self.down, self.asked = table, down, 0

    async def prices(self, symbols: Sequence[str], currency: str) -> dict[str, Price]:
        self.asked += 1
        if self.down:
            raise NodeUnreachable("http://prices.example", "offline")
        # Stamped now, not at import: the full suite reaches this test more than FRESH (10
        # min) after collecting it, and a price from then is rightly not fresh any more.
        now = datetime.now(UTC)
        return {
            s: Price(s, currency, Decimal(self.table[s]), now, self.name)
            for s in symbols
            if s in self.table
        }

    async def aclose(self) -> None:
        pass


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "w.sqlite3")
    yield s  # type: ignore[misc]
    s.close()


async def test_prices_are_asked_at_most_once_a_minute(store: Store) -> None:
    source = Answering({"BTC": "67000.12"})
    book = PriceBook(store, "USD", [source])
    first = await book.refresh(["BTC"])
    again = await book.refresh(["BTC"])
    assert source.asked == 1 and again.quotes["BTC"] == first.quotes["BTC"]
    await book.refresh(["BTC", "ETH"])  # a coin not read lately: asked again
    assert source.asked == 2


async def test_prices_are_kept_and_shown_with_their_age_when_offline(store: Store) -> None:
    online = PriceBook(store, "USD", [Answering({"BTC": "67000.12", "ETH": "3500"})])
    view = await online.refresh(["BTC", "ETH", "LTC"])
    assert view.quotes["BTC"].fresh and view.quotes["BTC"].value == Decimal("67000.12")
    assert "LTC" not in view.quotes  # no source had it: no price, not zero
    assert view.value_of("LTC", 10**8, 8) is None

    offline = PriceBook(store, "USD", [Answering({}, down=True)])
    view = await offline.refresh(["BTC", "ETH", "LTC"])
    assert view.errors and isinstance(view.errors[0], NodeUnreachable)
    btc = view.quotes["BTC"]
    assert not btc.fresh and btc.value == Decimal("67000.12") and btc.source == "table"
    assert "LTC" not in view.quotes
    # Another currency was never read: nothing in it, not a converted guess.
    assert (await PriceBook(store, "EUR", [Answering({}, down=True)]).refresh(["BTC"])).quotes == {}


def test_values_round_to_the_currencys_cents_and_totals_say_when_incomplete() -> None:
    q = Quote("BTC", "USD", Decimal("67000.12"), NOW, "t", True)
    view = PriceView("USD", {"BTC": q})
    assert view.value_of("BTC", 12_345_678, 8) == Decimal(
        "8271.62"
    )  # 0.12345678 BTC x 67000.12 = 8271.619...: cents
    assert view.total([("BTC", 10**8, 8), ("BTC", 10**8, 8)]) == (Decimal("134000.24"), True)
    assert view.total([("BTC", 10**8, 8), ("LTC", 10**8, 8)]) == (Decimal("67000.12"), False)
    assert view.total([("BTC", 10**8, 8), ("LTC", 0, 8)]) == (Decimal("67000.12"), True)
    assert view.total([("BTC", None, 8)]) == (Decimal(0), False)  # a balance not known
    yen = PriceView("JPY", {"BTC": Quote("BTC", "JPY", Decimal("10000000.5"), NOW, "t", True)})
    assert yen.value_of("BTC", 10**8, 8) == Decimal("10000000")  # no sen
    assert fiat_text(Decimal("1234567.5"), "USD") == "1,234,567.50 USD"
    assert fiat_text(Decimal("1234567"), "JPY") == "1,234,567 JPY"
    assert [age_text(timedelta(minutes=m)) for m in (5, 180, 3 * 24 * 60)] == [
        "5 min",
        "3 h",
        "3 d",
    ]


def test_testnet_coins_have_no_price() -> None:
    assert priced_symbols(True, ["ETH"]) == [] and priced_symbols(False, ["ETH", "ETH"]) == ["ETH"]


def test_no_module_that_builds_or_signs_a_transaction_reads_prices() -> None:
    root = Path(__file__).resolve().parents[2]
    signing = [
        *root.glob("wallet/send*.py"), *root.glob("wallet/utxo_send*.py"),
        *root.glob("wallet/swap*.py"), *root.glob("devices/**/*.py"), *root.glob("chains/**/*.py"),
    ]  # fmt: skip
    assert len(signing) > 10
    for path in signing:
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            assert not any(n.startswith("wallet.prices") for n in names), path


def test_a_token_is_priced_by_its_contract_not_its_symbol() -> None:
    """A token the user added can call itself USDT: only the native coin and the network's
    listed tokens (checked contracts) are looked up by symbol."""
    from chains.models import Asset
    from chains.tokens import listed_tokens
    from wallet.session import WalletSession

    usdt = next(a for a in listed_tokens("eth") if a.symbol == "USDT")
    fake = Asset(network="eth", symbol="USDT", name="Tether USD", decimals=6,
                 contract="0x" + "12" * 20)  # fmt: skip
    native = Asset(network="eth", symbol="ETH", name="Ethereum", decimals=18)
    pick = WalletSession.price_symbol
    assert pick(None, usdt) == "USDT" and pick(None, native) == "ETH"  # type: ignore[arg-type]
    assert pick(None, fake) is None  # type: ignore[arg-type]
    view = PriceView("USD", {"USDT": Quote("USDT", "USD", Decimal(1), NOW, "t", True)})
    assert view.total([(None, 10**6, 6), ("USDT", 10**6, 6)]) == (Decimal("1.00"), False)
