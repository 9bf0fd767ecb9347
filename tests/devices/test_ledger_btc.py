"""The Ledger Bitcoin app (devices/ledger.py, devices/ledger_btc.py on ledger-bitcoin), end to end.

Replay (what CI runs): our adapter and ledger-bitcoin's LegacyClient exchange APDUs with a
device that answers from the APDUs recorded against speculos 0.25.5 running the Bitcoin app
2.0.2 for Nano X (SPECULOS_APPNAME=Bitcoin:2.0.2, from LedgerHQ/speculos' history), seeded with
a random throwaway test seed (stored in the recording's meta, see tests/devices/emulator_seed.py);
any APDU that differs from the recording fails the test. The signed PSBT is judged independently
of the device: embit's BIP143 sighash, Bitcoin Core's script checks (py-bitcoinkernel), and the
software signer's RFC6979 signature for the same key.

Live (marker `emulator`): TERMWALLET_SPECULOS_BTC=127.0.0.1:APDU_PORT and
TERMWALLET_SPECULOS_BTC_API=127.0.0.1:API_PORT name a speculos running the Bitcoin app; the
wrong-app recording also needs the Ethereum app's speculos (TERMWALLET_SPECULOS, as in
test_ledger.py); TERMWALLET_SPECULOS_SEED is the `--seed` they were started with.
`TERMWALLET_RECORD=1` rewrites the transcripts.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from typing import Any

import pytest

from devices.base import PromptKind
from devices.emulator import SoftwareSigner
from devices.errors import Unsupported, UserCancelled, WrongApp
from devices.psbt import _psbt_class, sign_psbt
from devices.transcript import RecordingLedgerDevice, ReplayLedgerDevice, Transcript
from tests.devices.emulator_seed import (
    TRANSCRIPTS,
    key_material,
    recorded_seed,
    speculos_seed,
    stamp,
)
from tests.devices.test_ledger import SEED_SOURCE, _rules
from tests.devices.test_trezor import Recorder
from tests.devices.test_trezor_psbt import FEE, PAY, build_psbt, software_keys, verify_signed

DEVICE = (
    "speculos 0.25.5, Nano X, Bitcoin app 2.0.2 (legacy protocol), SPECULOS_APPNAME=Bitcoin:2.0.2"
)
SCENARIO = "ledger_btc_scenario.json"
REJECT = "ledger_btc_reject.json"
ETH_OPEN = "ledger_eth_open_btc_asked.json"
BTC_OPEN_ETH_ASKED = "ledger_btc_wrong_app.json"

_BOTH = [["button", 1, True], ["button", 2, True], ["button", 2, False], ["button", 1, False]]
_RIGHT = [["button", 2, True], ["button", 2, False]]
# Screens of the Bitcoin app 2.0.2 on a Nano X, as speculos reports their text lines:
# "Review output #1", "Amount", "Address", "Accept", then "Confirm transaction", "Fees",
# "Accept and send"; an address shown for checking ends on "Approve".
APPROVE_RULES = {
    "version": 1,
    "rules": [
        {"text": "Accept", "actions": _BOTH},
        {"text": "Approve", "actions": _BOTH},
        {"regexp": "^(Review|Amount|Address|Confirm|Fees|Reject).*", "actions": _RIGHT},
    ],
}
REJECT_RULES = {
    "version": 1,
    "rules": [
        {"text": "Reject", "actions": _BOTH},
        {"regexp": "^(Review|Amount|Address|Accept).*", "actions": _RIGHT},
    ],
}
ADDRESS_PATHS = ["m/84'/0'/0'/0/0", "m/84'/0'/0'/1/0"]
XPUB_PATH = "m/84'/0'/0'"
DISPLAY_PATH = "m/84'/0'/0'/0/1"


def run_scenario(signer: Any, unsigned: bytes) -> dict[str, Any]:
    """Every call the replay test covers, in the transcript's order."""
    out: dict[str, Any] = {"info": asdict(signer.info) | {"kind": signer.info.kind.value}}
    out["addresses"] = {p: signer.get_address("btc", p) for p in ADDRESS_PATHS}
    out["xpub"] = signer.get_xpub(XPUB_PATH)
    out["displayed"] = signer.get_address("btc", DISPLAY_PATH, display=True)
    out["signed_psbt"] = signer.sign_psbt(unsigned, "btc").hex()
    return out


def check_against_software(out: dict[str, Any], unsigned: bytes, spent: Any, seed: str) -> None:
    """The device's addresses and xpub equal the software signer's for the seed speculos held;
    its PSBT signature verifies (sighash and Bitcoin Core's script check) and equals the
    software signer's plain-RFC6979 signature for the same key and sighash."""
    sw = SoftwareSigner.from_mnemonic(seed)
    for path, address in out["addresses"].items():
        assert address == sw.get_address("btc", path), path
    assert out["xpub"] == sw.get_xpub(XPUB_PATH)
    assert out["displayed"] == sw.get_address("btc", DISPLAY_PATH)
    signed = bytes.fromhex(out["signed_psbt"])
    verify_signed("btc", signed, spent)
    ((pub, sig),) = _psbt_class().parse(signed).inputs[0].partial_sigs.items()
    rfc6979 = _psbt_class().parse(sign_psbt(unsigned, sw._node_for_psbt(), low_r=False).psbt)
    assert rfc6979.inputs[0].partial_sigs[pub] == sig


def check_prompts(asked: Recorder, displayed: str) -> None:
    prompts = [a for a in asked.asked if a != "finished"]
    verify = [p for p in prompts if p.kind is PromptKind.VERIFY_ADDRESS]
    assert [(p.address, p.chain, p.path) for p in verify] == [(displayed, "btc", DISPLAY_PATH)]
    (psbt,) = [p for p in prompts if p.kind is PromptKind.SIGN_PSBT]
    assert psbt.fee is not None and (psbt.fee.value, psbt.fee.symbol) == (FEE, "BTC")
    # Only the stranger's output is shown; our change is hidden (the app checks it).
    assert [(o.amount.value, o.address[:4]) for o in psbt.outputs] == [(PAY, "bc1q")]
    assert asked.asked.count("finished") == 2 and asked.asked[-1] == "finished"


def _unsigned(seed: str) -> tuple[bytes, Any]:
    """The P2WPKH spend of `seed`'s first address (the legacy protocol signs no taproot)."""
    return build_psbt(0, software_keys(seed, 0, taproot=False))


# --- replay (CI) ---------------------------------------------------------------------------------


def _replay(name: str, interaction: Any = None) -> tuple[Any, ReplayLedgerDevice]:
    from devices.ledger import LedgerSigner

    device = ReplayLedgerDevice(Transcript.load(TRANSCRIPTS / name))
    return LedgerSigner(device, interaction, path="tcp:127.0.0.1"), device


def test_replay_scenario_matches_software_signer():
    seed = recorded_seed(SCENARIO)
    unsigned, spent = _unsigned(seed)
    asked = Recorder()
    signer, device = _replay(SCENARIO, asked)
    out = run_scenario(signer, unsigned)
    assert device.cursor.finished, "the adapter skipped recorded exchanges"
    assert out["info"]["firmware"] == "Bitcoin 2.0.2"
    # The PSBT spends the key the device gave: its xpub is the seed's.
    assert key_material(out["xpub"]) == key_material(software_keys(seed, 0, taproot=False).wpkh)
    check_against_software(out, unsigned, spent, seed)
    assert out == json.loads((TRANSCRIPTS / SCENARIO).read_text())["meta"]["results"]
    check_prompts(asked, out["displayed"])


def test_a_tampered_device_signature_is_refused():
    """The adapter verifies what the device returns: one flipped bit in the recorded
    signature answer and sign_psbt raises instead of handing back a PSBT."""
    from devices.ledger_btc import LedgerBitcoinError

    tr = Transcript.load(TRANSCRIPTS / SCENARIO)
    sign_answers = [
        i
        for i, ev in enumerate(tr.events)
        if ev["op"] == "write" and ev["hex"].startswith("e048")  # UNTRUSTED HASH SIGN
    ]
    answer = tr.events[sign_answers[-1] + 1]
    body = bytearray(bytes.fromhex(answer["hex"]))
    body[10] ^= 1
    answer["hex"] = body.hex()
    from devices.ledger import LedgerSigner

    signer = LedgerSigner(ReplayLedgerDevice(tr), None, path="tcp:127.0.0.1")
    unsigned, _ = _unsigned(recorded_seed(SCENARIO))
    run = {p: signer.get_address("btc", p) for p in ADDRESS_PATHS}
    assert run
    signer.get_xpub(XPUB_PATH)
    signer.get_address("btc", DISPLAY_PATH, display=True)
    with pytest.raises(LedgerBitcoinError, match="does not verify"):
        signer.sign_psbt(unsigned, "btc")


def test_replay_user_rejection_is_user_cancelled():
    unsigned, _ = _unsigned(recorded_seed(REJECT))
    asked = Recorder()
    signer, device = _replay(REJECT, asked)
    with pytest.raises(UserCancelled) as info:
        signer.sign_psbt(unsigned, "btc")
    assert info.value.code == "USER_CANCELLED"
    assert device.cursor.finished
    assert asked.asked[-1] == "finished"  # the confirm screen closes on a rejection too


def test_bitcoin_asked_while_the_ethereum_app_is_open_is_wrong_app():
    signer, device = _replay(ETH_OPEN)
    assert signer.info.firmware == "Ethereum 1.10.4-dev"
    with pytest.raises(WrongApp) as info:
        signer.get_address("btc", ADDRESS_PATHS[0])
    assert (info.value.wanted, info.value.details["current"]) == ("Bitcoin", "Ethereum")
    assert device.cursor.finished


def test_ethereum_asked_while_the_bitcoin_app_is_open_is_wrong_app():
    signer, device = _replay(BTC_OPEN_ETH_ASKED)
    assert signer.current_app()[0] == "Bitcoin"
    with pytest.raises(WrongApp) as info:
        signer.get_address("eth", "m/44'/60'/0'/0/0")
    assert info.value.wanted == "Ethereum"
    assert device.cursor.finished


def test_litecoin_and_testnet_on_the_bitcoin_app_name_the_app_to_open():
    """Litecoin is Ledger's Litecoin app's (test_ledger_btc_apps.py), testnet the Bitcoin Test
    app's: with the Bitcoin app open only GET VERSION reaches the device, then WrongApp."""
    unsigned, _ = _unsigned(recorded_seed(SCENARIO))
    for call, wanted in (
        (lambda s: s.sign_psbt(unsigned, "ltc"), "Litecoin"),
        (lambda s: s.get_address("ltc", "m/84'/2'/0'/0/0"), "Litecoin"),
        (lambda s: s.get_address("btc-testnet", "m/84'/1'/0'/0/0"), "Bitcoin Test"),
    ):
        signer, device = _replay(SCENARIO)
        start = device.cursor.pos
        with pytest.raises(WrongApp) as wrong:
            call(signer)
        assert (wrong.value.wanted, wrong.value.details["current"]) == (wanted, "Bitcoin")
        asked = device.cursor.events[start : device.cursor.pos]
        assert {e["hex"] for e in asked if e["op"] == "write"} == {"b001000000"}


def test_taproot_and_foreign_inputs_are_refused():
    from devices.ledger_btc import _check

    seed = recorded_seed(SCENARIO)
    fp = SoftwareSigner.from_mnemonic(seed)._node_for_psbt().my_fingerprint
    taproot, _ = build_psbt(0, software_keys(seed, 0, taproot=True))
    with pytest.raises(Unsupported, match="taproot"):
        _check(_psbt_class().parse(taproot), "btc", fp, "Ledger")
    unsigned, _ = _unsigned(seed)
    with pytest.raises(Unsupported, match="not this Ledger's"):
        _check(_psbt_class().parse(unsigned), "btc", b"\x00" * 4, "Ledger")
    psbt = _psbt_class().parse(unsigned)
    psbt.inputs[0].non_witness_utxo = None
    with pytest.raises(Unsupported, match="non_witness_utxo"):
        _check(psbt, "btc", fp, "Ledger")


# --- live (emulator marker) ----------------------------------------------------------------------


def _speculos_btc() -> tuple[str, str]:
    apdu = os.environ.get("TERMWALLET_SPECULOS_BTC")
    api = os.environ.get("TERMWALLET_SPECULOS_BTC_API")
    if not apdu or not api:
        pytest.skip(
            "no speculos with the Bitcoin app: set TERMWALLET_SPECULOS_BTC and "
            "TERMWALLET_SPECULOS_BTC_API (the app ELFs are not in any registry)"
        )
    return apdu, api


def _live(transcript: Transcript, apdu: str, interaction: Any = None) -> Any:
    from devices.ledger import LedgerSigner, tcp_device

    return LedgerSigner(
        RecordingLedgerDevice(tcp_device(apdu), transcript), interaction, path="tcp:127.0.0.1"
    )


def _save(tr: Transcript, name: str) -> None:
    if os.environ.get("TERMWALLET_RECORD") == "1":
        tr.save(TRANSCRIPTS / name)


@pytest.mark.emulator
def test_live_scenario():
    apdu, api = _speculos_btc()
    seed = speculos_seed()
    _rules(api, APPROVE_RULES)
    unsigned, spent = _unsigned(seed)
    tr = stamp(Transcript(DEVICE, ""), seed, SEED_SOURCE)
    asked = Recorder()
    signer = _live(tr, apdu, asked)
    out = run_scenario(signer, unsigned)
    signer.close()
    check_against_software(out, unsigned, spent, seed)
    check_prompts(asked, out["displayed"])
    tr.meta["results"] = out
    _save(tr, SCENARIO)


@pytest.mark.emulator
def test_live_reject():
    apdu, api = _speculos_btc()
    seed = speculos_seed()
    _rules(api, REJECT_RULES)
    unsigned, _ = _unsigned(seed)
    tr = stamp(Transcript(DEVICE, ""), seed, SEED_SOURCE)
    signer = _live(tr, apdu, Recorder())
    try:
        with pytest.raises(UserCancelled):
            signer.sign_psbt(unsigned, "btc")
    finally:
        _rules(api, APPROVE_RULES)
        signer.close()
    _save(tr, REJECT)


@pytest.mark.emulator
def test_live_bitcoin_on_the_ethereum_app():
    apdu = os.environ.get("TERMWALLET_SPECULOS")
    if not apdu:
        pytest.skip("no speculos with the Ethereum app: set TERMWALLET_SPECULOS")
    tr = stamp(
        Transcript("speculos 0.25.5, Nano X, Ethereum app 1.10.4-dev", ""),
        speculos_seed(),
        SEED_SOURCE,
    )
    signer = _live(tr, apdu)
    try:
        with pytest.raises(WrongApp):
            signer.get_address("btc", ADDRESS_PATHS[0])
    finally:
        signer.close()
    _save(tr, ETH_OPEN)


@pytest.mark.emulator
def test_live_ethereum_on_the_bitcoin_app():
    apdu, _ = _speculos_btc()
    tr = stamp(Transcript(DEVICE, ""), speculos_seed(), SEED_SOURCE)
    signer = _live(tr, apdu)
    try:
        assert signer.current_app()[0] == "Bitcoin"
        with pytest.raises(WrongApp):
            signer.get_address("eth", "m/44'/60'/0'/0/0")
    finally:
        signer.close()
    _save(tr, BTC_OPEN_ETH_ASKED)
