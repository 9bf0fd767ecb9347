"""`termwallet coins`, `send --coins` and `labels export|import` in-process (tui.cli.main) on
litecoind + ElectrumX: list coins with labels, freeze one (automatic selection leaves it),
spend chosen coins with max, and move labels through a BIP329 file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fixtures.cli import one_document
from tests.fixtures.litecoin import Regtest
from tests.fixtures.utxo_wallet import regtest_wallet_home as _home
from tui.cli import main

COIN = 10**8


def _coins(capsys: pytest.CaptureFixture[str]) -> dict[int, dict[str, object]]:
    assert main(["coins", "ltc-regtest:0", "--script", "p2wpkh", "--json"]) == 0
    (acct,) = json.loads(capsys.readouterr().out)
    return {int(c["value"]): c for c in acct["coins"]}


@pytest.mark.regtest
def test_coins_freeze_send_chosen_and_labels_from_the_cli(
    regtest: Regtest, termwallet_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pw, first = _home(termwallet_home, regtest.electrum_tcp)
    regtest.fund(first, 3 * COIN + 1)
    regtest.fund(first, COIN + 1)
    regtest.mine(1)
    regtest.wait_electrum_height(regtest.height())
    coins = _coins(capsys)
    big, small = coins[3 * COIN + 1], coins[COIN + 1]
    assert big["address"] == first and big["frozen"] is False and big["confirmations"] == 1

    # A BIP329 file from another wallet labels the big coin and freezes it.
    labels = termwallet_home / "in.jsonl"
    records = [
        {"type": "output", "ref": big["outpoint"], "label": "cold\x1b[2J", "spendable": False},
        {"type": "addr", "ref": first, "label": "first address"},
    ]
    labels.write_text("".join(json.dumps(r) + "\n" for r in records), "utf-8")
    assert main(["labels", "import", str(labels)]) == 0
    assert "2 labels read" in capsys.readouterr().out
    coins = _coins(capsys)
    assert coins[3 * COIN + 1]["frozen"] is True
    assert coins[3 * COIN + 1]["label"] == "cold\ufffd[2J"  # the escape never reaches a terminal
    assert coins[COIN + 1]["label"] == "first address"  # the address label, as a fallback
    assert main(["coins", "ltc-regtest"]) == 0
    table = capsys.readouterr().out
    assert "[frozen]" in table and "\x1b" not in table

    to = str(regtest.rpc("getnewaddress", "", "bech32"))
    # 2 LTC: only the frozen coin could pay it (with the others) - refused, nothing sent.
    spendable = sum(v for v, c in _coins(capsys).items() if not c["frozen"])
    whole, frac = divmod(spendable + COIN, COIN)
    too_much = f"{whole}.{frac:08d}"
    code = main(["send", "ltc-regtest", to, too_much, "--dry-run"])
    cap = capsys.readouterr()
    assert code == 2 and "not enough" in cap.err and "Nothing was sent" in cap.err
    assert "3.00000001 rLTC more is in frozen coins" in cap.err

    # Naming the frozen coin: one termwallet line, nothing sent.
    code = main(["send", "ltc-regtest", to, "max", "--coins", str(big["outpoint"]), "--dry-run"])
    cap = capsys.readouterr()
    assert code == 2 and cap.err.startswith("termwallet:") and "frozen" in cap.err

    # A dry run names the coins it would spend.
    code = main(["send", "ltc-regtest", to, "0.1", "--coins", str(small["outpoint"]),
                 "--dry-run", "--json"])  # fmt: skip
    cap = capsys.readouterr()
    assert code == 0 and json.loads(cap.out)["coins"] == [small["outpoint"]]

    # Send max from the small coin alone.
    code = main(
        ["send", "ltc-regtest", to, "max", "--coins", str(small["outpoint"]), "--yes",
         "--password-file", str(pw), "--no-wait", "--json"]
    )  # fmt: skip
    cap = capsys.readouterr()
    assert code == 0, cap.err
    review, result = one_document(cap.out)
    assert review["coins"] == [small["outpoint"]]
    txid = str(result["txid"])
    raw = regtest.rpc("getrawtransaction", txid, True, wallet=None)
    assert [f"{i['txid']}:{i['vout']}" for i in raw["vin"]] == [small["outpoint"]]
    assert len(raw["vout"]) == 1  # no change

    # Unfreeze from the CLI; export carries the label and the state.
    assert main(["coins", "--unfreeze", str(big["outpoint"])]) == 0
    capsys.readouterr()
    out = termwallet_home / "out.jsonl"
    assert main(["labels", "export", str(out)]) == 0
    assert "labels written" in capsys.readouterr().err
    assert out.stat().st_mode & 0o077 == 0  # only the user may read it
    recs = [json.loads(x) for x in out.read_text("utf-8").splitlines()]
    assert {"type": "output", "ref": big["outpoint"], "label": "cold\ufffd[2J",
            "spendable": True} in recs  # fmt: skip
    assert {"type": "addr", "ref": first, "label": "first address"} in recs
    assert main(["labels", "export", "--format", "electrum", "-"]) == 0
    assert json.loads(capsys.readouterr().out)[first] == "first address"


def test_bad_coins_arguments_are_one_line_errors(
    termwallet_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["coins", "--freeze", "nonsense"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("termwallet:") and "TXID:VOUT" in err and len(err.splitlines()) == 1
    assert main(["send", "eth", "0x" + "11" * 20, "1", "--coins", "ab" * 32 + ":0"]) == 2
    assert "--coins is for btc and ltc" in capsys.readouterr().err
    missing = termwallet_home / "none.jsonl"
    assert main(["labels", "import", str(missing)]) == 2
    assert capsys.readouterr().err.startswith("termwallet:")
