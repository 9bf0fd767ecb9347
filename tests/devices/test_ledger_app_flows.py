"""Recordings of what the app itself asks a Ledger (tests/tui/test_device_app.py replays them
through the real registry, TCP transport and adapter): connect (open, then the account check
at the wallet's path), then sign an EIP-1559 send, approved or rejected on the device; and
connect while the Bitcoin app is open.

Replay here checks each recording against the adapter directly; live (marker `emulator`)
records them from speculos (TERMWALLET_SPECULOS for the Ethereum app,
TERMWALLET_SPECULOS_BTC for the Bitcoin app; `TERMWALLET_RECORD=1` rewrites).
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from eth_account import Account

from devices.errors import UserCancelled, WrongApp
from devices.transcript import RecordingLedgerDevice, ReplayLedgerDevice, Transcript
from tests.devices.test_ledger import APPROVE_RULES, REJECT_RULES, SEED_NOTE, _rules
from tests.devices.test_trezor import EIP1559_TX, ETH_PATH, SEED, TRANSCRIPTS

ETH_DEVICE = "speculos 0.25.5, Nano X, Ethereum app 1.10.4-dev"
BTC_DEVICE = "speculos 0.25.5, Nano X, Bitcoin app 2.0.2 (legacy protocol)"
SEND = "ledger_eth_app_send.json"
SEND_REJECT = "ledger_eth_app_send_reject.json"
BTC_OPEN = "ledger_btc_app_connect.json"
ME = "0x9858EfFD232B4033E47d90003D41EC34EcaEda94"  # the seed's m/44'/60'/0'/0/0


def connect_and_sign(signer: Any) -> bytes:
    """What the app does: check the account, then sign the reviewed send."""
    assert signer.get_address("eth", ETH_PATH) == ME
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
    assert (
        raw == SoftwareSigner.from_mnemonic(SEED).sign_evm_tx(ETH_PATH, EIP1559_TX).raw_transaction
    )


def test_reject_recording_is_user_cancelled():
    signer, device = _replay(SEND_REJECT)
    with pytest.raises(UserCancelled):
        connect_and_sign(signer)
    assert device.cursor.finished


def test_bitcoin_app_recording_is_wrong_app():
    signer, device = _replay(BTC_OPEN)
    with pytest.raises(WrongApp) as info:
        signer.get_address("eth", ETH_PATH)
    assert info.value.wanted == "Ethereum"
    assert device.cursor.finished


def _record(env: str, device: str, name: str, run: Any) -> None:
    from devices.ledger import LedgerSigner, tcp_device

    apdu = os.environ.get(env)
    if not apdu:
        pytest.skip(f"no speculos: set {env} (the app ELFs are not in any registry)")
    tr = Transcript(device, SEED_NOTE)
    signer = LedgerSigner(RecordingLedgerDevice(tcp_device(apdu), tr), None, path="tcp:x")
    try:
        run(signer)
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

    def run(signer: Any) -> None:
        with pytest.raises(UserCancelled):
            connect_and_sign(signer)

    try:
        _record("TERMWALLET_SPECULOS", ETH_DEVICE, SEND_REJECT, run)
    finally:
        _rules(api, APPROVE_RULES)


@pytest.mark.emulator
def test_live_bitcoin_app_connect():
    def run(signer: Any) -> None:
        with pytest.raises(WrongApp):
            signer.get_address("eth", ETH_PATH)

    _record("TERMWALLET_SPECULOS_BTC", BTC_DEVICE, BTC_OPEN, run)
