"""`termwallet message sign` on a device wallet (a Trezor One), through tui.cli.main, the
device thread, wallet/device_wallet.py and the real TrezorSigner: a legacy Bitcoin message and
an EIP-191 message signed on the device, BIP322 refused by name.

Replay (what CI runs): as tests/tui/test_device_wallet_cli_replay.py, from
tests/devices/transcripts/trezor_one_message_cli.json (the Trezor One emulator holding a random
throwaway seed). The signatures are checked against the software signer for that seed and by
the verifier. Live (marker `emulator`): the same commands against the emulator;
`TERMWALLET_RECORD=1` rewrites the recording.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from devices.emulator import SoftwareSigner
from devices.transcript import Transcript
from tests.devices.emulator_seed import TRANSCRIPTS, recorded_meta, recorded_seed
from tests.fixtures.cli import run_cli as run
from tests.tui.test_device_cli import trezor_presses, trezor_seed  # noqa: F401  (fixtures)
from tests.tui.test_device_wallet_cli_replay import UDP, _wire

NAME = "trezor_one_message_cli.json"
MESSAGE = "I own this address: termwallet issue 20"


def run_commands(capsys: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    rc, text, err = run(["init", "--device", "trezor:udp", "--json"], capsys)
    assert rc == 0, err
    base = ["--message", MESSAGE, "--json"]
    rc, text, err = run(["message", "sign", "btc", "--format", "legacy", *base], capsys)
    assert rc == 0, err
    out["btc"] = json.loads(text)
    out["btc_prompt"] = "Sign a message. It moves no coins" in err and MESSAGE in err
    rc, text, err = run(["message", "sign", "eth", *base], capsys)
    assert rc == 0, err
    out["eth"] = json.loads(text)
    rc, text, err = run(["message", "sign", "btc", *base], capsys)
    # With --json the refusal is a JSON error object on stdout (issue 17).
    out["bip322"] = [rc, json.loads(text)["error"]["message"]]
    return out


def check(out: dict[str, Any], seed: str) -> None:
    from wallet.messages import verify

    sw = SoftwareSigner.from_mnemonic(seed)
    btc, eth = out["btc"], out["eth"]
    assert btc["address"] == sw.get_address("btc", btc["path"])
    assert (
        btc["format"] == "legacy"
        and verify("btc", btc["address"], MESSAGE.encode(), btc["signature"]).valid
    )
    from devices import btcmsg

    raw = sw.sign_btc_message("btc", btc["path"], MESSAGE.encode(), "legacy")
    assert btc["signature"] == btcmsg.encode(raw)  # RFC 6979 on both sides
    assert out["btc_prompt"] is True  # the user was shown the message to compare
    assert eth["address"] == sw.get_address("eth", eth["path"]) and eth["format"] == "eip191"
    assert eth["signature"] == "0x" + sw.sign_message(eth["path"], MESSAGE.encode()).hex()
    rc, err = out["bip322"]
    assert rc == 2 and "BIP322" in err and "Trezor" in err


def test_replay_message_sign_on_a_device_wallet(capsys: Any, monkeypatch: pytest.MonkeyPatch):
    if not (TRANSCRIPTS / NAME).exists():
        pytest.skip(f"{NAME} was not recorded (needs the Trezor One emulator)")
    from devices.transcript import replay_trezor_transport

    transport = replay_trezor_transport(Transcript.load(TRANSCRIPTS / NAME), path=UDP)
    _wire(monkeypatch, lambda: transport)
    out = run_commands(capsys)
    assert transport.cursor.finished, "the commands skipped recorded exchanges"
    recorded = recorded_meta(NAME)["results"]
    # Recorded when a --json refusal was still the plain `termwallet: ...` line on stderr; the
    # device's answers are the same, only the wrapping of the refusal changed (issue 17).
    recorded["bip322"][1] = recorded["bip322"][1].removeprefix("termwallet: ")
    assert out == recorded
    check(out, recorded_seed(NAME))


@pytest.mark.emulator
def test_live_message_sign_on_a_device_wallet(
    capsys: Any,
    monkeypatch: pytest.MonkeyPatch,
    trezor_seed: str,  # noqa: F811
):
    from trezorlib.transport.udp import UdpTransport

    from devices.transcript import recording_trezor_transport
    from tests.devices.test_trezor import live_transcript

    tr = live_transcript(trezor_seed)
    _wire(monkeypatch, lambda: recording_trezor_transport(UdpTransport("127.0.0.1:21324"), tr))
    out = run_commands(capsys)
    check(out, trezor_seed)
    tr.meta["results"] = out
    if os.environ.get("TERMWALLET_RECORD") == "1":
        tr.save(TRANSCRIPTS / NAME)
