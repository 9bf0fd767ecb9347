"""`termwallet init --device ID --show-on-device`, `termwallet wallets`, and `address
--show-on-device` on the device wallet, through tui.cli.main and the real TrezorSigner.

Replay (what CI runs): discovery lists the Trezor One emulator's UDP id and TrezorSigner.open
gets a transport answering from the recording (tests/devices/transcripts/
trezor_one_device_wallet_cli.json, made from the emulator holding a random throwaway test seed);
everything above it (the CLI, the device thread, the registry's selection, wallet/
device_wallet.py, the store) is the real code. Expectations: the accounts stored are the
addresses the device itself gave at record time (the recording's meta), they derive from the
seed the emulator held, and the device wallet opens by default.

Live (marker `emulator`): the same commands against the emulator, DebugLink pressing yes where
the CLI has printed what to check. `TERMWALLET_RECORD=1` rewrites the recording.
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
from wallet.keys import ScriptKind, address_path

NAME = "trezor_one_device_wallet_cli.json"
UDP = "udp:127.0.0.1:21324"
SECOND = "m/84'/0'/0'/1/0"  # not asked by init: the show-on-device step asks the device anew


def _wire(monkeypatch: pytest.MonkeyPatch, open_transport: Any) -> None:
    """Discovery lists the emulator's id; TrezorSigner.open connects through `open_transport`
    (the recording or replaying one) instead of trezorlib's UDP lookup."""
    from devices import registry
    from devices.base import SignerKind
    from devices.trezor import TrezorSigner

    def discover(*_: Any) -> Any:
        entry = registry.DeviceEntry(f"trezor:{UDP}", SignerKind.TREZOR, "Trezor", UDP)
        return registry.Discovery(devices=[entry])

    def open_(cls: Any, path: str | None, interaction: Any = None) -> TrezorSigner:
        assert path == UDP
        return TrezorSigner(open_transport(), interaction)

    monkeypatch.setattr(registry, "discover", discover)
    monkeypatch.setattr(registry, "discover_for", discover)
    monkeypatch.setattr(TrezorSigner, "open", classmethod(open_))


def run_commands(capsys: Any) -> dict[str, Any]:
    """The commands in the recording's order; what they printed that the checks need."""
    out: dict[str, Any] = {}
    rc, text, err = run(["init", "--device", "trezor:udp", "--show-on-device", "--json"], capsys)
    assert rc == 0, err
    body = json.loads(text)
    out["wallet"] = body["wallet"]
    out["accounts"] = {f"{a['family']} {a['script']}": a["address"] for a in body["accounts"]}
    out["checked_on_device"] = [line for line in err.splitlines() if line.startswith("Check on")]
    out["not_added"] = [line for line in err.splitlines() if line.startswith("not added")]
    rc, text, err = run(["wallets", "--json"], capsys)
    assert rc == 0, err
    out["wallets"] = json.loads(text)
    rc, text, err = run(["address", "btc", "--change", "--show-on-device", "--json"], capsys)
    assert rc == 0, err
    out["change_address"] = json.loads(text)["address"]
    out["change_shown"] = [line for line in err.splitlines() if line.startswith("Shown on")]
    return out


def check(out: dict[str, Any], seed: str) -> None:
    sw = SoftwareSigner.from_mnemonic(seed)
    wallet = out["wallet"]
    assert wallet["kind"] == "device" and wallet["model"] == "Trezor One"
    assert wallet["device_kind"] == "trezor" and wallet["passphrase"] is False
    assert wallet["fingerprint"] == sw.master_fingerprint().hex()
    for key, address in out["accounts"].items():
        chain, script = key.split(" ")
        assert address == sw.get_address(chain, address_path(chain, ScriptKind(script))), key
    assert {"eth eth", "btc p2wpkh", "btc p2tr", "ltc p2wpkh"} <= set(out["accounts"])
    # The user was told to compare each main-network account's address on the Trezor.
    for key in ("eth eth", "btc p2wpkh", "btc p2tr", "ltc p2wpkh"):
        chain, script = key.split(" ")
        line = f"Check on the Trezor One: {chain} {script} {out['accounts'][key]}"
        assert line in out["checked_on_device"], line
    (row,) = out["wallets"]
    assert row["current"] is True and row["id"] == wallet["id"]
    assert row["accounts"] == len(out["accounts"])
    change = sw.get_address("btc", SECOND)
    assert out["change_address"] == change
    assert out["change_shown"] == [f"Shown on the Trezor One: {change} ({SECOND})"]


# --- replay (CI) ---------------------------------------------------------------------------------


def test_replay_init_device_wallets_and_show_on_device(
    capsys: Any, monkeypatch: pytest.MonkeyPatch
):
    from devices.transcript import replay_trezor_transport

    transport = replay_trezor_transport(Transcript.load(TRANSCRIPTS / NAME), path=UDP)
    _wire(monkeypatch, lambda: transport)
    out = run_commands(capsys)
    assert transport.cursor.finished, "the commands skipped recorded exchanges"
    assert out == recorded_meta(NAME)["results"]
    check(out, recorded_seed(NAME))


# --- live (emulator marker) ----------------------------------------------------------------------


@pytest.mark.emulator
def test_live_init_device_wallets_and_show_on_device(
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
