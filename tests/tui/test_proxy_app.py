"""The whole wallet through a SOCKS5 proxy (issue 19, "done when"): the app opens a wallet whose
settings name a proxy and servers only the proxy can resolve; the Assets screen shows the
ETH balance (node RPC through the proxy), the Litecoin balance (Electrum over TLS, pinned on
first use, through the proxy) and the Litecoin price (price API through the proxy), while the
netguard refuses, and records, every connection or name lookup that goes around the proxy.

The Litecoin account is watched on mainnet and funded on regtest (same script, see
tests/tui/test_prices_app.py); the EVM network is the devnet (anvil) named `anvil.test`."""

from __future__ import annotations

import asyncio
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.fixtures.devnet import Devnet
from tests.fixtures.litecoin import Regtest
from tests.test_proxy_everywhere import socks5  # noqa: F401 (fixture)
from tests.tui.test_prices_app import PRICES, _watch_and_fund, price_api  # noqa: F401
from tests.tui.test_utxo_app import _text, _until
from tui.app import make_app
from tui.screenshots import settle
from tui.services import UserServices
from wallet.paths import Paths

COIN = 10**8
netguard = sys.modules["termwallet_netguard"]


@pytest.mark.devnet
@pytest.mark.regtest
async def test_the_app_reads_everything_through_the_proxy(
    regtest: Regtest,
    devnet: Devnet,
    termwallet_home: Path,
    socks5: tuple[int, Path],  # noqa: F811
    price_api: tuple[str, dict[str, Any]],  # noqa: F811
) -> None:
    proxy_port, log = socks5
    prices_url, _ = price_api
    anvil = urlsplit(devnet.rpc_url).port
    electrum = urlsplit(regtest.electrum_ssl).port
    price_port = urlsplit(prices_url).port
    paths = Paths.default().ensure()
    paths.config_file.write_text(
        f'network = "devnet"\nproxy = "socks5h://127.0.0.1:{proxy_port}"\n'
        f'rpc_urls = {{ devnet = ["http://anvil.test:{anvil}"] }}\n'
        f'utxo_networks = ["ltc"]\n'
        f'price_api_url = "http://prices.test:{price_port}/api/v3"\n'
        f'[electrum_servers]\nltc = ["ssl://electrum.test:{electrum}"]\n',
        "utf-8",
    )
    await asyncio.to_thread(_watch_and_fund, paths, regtest, COIN, 42)
    from wallet.accounts import AccountBook
    from wallet.store import Store

    store = Store(paths.database)
    AccountBook(store).add_watch_address("eth", devnet.demo_address)
    store.close()

    netguard.only_through(("127.0.0.1", proxy_port))
    try:
        app = make_app(services=UserServices(paths), language="en")
        async with app.run_test(size=(140, 30)) as pilot:
            await settle(pilot)
            screen = app.screen
            await _until(pilot, lambda: screen.view is not None, "ETH balance")
            await _until(pilot, lambda: screen.utxo_view is not None, "Litecoin rows")
            await _until(pilot, lambda: screen.price_view is not None, "prices")
            await _until(pilot, lambda: "71.05 USD" in _text(app), "the LTC value")
            text = _text(app)
            eth = next(h for h in screen.view.holdings if h.asset.contract is None)
            assert not screen.view.stale and eth.amount > 0, text
            (ltc,) = screen.utxo_view
            assert not ltc.stale and ltc.amount == COIN, text
            assert screen.price_view.quotes["LTC"].value == Decimal(PRICES["usd"])
            assert "read from anvil.test" in text and "Litecoin electrum.test" in text
    finally:
        violations = list(netguard.violations)
        netguard.only_through(None)
    assert violations == []
    names = {(host, port) for kind, host, port in _log(log) if kind == "name"}
    assert {
        ("anvil.test", anvil),
        ("electrum.test", electrum),
        ("prices.test", price_port),
    } <= names
    assert all(kind == "name" for kind, _, _ in _log(log))


def _log(path: Path) -> list[tuple[str, str, int]]:
    out = []
    for line in path.read_text().splitlines():
        kind, host, port = line.split()
        out.append((kind, host, int(port)))
    return out
