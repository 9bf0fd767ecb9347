"""Which history API a network uses: the user's table, else its public Blockscout instance
(keyless), else the node; a key alone means Etherscan V2 (issue 19)."""

from __future__ import annotations

from pathlib import Path

import pytest

from chains.blockscout import INSTANCES
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
    api = history_api_for("polygon", s)
    assert api == HistoryApi("etherscan", ETHERSCAN_V2, "K123") and "K123" not in repr(api)


def test_an_unknown_api_kind_is_a_settings_error(tmp_path: Path) -> None:
    from wallet.settings import SettingsError

    with pytest.raises(SettingsError, match=r"explorers\.eth\.api"):
        _settings(tmp_path, '[explorers.eth]\napi = "etherscanx"\n')
