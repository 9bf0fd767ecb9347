"""`termwallet psbt create|sign|import|broadcast` in-process (tui.cli.main) on litecoind +
ElectrumX: an unsigned export, signing it (base64 out), combining and finalizing, a broadcast
that confirms, and PSBTs that lie about their inputs refused before anything is signed."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from tests.fixtures.litecoin import Regtest
from tests.fixtures.utxo_wallet import regtest_wallet_home as _home
from tests.tui.test_utxo_cli import COIN
from tui.cli import main
from wallet.psbt_files import MAGIC

# BIP39 test vector no other regtest test uses: its coins stay its own (the chain is shared).
PHRASE = "jelly better achieve collect unaware mountain thought cargo oxygen act hood bridge"


def _mempool(regtest: Regtest) -> list[str]:
    return list(regtest.rpc("getrawmempool", wallet=None))


@pytest.mark.regtest
def test_export_sign_finalize_broadcast(
    regtest: Regtest, termwallet_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pw, first = _home(termwallet_home, regtest.electrum_tcp, PHRASE)
    regtest.fund(first, 2 * COIN)
    regtest.mine(1)
    regtest.wait_electrum_height(regtest.height(), funded=first)
    to = str(regtest.rpc("getnewaddress", "", "bech32"))
    unsigned, signed = termwallet_home / "pay.psbt", termwallet_home / "pay-signed.psbt"

    code = main(["psbt", "create", "ltc-regtest", to, "0.5", "--fee-rate", "3", "--out",
                 str(unsigned), "--password-file", str(pw)])  # fmt: skip
    cap = capsys.readouterr()
    assert code == 0, cap.err
    assert unsigned.read_bytes().startswith(MAGIC)  # binary by default
    assert to in cap.out and "pays out" in cap.out and "change back to you" in cap.out
    assert "3.0 sat/vB" in cap.out and "Signed: 0 of 1 inputs." in cap.out
    assert _mempool(regtest) == []  # nothing signed, nothing sent

    # The node agrees with what the PSBT shows (decodepsbt reads it independently).
    b64 = base64.b64encode(unsigned.read_bytes()).decode()
    dec = regtest.rpc("decodepsbt", b64, wallet=None)
    assert dec["fee"] == pytest.approx(float(_fee_of(cap.out)))
    spks = [o["scriptPubKey"] for o in dec["tx"]["vout"]]
    # Litecoin Core 0.21 lists "addresses"; newer cores say "address".
    assert to in {a for s in spks for a in s.get("addresses", [s.get("address")])}

    code = main(["psbt", "sign", "ltc-regtest", str(unsigned), "--out", str(signed),
                 "--format", "base64", "--yes", "--password-file", str(pw), "--json"])  # fmt: skip
    cap = capsys.readouterr()
    assert code == 0, cap.err
    assert "signed input(s): 0" in cap.err
    assert signed.read_bytes().startswith(b"cHNidP")  # base64 as asked
    review = json.loads(cap.out)
    assert review["complete"] is False and review["inputs"][0]["ours"] is True

    # import: combine the unsigned and the signed copies, finalize to a raw tx the node accepts.
    tx_hex = termwallet_home / "pay.tx"
    code = main(["psbt", "import", "ltc-regtest", str(unsigned), str(signed), "--tx",
                 str(tx_hex)])  # fmt: skip
    cap = capsys.readouterr()
    assert code == 0, cap.err and "ready to broadcast" in cap.out
    accept = regtest.rpc("testmempoolaccept", [tx_hex.read_text().strip()], wallet=None)
    assert accept[0]["allowed"] is True, accept

    code = main(["psbt", "broadcast", "ltc-regtest", str(signed), "--yes", "--no-wait"])
    cap = capsys.readouterr()
    assert code == 0, cap.err
    txid = cap.out.strip().splitlines()[-1].split()[1]
    assert txid in _mempool(regtest) and txid == accept[0]["txid"]
    regtest.mine(1)
    assert regtest.rpc("gettransaction", txid)["confirmations"] == 1

    # Its coin is spent now: the same PSBT again is out of date, and says so.
    regtest.wait_electrum_height(regtest.height())
    assert main(["psbt", "broadcast", "ltc-regtest", str(signed), "--yes", "--no-wait"]) == 2
    assert "no longer lists as unspent" in capsys.readouterr().err


def _fee_of(out: str) -> str:
    line = next(x for x in out.splitlines() if x.startswith("Network fee:"))
    return line.split()[2]


@pytest.mark.regtest
def test_a_psbt_that_lies_about_an_input_amount_is_refused(
    regtest: Regtest, termwallet_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The segwit fee attack: the PSBT claims its input holds less than it does, so the fee
    looks small. The node's copy of the previous transaction disagrees: refused, unsigned."""
    from embit.psbt import PSBT

    pw, first = _home(termwallet_home, regtest.electrum_tcp, PHRASE)
    regtest.fund(first, COIN)
    regtest.mine(1)
    regtest.wait_electrum_height(regtest.height(), funded=first)
    to = str(regtest.rpc("getnewaddress", "", "bech32"))
    path = termwallet_home / "p.psbt"
    assert main(["psbt", "create", "ltc-regtest", to, "0.2", "--out", str(path),
                 "--password-file", str(pw)]) == 0  # fmt: skip
    capsys.readouterr()
    psbt = PSBT.parse(path.read_bytes())
    psbt.inputs[0].witness_utxo.value -= 10_000_000
    psbt.inputs[0].non_witness_utxo = None  # else its txid check catches it first
    path.write_bytes(psbt.serialize())
    out = termwallet_home / "s.psbt"
    assert main(["psbt", "sign", "ltc-regtest", str(path), "--out", str(out), "--yes",
                 "--password-file", str(pw)]) == 2  # fmt: skip
    err = capsys.readouterr().err
    assert "the node says" in err and "hide" in err
    assert not out.exists()

    # An input the node has never seen: its amount cannot be checked, so nothing is signed.
    psbt = PSBT.parse(path.read_bytes())
    psbt.inputs[0].txid = bytes(range(32))
    path.write_bytes(psbt.serialize())
    assert main(["psbt", "sign", "ltc-regtest", str(path), "--out", str(out), "--yes",
                 "--password-file", str(pw)]) == 2  # fmt: skip
    assert "does not know the transaction it spends" in capsys.readouterr().err
    assert not out.exists()


def test_not_a_psbt_is_one_clear_line(
    termwallet_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _home(termwallet_home, "tcp://127.0.0.1:9")
    junk = termwallet_home / "x.psbt"
    junk.write_text("hello", "utf-8")
    assert main(["psbt", "import", "ltc-regtest", str(junk)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("termwallet: ") and "not a PSBT" in err and len(err.splitlines()) == 1
