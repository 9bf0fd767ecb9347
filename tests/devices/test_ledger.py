"""The Ledger adapter (Ethereum app), end to end.

Replay (what CI runs): devices/ledger.py exchanges APDUs with a device that answers from the
APDUs recorded against speculos 0.25.5 running the Ethereum app 1.10.4-dev for Nano X (from
LedgerHQ/app-plugin-boilerplate's history), seeded with a random throwaway test seed; any APDU
our adapter sends that speculos did not receive fails the test. Results are checked against
the device's own answers (its signatures recover to the address it gave) and against the
software signer for the seed the recording says speculos held (tests/devices/emulator_seed.py).

Live (marker `emulator`): TERMWALLET_SPECULOS=127.0.0.1:APDU_PORT and
TERMWALLET_SPECULOS_API=127.0.0.1:API_PORT name a running speculos (servers on 127.0.0.1),
TERMWALLET_SPECULOS_SEED the `--seed` it was started with; the test posts its own automation
rules. `TERMWALLET_RECORD=1` rewrites the transcripts.
"""

from __future__ import annotations

import json
import os
import urllib.request
from dataclasses import asdict
from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data

from devices.transcript import (
    RecordingLedgerDevice,
    ReplayLedgerDevice,
    Transcript,
    TranscriptMismatch,
)
from tests.devices.emulator_seed import TRANSCRIPTS, recorded_seed, speculos_seed, stamp
from tests.devices.test_trezor import (
    EIP1559_TX,
    ETH_PATH,
    LEGACY_TX,
    Recorder,
    check_prompts,
    mail_typed_data,
)

DEVICE = "speculos 0.25.5, Nano X, Ethereum app 1.10.4-dev"
SEED_SOURCE = "TERMWALLET_SPECULOS_SEED (speculos --seed)"

_BOTH = [["button", 1, True], ["button", 2, True], ["button", 2, False], ["button", 1, False]]
_RIGHT = [["button", 2, True], ["button", 2, False]]
# Screens of the Ethereum app 1.10.4 on a Nano X, as speculos reports their text lines.
APPROVE_RULES = {
    "version": 1,
    "rules": [
        {"text": "message", "actions": _BOTH},  # "Sign / message": the last EIP-712 screen
        {"text": "typed message", "actions": _RIGHT},
        {"text": "Accept", "actions": _BOTH},
        {"text": "Approve", "actions": _BOTH},
        *[
            {"text": t, "actions": _RIGHT}
            for t in ("Review", "Amount", "Address", "Max Fees", "Network", "Verify", "Chain ID")
        ],
        {"regexp": "^(Domain|Message) hash.*", "actions": _RIGHT},
    ],
}
REJECT_RULES = {
    "version": 1,
    "rules": [
        {"text": "Reject", "actions": _BOTH},
        *[
            {"text": t, "actions": _RIGHT}
            for t in ("Review", "Amount", "Address", "Max Fees", "Network", "Accept")
        ],
    ],
}


def run_scenario(signer: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"info": asdict(signer.info) | {"kind": signer.info.kind.value}}
    out["app"] = list(signer.current_app())
    out["addresses"] = {p: signer.get_address("eth", p) for p in (ETH_PATH, "m/44'/60'/0'/0/1")}
    out["displayed"] = signer.get_address("eth", "m/44'/60'/1'/0/0", display=True)
    out["legacy_raw"] = signer.sign_evm_tx(ETH_PATH, LEGACY_TX).raw_transaction.hex()
    out["eip1559_raw"] = signer.sign_evm_tx(ETH_PATH, EIP1559_TX).raw_transaction.hex()
    out["eip712_sig"] = signer.sign_typed_data(ETH_PATH, mail_typed_data()).hex()
    return out


def check_against_device(out: dict[str, Any]) -> None:
    """No seed needed: the signatures recover to the address the device gave."""
    me = out["addresses"][ETH_PATH]
    for raw_hex in (out["legacy_raw"], out["eip1559_raw"]):
        assert Account.recover_transaction(bytes.fromhex(raw_hex)) == me
    msg = encode_typed_data(full_message=mail_typed_data())
    assert Account.recover_message(msg, signature=bytes.fromhex(out["eip712_sig"])) == me


def check_against_software(out: dict[str, Any], seed: str) -> None:
    from devices.emulator import SoftwareSigner

    sw = SoftwareSigner.from_mnemonic(seed)
    for path, addr in out["addresses"].items():
        assert addr == sw.get_address("eth", path), path
    assert out["displayed"] == sw.get_address("eth", "m/44'/60'/1'/0/0")
    me = sw.get_address("eth", ETH_PATH)
    for raw_hex, tx in ((out["legacy_raw"], LEGACY_TX), (out["eip1559_raw"], EIP1559_TX)):
        raw = bytes.fromhex(raw_hex)
        assert Account.recover_transaction(raw) == me
        assert raw == sw.sign_evm_tx(ETH_PATH, tx).raw_transaction  # RFC6979 on both sides
    sig = bytes.fromhex(out["eip712_sig"])
    msg = encode_typed_data(full_message=mail_typed_data())
    assert Account.recover_message(msg, signature=sig) == me
    assert sig == sw.sign_typed_data(ETH_PATH, mail_typed_data())


# --- replay (CI) ---------------------------------------------------------------------------------


def _replay(name: str, interaction: Any = None) -> tuple[Any, ReplayLedgerDevice]:
    from devices.ledger import LedgerSigner

    device = ReplayLedgerDevice(Transcript.load(TRANSCRIPTS / name))
    return LedgerSigner(device, interaction, path="tcp:127.0.0.1"), device


def test_replay_scenario_matches_software_signer():
    asked = Recorder()
    signer, device = _replay("ledger_eth_scenario.json", asked)
    out = run_scenario(signer)
    assert device.cursor.finished, "the adapter skipped recorded exchanges"
    assert out["app"] == ["Ethereum", "1.10.4-dev"]
    check_against_device(out)
    check_against_software(out, recorded_seed("ledger_eth_scenario.json"))
    recorded = json.loads((TRANSCRIPTS / "ledger_eth_scenario.json").read_text())["meta"]
    assert out == recorded["results"]
    check_prompts(asked, out["displayed"], "eth")
    assert asked.asked.count("finished") == 4


def test_replay_fails_when_the_adapter_sends_something_else():
    signer, _ = _replay("ledger_eth_scenario.json")
    signer.current_app()
    with pytest.raises(TranscriptMismatch):
        signer.get_address("eth", "m/44'/60'/0'/0/7")


def test_replay_user_rejection_is_user_cancelled():
    from devices.errors import UserCancelled

    signer, device = _replay("ledger_eth_reject.json")
    with pytest.raises(UserCancelled) as info:
        signer.sign_evm_tx(ETH_PATH, LEGACY_TX)
    assert info.value.code == "USER_CANCELLED"
    assert device.cursor.finished


def test_replay_wrong_app_names_the_app_to_open():
    from devices.errors import WrongApp

    path = TRANSCRIPTS / "ledger_btc_wrong_app.json"
    if not path.exists():
        pytest.skip("no wrong-app transcript was recorded (needs the Bitcoin app in speculos)")
    signer, device = _replay("ledger_btc_wrong_app.json")
    assert signer.current_app()[0] == "Bitcoin"
    with pytest.raises(WrongApp) as info:
        signer.get_address("eth", ETH_PATH)
    assert info.value.wanted == "Ethereum"
    assert info.value.code == "WRONG_APP"
    assert device.cursor.finished


def test_path_encoding_refuses_garbage():
    from devices.errors import Unsupported
    from devices.ledger import _path_bytes

    assert _path_bytes("m/44'/60'/0'/0/0").hex() == (
        "05" + "8000002c" + "8000003c" + "80000000" + "00000000" + "00000000"
    )
    for bad in ("44'/60'", "m/x", "m/4294967296"):
        with pytest.raises(Unsupported):
            _path_bytes(bad)


# --- live (emulator marker) ----------------------------------------------------------------------


def _speculos() -> tuple[str, str]:
    apdu = os.environ.get("TERMWALLET_SPECULOS")
    api = os.environ.get("TERMWALLET_SPECULOS_API")
    if not apdu or not api:
        pytest.skip(
            "no speculos: set TERMWALLET_SPECULOS and TERMWALLET_SPECULOS_API (the app ELFs "
            "are not in any registry)"
        )
    return apdu, api


def _rules(api: str, rules: dict[str, Any]) -> None:
    req = urllib.request.Request(
        f"http://{api}/automation",
        data=json.dumps(rules).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    urllib.request.urlopen(req, timeout=5).read()


def _live(transcript: Transcript, apdu: str, interaction: Any = None) -> Any:
    from devices.ledger import LedgerSigner, tcp_device

    device = RecordingLedgerDevice(tcp_device(apdu), transcript)
    return LedgerSigner(device, interaction, path="tcp:127.0.0.1")


def _save(tr: Transcript, name: str) -> None:
    if os.environ.get("TERMWALLET_RECORD") == "1":
        tr.save(TRANSCRIPTS / name)


@pytest.mark.emulator
def test_live_scenario():
    apdu, api = _speculos()
    seed = speculos_seed()
    _rules(api, APPROVE_RULES)
    tr = stamp(Transcript(DEVICE, ""), seed, SEED_SOURCE)
    signer = _live(tr, apdu, Recorder())
    out = run_scenario(signer)
    signer.close()
    check_against_device(out)
    check_against_software(out, seed)
    tr.meta["results"] = out
    _save(tr, "ledger_eth_scenario.json")


@pytest.mark.emulator
def test_live_reject():
    from devices.errors import UserCancelled

    apdu, api = _speculos()
    _rules(api, REJECT_RULES)
    tr = stamp(Transcript(DEVICE, ""), speculos_seed(), SEED_SOURCE)
    signer = _live(tr, apdu)
    try:
        with pytest.raises(UserCancelled):
            signer.sign_evm_tx(ETH_PATH, LEGACY_TX)
    finally:
        _rules(api, APPROVE_RULES)
        signer.close()
    _save(tr, "ledger_eth_reject.json")
