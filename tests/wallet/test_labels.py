"""BIP329 labels: the BIP's own test vector imports, export and import round-trip, frozen
coins travel as `spendable: false`, transaction labels reach History, and imported text is
cleaned of terminal controls and guarded in CSV."""

from __future__ import annotations

import io
import json
from pathlib import Path

from wallet.coin_control import CoinControl
from wallet.history.export import write_csv
from wallet.history.store import HistoryStore
from wallet.labels import MAX_LABEL, LabelBook
from wallet.store import Store

# The "Test Vectors" fragment of BIP329, unchanged (source: tests/wallet/data/README.md).
EXAMPLE = Path(__file__).parent / "data" / "bip329_example.jsonl"
TX1 = "f91d0a8a78462bc59398f2c5d7a84fcff491c26ba54c4833478b202796c8aafd"
TX2 = "f546156d9044844e02b181026a1a407abfca62e7ea1159f87bbeaa77b4286c74"


def _book(tmp_path: Path, name: str = "w.sqlite3") -> tuple[Store, LabelBook]:
    store = Store(tmp_path / name)
    return store, LabelBook(store)


def test_the_bips_example_file_imports_every_record(tmp_path: Path) -> None:
    store, book = _book(tmp_path)
    with EXAMPLE.open(encoding="utf-8") as f:
        report = book.import_jsonl(f)
    assert (report.imported, report.skipped, report.frozen) == (7, 0, 1)
    assert book.get("tx", TX1) == "Transaction"
    assert book.get("addr", "bc1q34aq5drpuwy3wgl9lhup9892qp6svr8ldzyy7c") == "Address"
    assert book.get("pubkey", "0283409659355b6d1cc3c32decd5d561abaac86c37a353b52895a5e6c196d6f448")
    assert book.get("input", TX1 + ":0") == "Input"
    assert book.get("output", TX1 + ":1") == "Output"
    xpub = (
        "xpub661MyMwAqRbcFtXgS5sYJABqqG9YLmC4Q1Rdap9gSE8NqtwybGhePY2gZ29ESF"
        "jqJoCu1Rupje8YtGqsefD265TMg7usUDFdp6W1EGMcet8"
    )
    assert book.get("xpub", xpub) == "Extended Public Key"
    assert CoinControl(store).is_frozen(TX1 + ":1")  # "spendable": false
    # The output's own label comes before its address's and its transaction's.
    assert book.coin_label(TX1 + ":1", "bc1q34aq5drpuwy3wgl9lhup9892qp6svr8ldzyy7c") == "Output"
    assert book.coin_label(TX1 + ":5", "bc1q34aq5drpuwy3wgl9lhup9892qp6svr8ldzyy7c") == "Address"
    assert book.coin_label(TX1 + ":5", "") == "Transaction"


def test_export_then_import_gives_the_same_records(tmp_path: Path) -> None:
    store, book = _book(tmp_path)
    with EXAMPLE.open(encoding="utf-8") as f:
        book.import_jsonl(f)
    CoinControl(store).set_frozen(["ab" * 32 + ":3"], True)  # frozen, no label
    out = io.StringIO()
    n = book.export_jsonl(out)
    first = [json.loads(line) for line in out.getvalue().splitlines()]
    assert n == len(first) == 8
    originals = [json.loads(line) for line in EXAMPLE.read_text().splitlines()]
    for rec in originals:
        assert rec in first  # every field, origin and spendable included
    assert {"type": "output", "ref": "ab" * 32 + ":3", "label": "", "spendable": False} in first

    store2, book2 = _book(tmp_path, "other.sqlite3")
    book2.import_jsonl(io.StringIO(out.getvalue()))
    again = io.StringIO()
    book2.export_jsonl(again)
    assert sorted(map(json.dumps, first)) == sorted(
        map(json.dumps, (json.loads(x) for x in again.getvalue().splitlines()))
    )
    assert CoinControl(store2).frozen() == {TX1 + ":1", "ab" * 32 + ":3"}


def test_spendable_true_unfreezes_and_a_missing_label_is_left_alone(tmp_path: Path) -> None:
    store, book = _book(tmp_path)
    with EXAMPLE.open(encoding="utf-8") as f:
        book.import_jsonl(f)
    report = book.import_jsonl(io.StringIO(json.dumps(
        {"type": "output", "ref": TX1 + ":1", "spendable": True}) + "\n"))  # fmt: skip
    assert report.unfrozen == 1
    assert not CoinControl(store).is_frozen(TX1 + ":1")
    assert book.get("output", TX1 + ":1") == "Output"  # the BIP: an absent label stays


def test_lines_that_are_not_records_are_skipped_not_fatal(tmp_path: Path) -> None:
    _, book = _book(tmp_path)
    text = "\n".join([
        "not json",
        json.dumps(["a", "list"]),
        json.dumps({"type": "note", "ref": "x", "label": "unknown type"}),
        json.dumps({"type": "tx", "ref": "nothex", "label": "bad ref"}),
        json.dumps({"type": "tx", "ref": TX1, "label": 5}),
        json.dumps({"type": "output", "ref": TX1 + ":1", "spendable": "false"}),  # a string
        "x" * 20_000,
        json.dumps({"type": "tx", "ref": TX1.upper(), "label": "kept", "height": 5}),
    ])  # fmt: skip
    report = book.import_jsonl(io.StringIO(text + "\n"))
    assert (report.imported, report.skipped) == (1, 7)
    assert book.get("tx", TX1) == "kept"  # txids are stored lower case


def test_imported_labels_are_cleaned_for_terminal_and_csv(tmp_path: Path) -> None:
    store, book = _book(tmp_path)
    hostile = '=HYPERLINK("http://x")\x1b]0;owned\x07\u202e[red]x[/red]\r' + "y" * 400
    # The transaction is in History, so the label is written there too.
    store.db.execute(
        "INSERT INTO history(network, account, tx_hash, kind, status, direction, asset, "
        "amount, ts) VALUES('ltc-regtest', 'ltc1qacc', ?, 'transfer', 'confirmed', 'in', "
        "'ltc-regtest:native', '5', 1700000000)",
        (TX1,),
    )
    store.db.commit()
    book.import_jsonl(io.StringIO(json.dumps({"type": "tx", "ref": TX1, "label": hostile})))
    label = book.get("tx", TX1)
    assert len(label) == MAX_LABEL
    assert not any(c in label for c in "\x1b\x07\r\u202e")
    history = HistoryStore(store)
    rows = list(history.iter_rows())
    assert rows[0].label == label[:64]
    csv_text = io.StringIO()
    write_csv(history, csv_text)
    cell = csv_text.getvalue().splitlines()[1]
    assert "'=HYPERLINK" in cell  # guarded as text, not a formula


def test_a_history_edit_wins_on_export(tmp_path: Path) -> None:
    store, book = _book(tmp_path)
    book.set("tx", TX1, "from Sparrow")
    HistoryStore(store).set_label("ltc", TX1, "renamed here")  # as the History screen does
    store.db.execute(
        "INSERT INTO history_notes(network, tx_hash, label, updated_at) "
        "VALUES('eth', '0x' || ?, 'an EVM label', '2026-01-01')",
        (TX1,),
    )
    store.db.commit()
    out = io.StringIO()
    book.export_jsonl(out)
    recs = [json.loads(x) for x in out.getvalue().splitlines()]
    assert recs == [{"type": "tx", "ref": TX1, "label": "renamed here"}]


def test_electrums_own_label_file_imports_and_exports(tmp_path: Path) -> None:
    """Electrum's Wallet.import_labels/export_labels file: one JSON object, txid or address
    to label (electrum/wallet.py, read_json_file / write_json_file of get_all_labels())."""
    _, book = _book(tmp_path)
    electrum = {
        TX1: "rent",
        "bc1q34aq5drpuwy3wgl9lhup9892qp6svr8ldzyy7c": "landlord",
        "not an address": "skipped",
        "1BoatSLRHtKNngkdXEeobR76b53LETtpyT": 7,
    }
    report = book.import_text(json.dumps(electrum, indent=4))
    assert (report.imported, report.skipped) == (2, 2)
    assert book.get("tx", TX1) == "rent"
    assert book.get("addr", "bc1q34aq5drpuwy3wgl9lhup9892qp6svr8ldzyy7c") == "landlord"
    with EXAMPLE.open(encoding="utf-8") as f:
        book.import_jsonl(f)
    # Back out in Electrum's form: only transactions and addresses, which is what it keeps.
    assert book.electrum_labels() == {
        TX1: "Transaction",
        TX2: "Account #1 Transaction",
        "bc1q34aq5drpuwy3wgl9lhup9892qp6svr8ldzyy7c": "Address",
    }
    # A one-line BIP329 file is not mistaken for Electrum's.
    one = json.dumps({"type": "tx", "ref": TX1, "label": "one line"})
    assert book.import_text(one).imported == 1 and book.get("tx", TX1) == "one line"
