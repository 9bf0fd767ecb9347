"""Fiat values on the Assets screen (issue 19): a Litecoin account watched on mainnet settings,
its balance from ElectrumX over TLS (self-signed, trusted on first use), its price from a local
server speaking CoinGecko's /simple/price shape; then the price server gone: the last known
price marked with its age. en (USD by default) and zh-CN (CNY by default).

The Litecoin mainnet account reads a regtest chain: an address's script is the same on both
(only the text encoding differs), and ElectrumX indexes scripts, so funding the script on
regtest funds the watched mainnet address as the wallet sees it."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.json_http import JsonHandler, serving
from tests.fixtures.litecoin import Regtest
from tests.tui.test_utxo_app import PHRASE, _text, _until
from tui.app import make_app
from tui.screenshots import settle
from tui.services import UserServices
from wallet.paths import Paths

COIN = 10**8
PRICES = {"usd": "71.05", "cny": "512.3"}


@pytest.fixture
def price_api() -> Iterator[tuple[str, dict[str, Any]]]:
    state: dict[str, Any] = {"down": False, "asked": []}

    class Handler(JsonHandler):
        def do_GET(self) -> None:
            path, q = self.path_and_query()
            state["asked"].append(q)
            if state["down"] or path != "/api/v3/simple/price":
                self.send_json(503, "{}")
                return
            cur = q["vs_currencies"]
            body = {}
            if "litecoin" in q["ids"].split(","):
                body["litecoin"] = {cur: float(PRICES[cur]), "last_updated_at": int(time.time())}
            self.send_json(200, json.dumps(body))

    with serving(Handler) as url:
        yield f"{url}/api/v3", state


def _watch_and_fund(paths: Paths, regtest: Regtest, litoshi: int, index: int) -> None:
    from chains.utxo import address_to_script, script_to_address
    from chains.utxo_networks import UTXO_NETWORKS
    from devices.emulator import SoftwareSigner
    from wallet.accounts import AccountBook
    from wallet.keys import ScriptKind, account_path
    from wallet.store import Store

    signer = SoftwareSigner.from_mnemonic(PHRASE)
    # An account of its own per run (the regtest chain is shared by the session).
    xpub = signer.get_xpub(account_path("ltc", ScriptKind.P2WPKH, index))
    store = Store(paths.database)
    try:
        acct = AccountBook(store).add_watch_xpub("ltc", xpub, ScriptKind.P2WPKH)
    finally:
        store.close()
    script = address_to_script(acct.address, UTXO_NETWORKS["ltc"])
    on_regtest = script_to_address(script, UTXO_NETWORKS["ltc-regtest"])
    assert on_regtest is not None and acct.address.startswith("ltc1")
    funding = regtest.fund(on_regtest, litoshi)
    regtest.mine(1)
    regtest.wait_electrum_height(regtest.height(), funded=on_regtest, txid=funding)


@pytest.mark.regtest
@pytest.mark.parametrize(("language", "value", "currency"), [
    ("en", "106.58 USD", "USD"),  # 1.5 LTC x 71.05 = 106.575: half-even to the cent
    ("zh-CN", "768.45 CNY", "CNY"),  # 1.5 x 512.3
])  # fmt: skip
async def test_assets_show_values_a_total_and_the_last_known_price_when_offline(
    regtest: Regtest,
    termwallet_home: Path,
    price_api: tuple[str, dict[str, Any]],
    language: str,
    value: str,
    currency: str,
) -> None:
    url, state = price_api
    paths = Paths.default().ensure()
    paths.config_file.write_text(
        f'language = "{language}"\nnetwork = "eth"\nrpc_urls = {{ eth = ["http://127.0.0.1:9"] }}\n'
        f'utxo_networks = ["ltc"]\nprice_api_url = "{url}"\n'
        f'[electrum_servers]\nltc = ["{regtest.electrum_ssl}"]\n',
        "utf-8",
    )
    index = 40 + ["en", "zh-CN"].index(language)
    await asyncio.to_thread(_watch_and_fund, paths, regtest, 3 * COIN // 2, index)

    app = make_app(services=UserServices(paths), language=language)
    async with app.run_test(size=(140, 30)) as pilot:
        await settle(pilot)
        screen = app.screen
        await _until(pilot, lambda: screen.utxo_view is not None, "Litecoin rows")
        await _until(pilot, lambda: screen.price_view is not None, "prices")
        await _until(pilot, lambda: value in _text(app), f"the value {value}")
        text = _text(app)
        (row,) = screen.utxo_view
        assert row.amount == 3 * COIN // 2 and not row.stale
        assert screen.price_view.currency == currency
        assert f"{value} *" not in text  # a fresh price: no mark
        total = "Total" if language == "en" else "合计"
        assert f"{total} {value}" in text, text
        assert "coingecko" in text
    assert any(q.get("vs_currencies") == currency.lower() for q in state["asked"])

    # The price API is gone: the last known price, marked, with its age; never another one.
    state["down"] = True
    app = make_app(services=UserServices(paths), language=language)
    async with app.run_test(size=(140, 30)) as pilot:
        await settle(pilot)
        screen = app.screen
        await _until(pilot, lambda: screen.price_view is not None, "prices")
        await _until(pilot, lambda: screen.utxo_view is not None, "Litecoin rows")
        await _until(pilot, lambda: f"{value} *" in _text(app), "the marked value")
        text = _text(app)
        quote = screen.price_view.quotes["LTC"]
        assert not quote.fresh and quote.source == "coingecko"
        said = "Last known price" if language == "en" else "最后已知价格"
        assert said in text, text
