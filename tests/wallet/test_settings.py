from pathlib import Path

import pytest

from wallet.paths import Paths
from wallet.settings import SettingsError, load_settings


def test_defaults_without_a_file(tmp_path: Path) -> None:
    s = load_settings(tmp_path / "missing.toml")
    assert s.language == "en"
    assert s.network == "eth"


def test_file_then_environment_then_arguments(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    f = tmp_path / "config.toml"
    f.write_text('language = "zh-CN"\nnetwork = "sepolia"\nauto_lock_minutes = 3\n')
    s = load_settings(f)
    assert (s.language, s.network, s.auto_lock_minutes) == ("zh-CN", "sepolia", 3)
    monkeypatch.setenv("TERMWALLET_NETWORK", "eth")
    assert load_settings(f).network == "eth"
    assert load_settings(f, language="en").language == "en"


def test_a_bad_value_names_the_file_and_the_setting(tmp_path: Path) -> None:
    f = tmp_path / "config.toml"
    f.write_text('language = "klingon"\n')
    with pytest.raises(SettingsError) as info:
        load_settings(f)
    assert str(f) in str(info.value) and "language" in str(info.value)


@pytest.mark.parametrize("text", ["0_1", "1\u0660", "\uff11"])
def test_a_number_from_the_environment_is_ascii_digits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    monkeypatch.setenv("TERMWALLET_AUTO_LOCK_MINUTES", text)
    with pytest.raises(SettingsError) as info:
        load_settings(tmp_path / "missing.toml")
    assert "auto_lock_minutes" in str(info.value)
    monkeypatch.setenv("TERMWALLET_SWAP_SERVICE_FEE_BPS", "0_1")
    monkeypatch.setenv("TERMWALLET_AUTO_LOCK_MINUTES", "5")
    with pytest.raises(SettingsError):
        load_settings(tmp_path / "missing.toml")


def test_broken_toml_is_a_clear_error(tmp_path: Path) -> None:
    f = tmp_path / "config.toml"
    f.write_text("language = \n")
    with pytest.raises(SettingsError, match=str(f)):
        load_settings(f)


def test_termwallet_home_moves_every_path(termwallet_home: Path) -> None:
    p = Paths.default()
    for d in (p.config_dir, p.data_dir, p.cache_dir, p.log_dir):
        assert termwallet_home in d.parents


def test_support_settings_from_file_and_secret_from_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    f = tmp_path / "config.toml"
    f.write_text('[support]\nhelpdesk_url = "https://help.example.com"\n')
    monkeypatch.setenv("TERMWALLET_SUPPORT__HELPDESK_TOKEN", "canary-token-8f3a")
    s = load_settings(f)
    assert s.support.helpdesk_url == "https://help.example.com"
    assert s.support.helpdesk_token is not None
    assert s.support.helpdesk_token.get_secret_value() == "canary-token-8f3a"
    assert "canary-token-8f3a" not in repr(s) and "canary-token-8f3a" not in str(s.model_dump())
