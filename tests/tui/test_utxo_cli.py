"""`termwallet balance` and `termwallet send ltc-regtest ...` in-process (tui.cli.main) on
litecoind + ElectrumX: balances with the Litecoin accounts, a dry run that signs nothing, a send
that confirms on the node, the history rows it leaves, and clear refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fixtures.litecoin import Regtest
from tests.fixtures.utxo_wallet import PASSWORD
from tests.fixtures.utxo_wallet import regtest_wallet_home as _home
from tui.cli import main
from wallet.paths import Paths

COIN = 10**8


def _utxo(out: str) -> dict[str, dict[str, object]]:
    return {r["script"]: r for r in json.loads(out)["utxo"]}


@pytest.mark.regtest
def test_balance_send_and_history_from_the_cli(
    regtest: Regtest, termwallet_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from wallet.keys import generate_mnemonic

    phrase = generate_mnemonic(12)
    pw, first = _home(termwallet_home, regtest.electrum_tcp, phrase)
    funding = regtest.fund(first, 2 * COIN)
    regtest.mine(1)
    # Until ElectrumX's per-address caches show the funding too (not only its tip).
    regtest.wait_electrum_height(regtest.height(), funded=first, txid=funding)

    # The EVM node is down: exit 3 (stale), and the Litecoin figures are current.
    assert main(["balance", "--json"]) == 3
    rows = _utxo(capsys.readouterr().out)
    assert rows["p2wpkh"]["amount"] == str(2 * COIN) and rows["p2wpkh"]["stale"] is False
    assert rows["p2tr"]["amount"] == "0" and rows["p2wpkh"]["tip"] == regtest.height()

    to = str(regtest.rpc("getnewaddress", "", "bech32"))
    # A dry run needs no password and signs nothing.
    assert main(["send", "ltc-regtest", to, "0.5", "--dry-run", "--json", "--fee", "fast"]) == 0
    cap = capsys.readouterr()
    review = json.loads(cap.out)
    assert review["amount"] == str(COIN // 2) and review["to"] == to
    assert review["fee_tier"] == "fast" and review["fee_rate_sat_vb"] >= 1
    assert int(review["total"]) == COIN // 2 + int(review["fee"]) and review["fiat"] is None
    assert "nothing was signed" in cap.err
    assert len(regtest.rpc("getrawmempool", wallet=None)) == 0

    code = main(
        ["send", "ltc-regtest", to, "0.5", "--yes", "--password-file", str(pw), "--no-wait"]
    )
    cap = capsys.readouterr()
    assert code == 0, cap.err
    assert "Network fee:" in cap.out and "sat/vB" in cap.out and "Total:" in cap.out
    txid = cap.out.strip().splitlines()[-1].split()[1]
    assert txid in regtest.rpc("getrawmempool", wallet=None)
    assert PASSWORD not in cap.out + cap.err and phrase not in cap.out + cap.err
    regtest.mine(1)
    regtest.wait_electrum_height(regtest.height(), funded=to, txid=txid)
    got = regtest.rpc("gettransaction", txid)
    assert got["confirmations"] == 1 and got["amount"] == pytest.approx(0.5)

    assert main(["balance"]) == 3
    cap = capsys.readouterr()
    assert "ltc-regtest" in cap.out and "p2wpkh #0" in cap.out
    assert main(["balance", "--json"]) == 3
    rows = _utxo(capsys.readouterr().out)
    fee = int(rows["p2wpkh"]["amount"])  # what is left tells the fee the node charged
    assert 0 < 2 * COIN - COIN // 2 - fee < 10_000  # a fee of a few hundred sat, not more

    # `balance` wrote the transactions into history: the CLI lists them.
    assert main(["history", "--json"]) == 0
    hist = {r["tx_hash"]: r for r in json.loads(capsys.readouterr().out)}
    assert hist[txid]["direction"] == "out" and hist[txid]["counterparty"] == to
    assert hist[txid]["status"] == "confirmed"


def test_refusals_are_clear_without_a_node(
    termwallet_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """btc-regtest has no built-in server and none is configured; ltc-regtest's is down."""
    _, first = _home(termwallet_home, "tcp://127.0.0.1:9")
    valid = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"  # BIP173 vector
    assert main(["send", "btc-regtest", valid, "0.1", "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert "no server is configured for Bitcoin Regtest" in err and "electrum_servers" in err
    # The address is checked before anything is asked of the server.
    typo = first[:-1] + ("q" if first[-1] != "q" else "p")
    assert main(["send", "ltc-regtest", typo, "0.1", "--dry-run"]) == 2
    assert "checksum is wrong" in capsys.readouterr().err
    assert main(["send", "ltc-regtest", first.upper()[:8] + first[8:], "0.1", "--dry-run"]) == 2
    assert "mixes upper and lower case" in capsys.readouterr().err
    # Version 1 with a 20-byte program: valid bech32m, not taproot, anyone can spend it today.
    from bip_utils import SegwitBech32Encoder

    v1_20 = SegwitBech32Encoder.Encode("rltc", 1, bytes(range(20)))
    assert main(["send", "ltc-regtest", v1_20, "0.1", "--dry-run"]) == 2
    assert "anyone could take" in capsys.readouterr().err
    assert main(["send", "ltc-regtest", first, "0.1", "--dry-run"]) == 2
    assert "Cannot reach node tcp://127.0.0.1:9" in capsys.readouterr().err
    assert main(["send", "ltc-regtest", "x", "1", "--asset", "USDC"]) == 2
    assert "leave out --asset" in capsys.readouterr().err
    assert main(["send", "ltc-regtest", "x", "1", "--account", "5", "--dry-run"]) == 2
    assert "no p2wpkh account 5 for ltc-regtest" in capsys.readouterr().err
    # balance: the Litecoin rows are stale with the reason, and no figure is made up.
    assert main(["balance", "--json"]) == 3
    out = capsys.readouterr()
    rows = _utxo(out.out)
    assert rows["p2wpkh"]["stale"] is True and rows["p2wpkh"]["amount"] is None
    assert "127.0.0.1:9" in str(rows["p2wpkh"]["stale_reason"])


@pytest.mark.regtest
def test_a_device_wallet_sends_litecoin_signed_on_its_device(
    regtest: Regtest,
    termwallet_home: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A hardware-only wallet's PSBT send on litecoind regtest, from review to confirmation,
    with no keystore and no password. The device is the stand-in of
    tests/wallet/test_device_wallet.py (the software signer listed as a Trezor, on a random
    phrase): the Trezor One cannot sign for Litecoin regtest (its coin list has no such
    network) and speculos' Bitcoin app has no Litecoin; the real devices' PSBT signing is
    covered by their recordings (tests/devices)."""
    from devices import registry
    from tests.wallet.test_device_wallet import Registry, StandIn
    from wallet.device_wallet import read_device_keys, store_device_wallet
    from wallet.keys import ScriptKind, generate_mnemonic
    from wallet.store import Store

    paths = Paths.default().ensure()
    device = StandIn(generate_mnemonic(12))
    store = Store(paths.database)
    wallet, accounts = store_device_wallet(store, read_device_keys(device))
    store.close()
    first = next(
        a.address for a in accounts if a.family == "ltc-testnet" and a.script is ScriptKind.P2WPKH
    )
    assert first.startswith("tltc1")  # the testnet form; regtest shares its keys
    stand_in = Registry([device])
    monkeypatch.setattr(registry, "discover", stand_in.discover)
    monkeypatch.setattr(registry, "open_entry", stand_in.open_entry)
    paths.config_file.write_text(
        'network = "eth"\nrpc_urls = { eth = ["http://127.0.0.1:9"] }\n'
        'utxo_networks = ["ltc-regtest"]\n'
        f'[electrum_servers]\nltc-regtest = ["{regtest.electrum_tcp}"]\n',
        "utf-8",
    )
    assert main(["address", "ltc-regtest"]) == 0
    receive = capsys.readouterr().out.strip()
    funding = regtest.fund(receive, COIN)
    regtest.mine(1)
    regtest.wait_electrum_height(regtest.height(), funded=receive, txid=funding)

    to = str(regtest.rpc("getnewaddress", "", "bech32"))
    assert main(["send", "ltc-regtest", to, "0.25", "--yes", "--json", "--no-wait"]) == 0
    txid = json.loads(capsys.readouterr().out)["result"]["txid"]
    assert not (paths.data_dir / "keystore.json").exists()
    regtest.mine(1)
    got = regtest.rpc("gettransaction", txid)  # the node's wallet owns `to`: it sees the payment
    assert got["confirmations"] == 1 and got["amount"] == pytest.approx(0.25)
    assert wallet.fingerprint == device.fingerprint.hex()
