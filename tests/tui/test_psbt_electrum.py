"""PSBT round trips with a real peer, Electrum 4.3 (Debian package `electrum`), both ways:

- termwallet exports an unsigned PSBT from a watch-only xpub account; Electrum, holding the
  account's private key, signs (and finalizes) it offline; termwallet checks it against the
  node, finalizes and broadcasts it, and the node mines it.
- Electrum creates an unsigned PSBT (its own coin selection of one coin, its change, its
  BIP32 derivation records); termwallet reviews and signs it with its keystore, and broadcasts.

What is and is not exercised: Electrum 4.3 has no Litecoin, and this project's regtest node is
Litecoin Core (Debian has no bitcoind). Electrum runs with its Bitcoin regtest constants and is
handed scripts and previous transactions, never addresses: P2WPKH scripts, BIP143 sighashes,
BIP32 derivation and BIP174 serialization are identical on both coins, so Electrum's PSBT
parser, signer, combiner and finalizer all run for real, and litecoind's consensus checks
judge the result. Electrum's address display and its network/synchronizer are not exercised.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.fixtures.litecoin import Regtest
from tests.fixtures.utxo_wallet import regtest_wallet_home as _home
from tests.tui.test_utxo_cli import COIN
from tui.cli import main

PEER = Path(__file__).resolve().parents[1] / "fixtures" / "electrum_peer.py"
SYSTEM_PYTHON = "/usr/bin/python3"
# BIP39 test vectors no other regtest test uses.
OWN_PHRASE = "cat swing flag economy stadium alone churn speed unique patch report train"
WATCHED_PHRASE = "vessel ladder alter error federal sibling chat ability sun glass valve picture"
ACCOUNT = "m/84h/1h/0h"  # BIP84, coin type 1: the testnet/regtest accounts


def _electrum_missing() -> str | None:
    if shutil.which("electrum") is None or not Path(SYSTEM_PYTHON).exists():
        return "Electrum is not installed (Debian package `electrum`)"
    probe = subprocess.run(
        [SYSTEM_PYTHON, "-c", "import electrum.version as v; print(v.ELECTRUM_VERSION)"],
        capture_output=True,
        text=True,
    )
    if probe.returncode != 0:
        return f"Electrum's modules do not import with {SYSTEM_PYTHON}: {probe.stderr[-300:]}"
    return None


_MISSING = _electrum_missing()  # once: it starts Debian's python to import Electrum
pytestmark = [pytest.mark.regtest, pytest.mark.skipif(_MISSING is not None, reason=str(_MISSING))]


def electrum(request: dict[str, object]) -> dict[str, object]:
    out = subprocess.run(
        [SYSTEM_PYTHON, str(PEER)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return dict(json.loads(out.stdout))


def _account_keys(phrase: str) -> tuple[str, str]:
    """The BIP84 testnet account's vprv and vpub (SLIP-132, as Electrum writes them)."""
    from embit.bip32 import HDKey
    from embit.bip39 import mnemonic_to_seed

    account = HDKey.from_seed(mnemonic_to_seed(phrase)).derive(ACCOUNT)
    vprv = account.to_base58(version=bytes.fromhex("045f18bc"))
    vpub = account.to_public().to_base58(version=bytes.fromhex("045f1cf6"))
    return vprv, vpub


def _vout(regtest: Regtest, txid: str, address: str) -> tuple[str, int]:
    raw = regtest.rpc("getrawtransaction", txid, True, wallet=None)
    for o in raw["vout"]:
        spk = o["scriptPubKey"]
        if address in spk.get("addresses", [spk.get("address")]):
            return raw["hex"], int(o["n"])
    raise AssertionError("funding output not found")


def _mined(regtest: Regtest, out: str) -> str:
    txid = out.strip().splitlines()[-1].split()[1]
    assert txid in regtest.rpc("getrawmempool", wallet=None)
    regtest.mine(1)
    assert regtest.rpc("getrawtransaction", txid, True, wallet=None)["confirmations"] == 1
    return txid


def test_electrum_signs_what_a_watch_only_account_exported(
    regtest: Regtest, termwallet_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _home(termwallet_home, regtest.electrum_tcp, OWN_PHRASE)
    vprv, vpub = _account_keys(WATCHED_PHRASE)
    assert main(["watch", "add", "ltc-regtest", vpub, "--json"]) == 0
    watched = json.loads(capsys.readouterr().out)
    assert watched["watch_only"] is True
    regtest.fund(watched["address"], COIN)
    regtest.mine(1)
    regtest.wait_electrum_height(regtest.height(), funded=watched["address"])

    to = str(regtest.rpc("getnewaddress", "", "bech32"))
    unsigned = termwallet_home / "watched.psbt"
    code = main(["psbt", "create", "ltc-regtest", to, "0.3", "--account-id",
                 str(watched["id"]), "--out", str(unsigned)])  # fmt: skip
    cap = capsys.readouterr()
    assert code == 0, cap.err  # no password asked: a watch-only account has no keys here
    assert "change back to you" in cap.out

    answer = electrum({"op": "sign", "key": vprv,
                       "psbt": base64.b64encode(unsigned.read_bytes()).decode()})  # fmt: skip
    assert answer["complete"] is True
    signed = termwallet_home / "watched-signed.psbt"
    signed.write_text(str(answer["psbt"]), "ascii")  # base64, as Electrum's "copy" gives it

    code = main(["psbt", "broadcast", "ltc-regtest", str(signed), "--account-id",
                 str(watched["id"]), "--yes", "--no-wait"])  # fmt: skip
    cap = capsys.readouterr()
    assert code == 0, cap.err
    assert "Signed: complete" in cap.out
    txid = _mined(regtest, cap.out)
    decoded = regtest.rpc("getrawtransaction", txid, True, wallet=None)
    assert any(o["value"] == pytest.approx(0.3) for o in decoded["vout"])


def test_termwallet_signs_what_electrum_created(
    regtest: Regtest, termwallet_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pw, first = _home(termwallet_home, regtest.electrum_tcp, OWN_PHRASE)
    funding = regtest.fund(first, COIN)
    regtest.mine(1)
    regtest.wait_electrum_height(regtest.height(), funded=first)
    prev_hex, vout = _vout(regtest, funding, first)
    to = str(regtest.rpc("getnewaddress", "", "bech32"))
    dest = regtest.rpc("getaddressinfo", to)["scriptPubKey"]

    made = electrum({"op": "create", "key": {"mnemonic": OWN_PHRASE, "derivation": ACCOUNT},
                     "prev_tx": prev_hex, "vout": vout, "dest_script": dest,
                     "amount": 25_000_000, "fee": 1_000})  # fmt: skip
    unsigned = termwallet_home / "from-electrum.psbt"
    unsigned.write_bytes(base64.b64decode(str(made["psbt"])))  # binary, as Electrum exports
    signed = termwallet_home / "from-electrum-signed.psbt"
    code = main(["psbt", "sign", "ltc-regtest", str(unsigned), "--out", str(signed), "--yes",
                 "--password-file", str(pw)])  # fmt: skip
    cap = capsys.readouterr()
    assert code == 0, cap.err
    # Electrum's change goes to its first change address: the same seed's, so ours.
    assert "change back to you" in cap.out and "pays out" in cap.out
    assert "0.00001 rLTC (" in cap.out  # the fee Electrum chose, shown before signing

    code = main(["psbt", "broadcast", "ltc-regtest", str(signed), "--yes", "--no-wait"])
    cap = capsys.readouterr()
    assert code == 0, cap.err
    _mined(regtest, cap.out)
