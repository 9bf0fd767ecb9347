"""`termwallet psbt sign` with the wallet's device: a hardware-only wallet (Trezor One
emulator, live) exports an unsigned PSBT, signs it on the device (DebugLink pressing yes where
the person would, after the CLI printed the checked review), and broadcasts it on Litecoin
regtest; it confirms.

The emulator is in no registry (see /work/shared/emulators.md), so this runs only where one is
started (marker `emulator`) and skips with that reason elsewhere. The seed is whatever the
emulator holds: the addresses come from the wallet's own `init --device` answers.

Trezor firmware knows no Litecoin regtest (the adapter refuses it by name: the device would
show addresses of another network). The chain under test is the regtest node's, reached as
"ltc-testnet" (a config mapping, test only): same scripts, same BIP143 sighash, the device
shows testnet (tltc1) addresses for the same scripts. What is real: the device's signature,
checked by litecoind's consensus rules when the transaction is mined.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.devices.test_trezor import debuglink  # noqa: F401  (fixture)
from tests.fixtures.cli import run_cli as run
from tests.fixtures.litecoin import Regtest
from tests.tui.test_device_wallet_cli import pressing  # noqa: F401  (fixture)

pytestmark = [pytest.mark.emulator, pytest.mark.regtest]
COIN = 10**8


def _rehrp(address: str, hrp: str) -> str:
    from embit import bech32

    ver, prog = bech32.decode(address.split("1")[0], address)
    return str(bech32.encode(hrp, ver, bytes(prog)))


def _regtest_address(address: str) -> str:
    return _rehrp(address, "rltc")


def _testnet_address(address: str) -> str:
    return _rehrp(address, "tltc")


def test_device_wallet_signs_an_exported_psbt(
    regtest: Regtest,
    termwallet_home: Path,
    pressing: list[Any],  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    from devices.base import PromptKind
    from wallet.paths import Paths

    paths = Paths.default().ensure()
    paths.config_file.write_text(
        'network = "eth"\nrpc_urls = { eth = ["http://127.0.0.1:9"] }\n'
        'utxo_networks = ["ltc-testnet"]\n'
        f'[electrum_servers]\nltc-testnet = ["{regtest.electrum_tcp}"]\n',
        "utf-8",
    )
    rc, out, err = run(["init", "--device", "trezor:udp", "--json"], capsys)
    assert rc == 0, err
    made = json.loads(out)
    assert made["wallet"]["kind"] == "device"
    rc, out, err = run(["address", "ltc-testnet", "--json"], capsys)
    assert rc == 0, err
    first = _regtest_address(json.loads(out)["address"])
    regtest.fund(first, COIN)
    regtest.mine(1)
    regtest.wait_electrum_height(regtest.height(), funded=first)

    to = _testnet_address(str(regtest.rpc("getnewaddress", "", "bech32")))
    unsigned, signed = termwallet_home / "d.psbt", termwallet_home / "d-signed.psbt"
    rc, out, err = run(["psbt", "create", "ltc-testnet", to, "0.2", "--out", str(unsigned)], capsys)
    assert rc == 0, err
    assert "pays out" in out and "Signed: 0 of 1 inputs." in out
    before = len(pressing)
    rc, out, err = run(
        ["psbt", "sign", "ltc-testnet", str(unsigned), "--out", str(signed), "--yes"], capsys
    )
    assert rc == 0, err
    assert "signed input(s): 0" in err
    asked = [p for p in pressing[before:] if p.kind is PromptKind.SIGN_PSBT]
    assert asked  # the device was asked to confirm, after the review was printed
    # What the device lists is what the review printed: the recipient and amount (change is
    # hidden), and a fee.
    shown = {(o.address, o.amount.value) for o in asked[-1].outputs}
    assert (to, 20_000_000) in shown and asked[-1].fee is not None and asked[-1].fee.value > 0

    rc, out, err = run(
        ["psbt", "broadcast", "ltc-testnet", str(signed), "--yes", "--no-wait"], capsys
    )
    assert rc == 0, err
    txid = out.strip().splitlines()[-1].split()[1]
    assert txid in regtest.rpc("getrawmempool", wallet=None)
    regtest.mine(1)
    assert regtest.rpc("getrawtransaction", txid, True, wallet=None)["confirmations"] == 1
