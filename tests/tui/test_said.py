"""Sentences the lower layers raise with a Said (said/__init__.py) reach the user in their
language: every Said in wallet/, chains/ and devices/ has its zh-CN text with the same
placeholders, and the app's and the CLI's error messages use it."""

from __future__ import annotations

import ast
import string
from collections.abc import Iterator
from pathlib import Path

import pytest

from said import Said
from tests.fixtures.cli import run_cli
from tui.errors import sentence, user_message
from tui.i18n import catalog, placeholders, set_language

ROOT = Path(__file__).resolve().parents[2]
LOWER = ("wallet", "chains", "devices")


def _said_calls() -> Iterator[tuple[str, ast.Call]]:
    for package in LOWER:
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text("utf-8"))):
                if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Said":
                    yield f"{path.relative_to(ROOT)}:{node.lineno}", node


def _templates() -> dict[str, str]:
    """key -> English template of every Said in the lower layers, checked as it is read."""
    found: dict[str, str] = {}
    problems = []
    for where, call in _said_calls():
        literal = [isinstance(a, ast.Constant) and isinstance(a.value, str) for a in call.args]
        if len(call.args) != 2 or not all(literal):
            problems.append(f"{where}: key and English must be two literal strings")
            continue
        key, template = (a.value for a in call.args)  # type: ignore[attr-defined]
        if any(spec for _, _, spec, _ in string.Formatter().parse(template) if spec):
            problems.append(f"{where}: format the value where it is raised, not in '{template}'")
        names = {k.arg for k in call.keywords}
        if None in names or names != placeholders(template):
            problems.append(f"{where}: values {sorted(map(str, names))} for '{template}'")
        if found.setdefault(key, template) != template:
            problems.append(f"{where}: '{key}' says '{found[key]}' elsewhere, '{template}' here")
    assert not problems, "\n".join(problems)
    return found


def test_every_said_has_its_chinese_with_the_same_placeholders() -> None:
    templates = _templates()
    assert len(templates) >= 20  # the scan found the converted sites, not nothing
    zh = catalog("zh-CN")
    missing = sorted(k for k in templates if f"said.{k}" not in zh)
    assert not missing, missing
    wrong = [
        (k, en, zh[f"said.{k}"])
        for k, en in templates.items()
        if placeholders(en) != placeholders(zh[f"said.{k}"])
    ]
    assert not wrong, wrong


def test_no_chinese_sentence_is_left_without_its_said() -> None:
    used = {f"said.{k}" for k in _templates()}
    stale = sorted(k for k in catalog("zh-CN") if k.startswith("said.") and k not in used)
    assert not stale, stale


def test_english_lives_in_the_code_only() -> None:
    assert not [k for k in catalog("en") if k.startswith("said.")]


@pytest.fixture
def language() -> Iterator[None]:
    yield
    set_language("en")


def test_a_said_error_reads_in_the_current_language(language: None) -> None:
    from wallet.accounts import AccountError

    error = AccountError(Said("accounts.has_no_accounts", "{chain} has no {script} accounts",
                              chain="ltc", script="p2tr"))  # fmt: skip
    set_language("en")
    assert sentence(error) == user_message(error) == str(error) == "ltc has no p2tr accounts"
    set_language("zh-CN")
    assert sentence(error) == user_message(error) == "ltc 没有 p2tr 账户"
    assert str(error) == "ltc has no p2tr accounts"  # logs and tests keep the English


def test_a_said_inside_a_said_and_a_key_no_catalog_has(language: None) -> None:
    inner = ValueError(Said("accounts.address_index_out_range", "address index out of range"))
    outer = ValueError(Said("test.not_in_any_catalog", "cannot derive: {reason}", reason=inner))
    set_language("zh-CN")
    # The outer sentence has no Chinese: it stays English as a whole, as written.
    assert sentence(outer) == "cannot derive: address index out of range"
    nested = Said("accounts.no_account", "no account {account_id}", account_id=Said(
        "accounts.address_index_out_range", "address index out of range"))  # fmt: skip
    assert sentence(ValueError(nested)) == "没有账户 地址索引超出范围"


def test_an_error_code_template_gets_the_sentence_as_its_detail(language: None) -> None:
    from wallet.utxo_keys import UtxoAccountError

    error = UtxoAccountError(Said("accounts.address_index_out_range", "address index out of range"))
    set_language("zh-CN")
    assert user_message(error) == "此账户不能在这里使用：地址索引超出范围"
    set_language("en")
    assert user_message(error) == "This account cannot be used here: address index out of range"


def test_a_plain_error_is_unchanged(language: None) -> None:
    set_language("zh-CN")
    assert sentence(ValueError("plain words")) == "plain words"
    assert "RuntimeError" in user_message(RuntimeError("could hold a secret"))


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("TERMWALLET_HOME", str(tmp_path))
    yield tmp_path
    set_language("en")


@pytest.mark.parametrize(
    ("argv", "english", "chinese"),
    [
        (
            ["watch", "add", "btc", "xpubBAD"],
            "say which addresses this key makes: p2wpkh or p2tr",
            "请说明此密钥生成哪种地址：p2wpkh 或 p2tr",
        ),
        (
            ["address", "btc"],
            "no p2wpkh account 0 for btc in this wallet",
            "此钱包没有 btc 的 p2wpkh 账户 0",
        ),
    ],
    ids=["watch-key-without-script", "address-without-account"],
)
def test_the_cli_says_a_lower_layer_error_in_the_language_asked(
    argv: list[str], english: str, chinese: str, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc, out, err = run_cli(["--lang", "zh-CN", *argv], capsys)
    assert (rc, out, err) == (2, "", f"termwallet: {chinese}\n")
    rc, out, err = run_cli(["--lang", "en", *argv], capsys)
    assert (rc, out, err) == (2, "", f"termwallet: {english}\n")


def test_a_settings_validator_speaks_through_pydantic(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """pydantic wraps a validator's ValueError in its own message; the Said inside is found
    again (wallet/settings.py load_settings) and the English stays pydantic's, word for word."""
    (home / "config").mkdir()
    (home / "config" / "config.toml").write_text('currency = "XYZ"\n', "utf-8")
    rc, out, err = run_cli(["--lang", "zh-CN", "balance"], capsys)
    assert rc == 2 and out == "" and "设置 'currency'：'XYZ' 不是已知的货币：请从 USD" in err, err
    assert "Value error" not in err
    rc, out, err = run_cli(["--lang", "en", "balance"], capsys)
    assert rc == 2 and out == ""
    assert "setting 'currency': Value error, 'XYZ' is not a known currency: choose USD" in err


def test_a_device_refusal_names_the_device_and_says_why_in_chinese(language: None) -> None:
    from devices.errors import Unsupported
    from tui.device_interaction import device_error_text

    error = Unsupported(Said("hwi.hwi_signs_bitcoin_only", "HWI signs Bitcoin only, not {chain!r}",
                             chain="ltc"))  # fmt: skip
    set_language("zh-CN")
    assert device_error_text(error, "Coldcard") == (
        "您的 Coldcard 无法执行此操作：HWI 只签署比特币，不签署 'ltc'"
    )
    set_language("en")
    assert "HWI signs Bitcoin only, not 'ltc'" in device_error_text(error, "Coldcard")
