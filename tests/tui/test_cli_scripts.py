"""The CLI as scripts use it (issue 17): `--json` errors as one JSON object on stdout, no
traceback when servers are down or the reader of a pipe goes away, bad dates and limits
refused, errors in the language asked for."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.cli import run_cli
from tests.wallet.test_history_store import item
from tui.i18n import set_language
from wallet.history.store import HistoryStore
from wallet.paths import Paths
from wallet.store import Store

ROOT = Path(__file__).resolve().parents[2]
PHRASE = "scheme spot photo card baby mountain device kick cradle pact join borrow"
PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def english():
    set_language("en")
    yield
    set_language("en")


def _termwallet(*args: str, stdout: int | None = subprocess.PIPE) -> subprocess.Popen[bytes]:
    """`termwallet ARGS` in a process of its own: what a shell script runs."""
    return subprocess.Popen(
        [sys.executable, "-m", "tui", *args],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([os.environ["PYTHONPATH"], str(ROOT)])},
    )


def _utxo_wallet_with_servers_down() -> None:
    """A restored wallet with Bitcoin and Litecoin accounts whose servers (and the EVM node)
    are a closed port on this machine."""
    from wallet.accounts import AccountBook
    from wallet.keystore import KdfParams, Keystore

    paths = Paths.default().ensure()
    unlocked = Keystore(paths.data_dir / "keystore.json", kdf=KdfParams.cheap_for_tests()).create(
        PHRASE, PASSWORD, ""
    )
    signer = unlocked.signer()
    store = Store(paths.database)
    try:
        book = AccountBook(store)
        book.add_default_accounts(signer, book.software_wallet())
    finally:
        signer.close()
        unlocked.lock()
        store.close()
    paths.config_file.write_text(
        'network = "eth"\nrpc_urls = { eth = ["http://127.0.0.1:9"] }\n'
        'utxo_networks = ["btc", "ltc"]\n'
        '[electrum_servers]\nbtc = ["tcp://127.0.0.1:9"]\nltc = ["tcp://ltc.down.invalid:50001"]\n',
        "utf-8",
    )


@pytest.mark.parametrize("command", [["balance"], ["history", "--sync"]], ids=" ".join)
def test_unreachable_btc_and_ltc_servers_print_no_traceback(command: list[str]) -> None:
    _utxo_wallet_with_servers_down()
    proc = _termwallet(*command)
    out, err = proc.communicate(timeout=120)
    text = (out + err).decode()
    assert "Traceback" not in text and "unhandled exception" not in text, text
    assert proc.returncode == 3, text  # shown, marked not current
    assert "127.0.0.1:9" in text
    assert "None" not in text and ".." not in text  # no block read yet, said as such


def test_history_csv_into_a_closed_pipe_ends_quietly() -> None:
    store = Store(Paths.default().ensure().database)
    HistoryStore(store).insert([item(i) for i in range(1, 3000)])  # far more than a pipe holds
    store.close()
    proc = _termwallet("history", "--csv")
    assert proc.stdout is not None
    head = [proc.stdout.readline() for _ in range(3)]  # `| head -3`
    proc.stdout.close()
    err = proc.stderr.read().decode() if proc.stderr else ""
    proc.wait(timeout=60)
    assert head[0].startswith(b"time_utc,network,account")
    assert err == "", err  # no traceback, no 'Broken pipe' complaint
    assert proc.returncode == 141  # as a shell reports any program a closed pipe ended


def test_screenshots_into_a_folder_that_cannot_be_made(tmp_path: Path, capsys) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    rc, out, err = run_cli(["screenshots", "--out", str(blocker / "shots")], capsys)
    assert rc == 2 and out == ""
    assert err.startswith("termwallet: cannot make the folder") and "Traceback" not in err
    assert "Give --out a folder you can write to." in err
    assert len(err.strip().splitlines()) == 1


def test_json_errors_are_one_object_on_stdout(capsys) -> None:
    rc, out, err = run_cli(["history", "--json", "--since", "2026-13-45"], capsys)
    assert rc == 2 and err == ""
    assert json.loads(out)["error"]["code"] == "HISTORY_BAD_FILTER"
    assert "YYYY-MM-DD" in json.loads(out)["error"]["message"]
    # argparse's own refusals too.
    with pytest.raises(SystemExit) as ended:
        run_cli(["history", "--json", "--limit", "many"], capsys)
    assert ended.value.code == 2
    out, err = capsys.readouterr()
    assert err == ""
    assert json.loads(out) == {
        "error": {
            "code": "USAGE",
            "message": "termwallet history: argument --limit: invalid int value: 'many'",
        }
    }
    rc, out, err = run_cli(["ticket", "show", "TW-NOPE", "--json"], capsys)
    assert rc == 2 and err == ""
    assert "No ticket 'TW-NOPE'" in json.loads(out)["error"]["message"]
    # A ticket the scrubber refuses: the refusal as the error object, the phrase nowhere.
    phrase = "legal winner thank year wave sausage worth useful legal winner thank yellow"
    new = ["ticket", "new", "--category", "other", "--subject", "x", "--description-file", "-"]
    rc, out, err = run_cli([*new, "--yes", "--json"], capsys, f"my words {phrase}")
    refusal = json.loads(out)["error"]
    assert rc == 2 and err == "" and refusal["code"] == "SECRET_IN_TICKET"
    assert "recovery phrase" in refusal["message"] and "sausage" not in out
    # Without --json: the one `termwallet:` line, as before.
    rc, out, err = run_cli(["ticket", "show", "TW-NOPE"], capsys)
    assert rc == 2 and out == "" and err.startswith("termwallet: No ticket")


@pytest.mark.parametrize("limit", ["-1", "0"])
def test_a_limit_below_one_is_refused(limit: str, capsys) -> None:
    rc, out, err = run_cli(["history", "--limit", limit], capsys)
    assert rc == 2 and out == ""
    assert err == f"termwallet: --limit {limit} is not a number of rows: give 1 or more.\n"


def test_dates_that_do_not_exist_or_run_backwards_are_refused(capsys) -> None:
    rc, _, err = run_cli(["history", "--since", "2026-13-45"], capsys)
    assert rc == 2
    assert err == (
        "termwallet: --since 2026-13-45 is not a date: write it as YYYY-MM-DD, e.g. 2026-01-31.\n"
    )
    rc, _, err = run_cli(["history", "--until", "2026-02-30"], capsys)
    assert rc == 2 and "--until 2026-02-30 is not a date" in err
    rc, _, err = run_cli(["history", "--since", "2026-02-01", "--until", "2026-01-01"], capsys)
    assert rc == 2 and "is after --until 2026-01-01" in err


def test_lang_zh_cn_translates_the_errors(capsys) -> None:
    cases = [
        (["--lang", "zh-CN", "history", "--limit", "-1"], "不是有效的行数"),
        (["--lang", "zh-CN", "history", "--since", "2026-13-45"], "不是有效日期"),
        (["history", "--network", "nope", "--lang", "zh-CN"], "未知网络 'nope'"),
        (["--lang", "zh-CN", "totp", "disable"], "没有密钥库"),
        (["--lang", "zh-CN", "wallets", "use"], "需要 WALLET"),
        (["--lang", "zh-CN", "address", "eth", "--account", "-1"], "必须为 0 或更大"),
        (["--lang", "zh-CN", "send", "btc", "x", "1", "--asset", "USDC"], "只有一种资产"),
    ]
    for argv, chinese in cases:
        rc, _, err = run_cli(argv, capsys)
        assert rc == 2 and chinese in err, (argv, err)
    with pytest.raises(SystemExit):
        run_cli(["--lang", "zh-CN", "history", "--limit", "many"], capsys)
    err = capsys.readouterr().err
    assert "termwallet history：错误：参数 --limit：'many' 不是有效的 int 值" in err
