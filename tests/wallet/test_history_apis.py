"""Which history API a network uses: the user's table, else its public Blockscout instance
(keyless), else the node; a key alone means Etherscan V2 (issue 19)."""

from __future__ import annotations

from pathlib import Path

import pytest

from chains.blockscout import INSTANCES
from tests.chains.test_blockscout import ME, Fixture, Waits, api, transfer, tx  # noqa: F401
from wallet.history_apis import ETHERSCAN_V2, HistoryApi, history_api_for
from wallet.settings import load_settings


def _settings(tmp_path: Path, text: str = ""):  # type: ignore[no-untyped-def]
    f = tmp_path / "config.toml"
    f.write_text(text)
    return load_settings(f)


def test_a_fresh_wallet_reads_blockscout_without_a_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TERMWALLET_EXPLORER_KEY", raising=False)
    s = _settings(tmp_path)
    assert history_api_for("eth", s) == HistoryApi("blockscout", INSTANCES["eth"], None)
    assert history_api_for("base", s) == HistoryApi("blockscout", INSTANCES["base"], None)
    assert history_api_for("bnb", s) is None  # no public instance: the node
    assert history_api_for("devnet", s) is None


def test_the_users_choice_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TERMWALLET_EXPLORER_KEY", raising=False)
    monkeypatch.setenv("TERMWALLET_EXPLORERS__POLYGON__KEY", "K123")
    s = _settings(
        tmp_path,
        '[explorers.eth]\napi = "node"\n'
        '[explorers.base]\napi = "blockscout"\nurl = "https://my.blockscout/"\n'
        '[explorers.arbitrum]\nurl = "https://api.arbiscan.example/api"\n',
    )
    assert history_api_for("eth", s) is None  # private: never an API
    assert history_api_for("base", s) == HistoryApi("blockscout", "https://my.blockscout", None)
    assert history_api_for("arbitrum", s) == HistoryApi(
        "etherscan", "https://api.arbiscan.example/api", None
    )
    chosen = history_api_for("polygon", s)
    assert chosen == HistoryApi("etherscan", ETHERSCAN_V2, "K123") and "K123" not in repr(chosen)


def test_an_unknown_api_kind_is_a_settings_error(tmp_path: Path) -> None:
    from wallet.settings import SettingsError

    with pytest.raises(SettingsError, match=r"explorers\.eth\.api"):
        _settings(tmp_path, '[explorers.eth]\napi = "etherscanx"\n')


async def test_a_blockscout_source_syncs_into_the_store(
    api: tuple[Fixture, str],  # noqa: F811 (the fixture of tests/chains/test_blockscout.py)
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """From the settings to rows: the wallet's choice (here the user's own instance, the
    local fixture of tests/chains/test_blockscout.py), its source, a sync, the store."""
    from chains.networks import NETWORKS
    from wallet.history.evm_source import BlockscoutSource
    from wallet.history.model import HistoryQuery
    from wallet.history.store import HistoryStore
    from wallet.history.sync import HistorySync, history_api_of, sources_for
    from wallet.store import Store

    monkeypatch.delenv("TERMWALLET_EXPLORER_KEY", raising=False)
    fx, url = api
    at = "2026-11-03T17:{:02d}:00Z".format
    fx.txs = [tx(1, timestamp=at(1))]
    fx.transfers = [transfer(3, timestamp=at(3))]
    config = tmp_path / "config.toml"
    config.write_text(f'[explorers.eth]\napi = "blockscout"\nurl = "{url}"\n')
    chosen = history_api_of("eth", config)
    assert chosen == HistoryApi("blockscout", url, None)
    net = NETWORKS["eth"]
    (src,) = sources_for(net, [], history_api=chosen)
    assert isinstance(src, BlockscoutSource)
    src.client._sleep = Waits()  # no real waits in tests
    store = Store(tmp_path / "w.sqlite3")
    try:
        await HistorySync(store, net, [ME], [src]).run()
        fx.txs.append(tx(5, timestamp=at(5)))
        await HistorySync(store, net, [ME], [src]).run()
    finally:
        await src.aclose()
    hs = HistoryStore(store)
    rows = hs.page(HistoryQuery())
    assert [(r.block, r.direction) for r in rows] == [(105, "out"), (103, "in"), (101, "out")]
    assert hs.cursor("eth", "blockscout", ME) == "105"
    store.close()
