"""Recordings of what the app itself asks a Ledger (tests/tui/test_device_app.py replays them
through the real registry, TCP transport and adapter): connect (open, then the account check
at the wallet's path), then sign an EIP-1559 send, approved or rejected on the device; and
connect while the Bitcoin app is open.

Replay here checks each recording against the adapter directly; live (marker `emulator`)
records them from speculos (TERMWALLET_SPECULOS for the Ethereum app,
TERMWALLET_SPECULOS_BTC for the Bitcoin app, TERMWALLET_SPECULOS_SEED the `--seed` both were
started with; `TERMWALLET_RECORD=1` rewrites). The account is the address the device gave when
the recording was made (its meta), and the seed speculos held is there too.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from eth_account import Account

from devices.errors import UserCancelled, WrongApp
from devices.transcript import RecordingLedgerDevice, ReplayLedgerDevice, Transcript
from tests.devices.emulator_seed import (
    TRANSCRIPTS,
    recorded_meta,
    recorded_seed,
    speculos_seed,
    stamp,
)
from tests.devices.test_ledger import APPROVE_RULES, REJECT_RULES, SEED_SOURCE, _rules
from tests.devices.test_trezor import EIP1559_TX, ETH_PATH

ETH_DEVICE = "speculos 0.25.5, Nano X, Ethereum app 1.10.4-dev"
BTC_DEVICE = "speculos 0.25.5, Nano X, Bitcoin app 2.0.2 (legacy protocol)"
SEND = "ledger_eth_app_send.json"
SEND_REJECT = "ledger_eth_app_send_reject.json"
BTC_OPEN = "ledger_btc_app_connect.json"
# The account the app holds: what the device answered at m/44'/60'/0'/0/0 when recorded.
# (A recording without it fails every test that uses ME; it does not stop re-recording.)
ME = str(recorded_meta(SEND).get("account", "not recorded"))


def connect_and_sign(signer: Any, me: str = ME) -> bytes:
    """What the app does: check the account, then sign the reviewed send."""
    assert signer.get_address("eth", ETH_PATH) == me
    return bytes(signer.sign_evm_tx(ETH_PATH, EIP1559_TX).raw_transaction)


def _replay(name: str) -> tuple[Any, ReplayLedgerDevice]:
    from devices.ledger import LedgerSigner

    device = ReplayLedgerDevice(Transcript.load(TRANSCRIPTS / name))
    return LedgerSigner(device, None, path="tcp:127.0.0.1"), device


def test_send_recording_signs_for_the_account():
    from devices.emulator import SoftwareSigner

    signer, device = _replay(SEND)
    raw = connect_and_sign(signer)
    assert device.cursor.finished
    assert Account.recover_transaction(raw) == ME
    software = SoftwareSigner.from_mnemonic(recorded_seed(SEND))
    assert software.get_address("eth", ETH_PATH) == ME
    assert raw == software.sign_evm_tx(ETH_PATH, EIP1559_TX).raw_transaction


def test_reject_recording_is_user_cancelled():
    signer, device = _replay(SEND_REJECT)
    with pytest.raises(UserCancelled):
        connect_and_sign(signer, str(recorded_meta(SEND_REJECT)["account"]))
    assert device.cursor.finished


def test_bitcoin_app_recording_is_wrong_app():
    signer, device = _replay(BTC_OPEN)
    with pytest.raises(WrongApp) as info:
        signer.get_address("eth", ETH_PATH)
    assert info.value.wanted == "Ethereum"
    assert device.cursor.finished


def live_account(seed: str) -> str:
    """The account live runs expect: the software signer's for the seed speculos holds."""
    from devices.emulator import SoftwareSigner

    return SoftwareSigner.from_mnemonic(seed).get_address("eth", ETH_PATH)


def _record(env: str, device: str, name: str, run: Any) -> None:
    from devices.ledger import LedgerSigner, tcp_device

    apdu = os.environ.get(env)
    if not apdu:
        pytest.skip(f"no speculos: set {env} (the app ELFs are not in any registry)")
    seed = speculos_seed()
    tr = stamp(Transcript(device, ""), seed, SEED_SOURCE)
    tr.meta["account"] = live_account(seed)
    signer = LedgerSigner(RecordingLedgerDevice(tcp_device(apdu), tr), None, path="tcp:x")
    try:
        run(signer, tr.meta["account"])
    finally:
        signer.close()
    if os.environ.get("TERMWALLET_RECORD") == "1":
        tr.save(TRANSCRIPTS / name)


@pytest.mark.emulator
def test_live_send():
    api = os.environ.get("TERMWALLET_SPECULOS_API", "")
    if api:
        _rules(api, APPROVE_RULES)
    _record("TERMWALLET_SPECULOS", ETH_DEVICE, SEND, connect_and_sign)


@pytest.mark.emulator
def test_live_send_reject():
    api = os.environ.get("TERMWALLET_SPECULOS_API")
    if not api:
        pytest.skip("no speculos API: set TERMWALLET_SPECULOS_API")
    _rules(api, REJECT_RULES)

    def run(signer: Any, me: str) -> None:
        with pytest.raises(UserCancelled):
            connect_and_sign(signer, me)

    try:
        _record("TERMWALLET_SPECULOS", ETH_DEVICE, SEND_REJECT, run)
    finally:
        _rules(api, APPROVE_RULES)


@pytest.mark.emulator
def test_live_bitcoin_app_connect():
    def run(signer: Any, me: str) -> None:
        with pytest.raises(WrongApp):
            signer.get_address("eth", ETH_PATH)

    _record("TERMWALLET_SPECULOS_BTC", BTC_DEVICE, BTC_OPEN, run)
