"""The Trezor adapter, end to end.

Replay (what CI runs): devices/trezor.py talks to a Transport that answers with the 64-byte
chunks recorded from the real Trezor One emulator (trezor-firmware legacy/v1.14.1, EMULATOR=1,
holding a random throwaway test seed) and fails on any chunk our adapter sends that the
emulator did not receive. The results are checked twice: against the device's own public keys
(its addresses derive from the xpubs it gave, its signatures recover to its address), and
against the software signer for the seed the recording says the emulator held (meta, see
tests/devices/emulator_seed.py).

Live (marker `emulator`): the same scenario against the emulator on UDP 127.0.0.1:21324, with
DebugLink (:21325) pressing the buttons and telling the seed it holds, whatever it is.
`TERMWALLET_RECORD=1` rewrites the transcripts.
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data

from devices.base import Interaction, OnDevice, PinKind
from devices.emulator import EvmTx, SoftwareSigner
from devices.transcript import (
    Transcript,
    TranscriptMismatch,
    recording_trezor_transport,
    replay_trezor_transport,
)
from tests.devices.emulator_seed import (
    TRANSCRIPTS,
    child_pubkey,
    eth_address,
    recorded_seed,
    segwit_address,
    stamp,
    trezor_seed,
)

VECTORS = Path(__file__).parent / "vectors"
EMU = ("127.0.0.1", 21324)
DEVICE = "trezor-one-emulator legacy/v1.14.1"

ETH_PATH = "m/44'/60'/0'/0/0"
TO = "0x3535353535353535353535353535353535353535"
LEGACY_TX = EvmTx(chain_id=1, nonce=7, gas=21_000, to=TO, value=10**15, gas_price=2 * 10**9)
EIP1559_TX = EvmTx(
    chain_id=1,
    nonce=8,
    gas=21_000,
    to=TO,
    value=12345,
    max_fee_per_gas=30 * 10**9,
    max_priority_fee_per_gas=10**9,
)
ADDRESSES = [
    ("eth", ETH_PATH),
    ("btc", "m/84'/0'/0'/0/0"),
    ("btc", "m/86'/0'/0'/0/0"),
    ("ltc", "m/84'/2'/0'/0/0"),
]
XPUBS = ["m/84'/0'/0'", "m/86'/0'/0'", "m/44'/60'/0'"]


def mail_typed_data() -> dict[str, Any]:
    return json.loads((VECTORS / "eip712_mail.json").read_text())["typed_data"]


class Recorder:
    """An Interaction that records what the adapter asked of the human; when `press` is set
    (live runs), it confirms on the emulator through DebugLink."""

    def __init__(self, press: Any = None) -> None:
        self.asked: list[str] = []
        self.press = press

    def get_pin(self, kind: PinKind) -> str:
        raise AssertionError("no PIN is set on the emulator")

    def get_passphrase(self, *, on_device_ok: bool) -> str | OnDevice:
        raise AssertionError("passphrase protection is off on the emulator")

    def confirm_on_device(self, what: str) -> None:
        self.asked.append(what)
        if self.press is not None:
            self.press()

    def finished(self) -> None:
        self.asked.append("finished")


def run_scenario(signer: Any) -> dict[str, Any]:
    """Every call the replay tests cover, in one fixed order (the transcript's order)."""
    out: dict[str, Any] = {"info": asdict(signer.info) | {"kind": signer.info.kind.value}}
    out["addresses"] = {f"{c} {p}": signer.get_address(c, p) for c, p in ADDRESSES}
    out["xpubs"] = {p: signer.get_xpub(p) for p in XPUBS}
    out["displayed"] = signer.get_address("btc", "m/84'/0'/0'/0/1", display=True)
    legacy = signer.sign_evm_tx(ETH_PATH, LEGACY_TX)
    dynamic = signer.sign_evm_tx(ETH_PATH, EIP1559_TX)
    out["legacy_raw"] = legacy.raw_transaction.hex()
    out["eip1559_raw"] = dynamic.raw_transaction.hex()
    out["eip712_sig"] = signer.sign_typed_data(ETH_PATH, mail_typed_data()).hex()
    return out


def check_against_device_keys(out: dict[str, Any]) -> None:
    """No seed needed: the addresses the device gave derive from the xpubs it gave, and its
    signatures recover to the address it gave."""
    x84, x86, x60 = (out["xpubs"][p] for p in XPUBS)
    me = out["addresses"][f"eth {ETH_PATH}"]
    assert me == eth_address(child_pubkey(x60, 0, 0))
    assert out["addresses"]["btc m/84'/0'/0'/0/0"] == segwit_address("btc", child_pubkey(x84, 0, 0))
    assert out["addresses"]["btc m/86'/0'/0'/0/0"] == segwit_address(
        "btc", child_pubkey(x86, 0, 0), taproot=True
    )
    assert out["displayed"] == segwit_address("btc", child_pubkey(x84, 0, 1))
    for raw_hex in (out["legacy_raw"], out["eip1559_raw"]):
        assert Account.recover_transaction(bytes.fromhex(raw_hex)) == me
    msg = encode_typed_data(full_message=mail_typed_data())
    assert Account.recover_message(msg, signature=bytes.fromhex(out["eip712_sig"])) == me


def check_against_software(out: dict[str, Any], seed: str) -> None:
    """The device's answers equal the software signer's for the seed the emulator held."""
    sw = SoftwareSigner.from_mnemonic(seed)
    for key, value in out["addresses"].items():
        chain, path = key.split(" ")
        assert value == sw.get_address(chain, path), key
    for path, xpub in out["xpubs"].items():
        assert xpub == sw.get_xpub(path), path
    assert out["displayed"] == sw.get_address("btc", "m/84'/0'/0'/0/1")
    me = sw.get_address("eth", ETH_PATH)
    for raw_hex, tx in ((out["legacy_raw"], LEGACY_TX), (out["eip1559_raw"], EIP1559_TX)):
        raw = bytes.fromhex(raw_hex)
        assert Account.recover_transaction(raw) == me
        # RFC6979 on both sides: the device's transaction is byte-identical to eth-account's.
        assert raw == sw.sign_evm_tx(ETH_PATH, tx).raw_transaction
    sig = bytes.fromhex(out["eip712_sig"])
    assert (
        Account.recover_message(encode_typed_data(full_message=mail_typed_data()), signature=sig)
        == me
    )
    assert sig == sw.sign_typed_data(ETH_PATH, mail_typed_data())


# --- replay (CI) ---------------------------------------------------------------------------------


def _replay_signer(name: str, interaction: Interaction) -> tuple[Any, Any]:
    from devices.trezor import TrezorSigner

    tr = Transcript.load(TRANSCRIPTS / name)
    transport = replay_trezor_transport(tr, path="udp:127.0.0.1:21324")
    return TrezorSigner(transport, interaction), transport


def test_replay_scenario_matches_software_signer():
    asked = Recorder()
    signer, transport = _replay_signer("trezor_one_scenario.json", asked)
    out = run_scenario(signer)
    signer.close()
    assert transport.cursor.finished, "the adapter skipped recorded exchanges"
    assert out["info"]["model"] == "Trezor One"
    assert out["info"]["firmware"] == "1.14.1"
    check_against_device_keys(out)
    check_against_software(out, recorded_seed("trezor_one_scenario.json"))
    recorded = json.loads((TRANSCRIPTS / "trezor_one_scenario.json").read_text())["meta"]
    assert out == recorded["results"]
    # The human was shown what the device shows, and told when it was over.
    check_prompts(asked, out["displayed"], "btc")
    assert asked.asked.count("finished") == 4


def check_prompts(asked: Recorder, displayed: str, chain: str) -> None:
    """The structured prompts: the address to verify, then each transaction's fields."""
    from devices.base import PromptKind

    prompts = [a for a in asked.asked if a != "finished"]
    verify = [p for p in prompts if p.kind is PromptKind.VERIFY_ADDRESS]
    assert verify and {(p.address, p.chain) for p in verify} == {(displayed, chain)}
    txs = [p for p in prompts if p.kind is PromptKind.SIGN_TX]
    legacy = next(p for p in txs if p.amount.value == LEGACY_TX.value)
    assert (legacy.address, legacy.chain_id, legacy.amount.symbol) == (TO, 1, "ETH")
    assert legacy.fee.value == LEGACY_TX.gas * (LEGACY_TX.gas_price or 0)
    dynamic = next(p for p in txs if p.amount.value == EIP1559_TX.value)
    assert dynamic.fee.value == EIP1559_TX.gas * (EIP1559_TX.max_fee_per_gas or 0)
    assert any(p.kind is PromptKind.SIGN_TYPED_DATA for p in prompts)


def test_replay_fails_when_the_adapter_sends_something_else():
    signer, _ = _replay_signer("trezor_one_scenario.json", Recorder())
    with pytest.raises(TranscriptMismatch):
        signer.get_address("eth", "m/44'/60'/0'/0/1")  # the recording asked for .../0


def test_replay_user_rejection_is_user_cancelled():
    from devices.errors import UserCancelled

    signer, _ = _replay_signer("trezor_one_reject.json", Recorder())
    with pytest.raises(UserCancelled) as info:
        signer.sign_evm_tx(ETH_PATH, LEGACY_TX)
    assert info.value.code == "USER_CANCELLED"
    assert "rejected" in str(info.value)


PIN = "1234"  # the PIN the wrong-PIN recording's emulator held
WRONG_POSITIONS = "111"  # too short to be any arrangement of it, whatever the matrix showed
PASSPHRASE = "TREZOR"


class PinEntry(Recorder):
    """Answers the PIN matrix with wrong positions."""

    def get_pin(self, kind: PinKind) -> str:
        self.asked.append(f"pin {kind.value}")
        return WRONG_POSITIONS


class PassphraseEntry(Recorder):
    def get_passphrase(self, *, on_device_ok: bool) -> str | OnDevice:
        self.asked.append("passphrase")
        return PASSPHRASE


def test_replay_wrong_pin_is_its_own_error():
    """The emulator answered the PIN matrix with Failure PinInvalid ("PIN invalid": it says
    nothing about tries left)."""
    from devices.errors import DeviceLocked, WrongPin

    asked = PinEntry()
    signer, transport = _replay_signer("trezor_one_wrong_pin_entry.json", asked)
    with pytest.raises(WrongPin) as info:
        signer.get_address("eth", ETH_PATH)
    assert not isinstance(info.value, DeviceLocked)
    assert info.value.code == "WRONG_PIN" and "PIN was wrong" in str(info.value)
    assert asked.asked == ["pin current"]
    signer.close()
    assert transport.cursor.finished


@pytest.mark.parametrize(
    ("failure", "error"),
    [("PinInvalid", "WrongPin"), ("PinCancelled", "UserCancelled")],
)
def test_pin_failures_each_map_to_their_own_error(failure: str, error: str):
    """trezorlib raises PinException with the Failure's code for the PIN matrix's answer, and
    TrezorFailure for the same codes elsewhere: a cancelled entry is not a locked device, and
    a wrong PIN is neither (PinExpected stays DeviceLocked)."""
    from trezorlib import exceptions
    from trezorlib import messages as m

    from devices import errors
    from devices.trezor_errors import map_errors

    code = getattr(m.FailureType, failure)
    for raised in (
        exceptions.PinException(code, "PIN invalid"),
        exceptions.TrezorFailure(m.Failure(code=code, message="PIN invalid")),
    ):
        if failure == "PinCancelled" and isinstance(raised, exceptions.TrezorFailure):
            continue  # trezorlib turns that Failure into Cancelled itself

        @map_errors
        def call(raised: Exception = raised) -> None:
            raise raised

        with pytest.raises(errors.DeviceError) as info:
            call()
        assert type(info.value) is getattr(errors, error), raised


def test_replay_passphrase_confirmations_are_closed():
    """A Trezor One given a passphrase asks "Access hidden wallet?" and "Use this
    passphrase?" with its buttons while the session opens: the human is told when that is
    over, before the address comes back (else the app's confirm screen stays open)."""
    from devices.base import PromptKind

    asked = PassphraseEntry()
    signer, transport = _replay_signer("trezor_one_passphrase.json", asked)
    address = signer.get_address("eth", ETH_PATH)
    seed = recorded_seed("trezor_one_passphrase.json")
    hidden = SoftwareSigner.from_mnemonic(seed, PASSPHRASE).get_address("eth", ETH_PATH)
    assert address == hidden != SoftwareSigner.from_mnemonic(seed).get_address("eth", ETH_PATH)
    assert asked.asked[0] == "passphrase" and asked.asked[-1] == "finished"
    shown = asked.asked[1:-1]
    assert len(shown) == 2 and all(p.kind is PromptKind.CONFIRM for p in shown)
    assert all(p.device == "Trezor One" for p in shown)
    signer.close()
    assert transport.cursor.finished


# --- live (emulator marker) ----------------------------------------------------------------------


def _emulator_up() -> bool:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.3)
    try:
        s.connect(EMU)
        s.send(b"PINGPING")
        return s.recv(8) == b"PONGPONG"
    except OSError:
        return False
    finally:
        s.close()


@pytest.fixture
def debuglink() -> Any:
    if not _emulator_up():
        pytest.skip("no Trezor emulator on UDP 127.0.0.1:21324 (it is not in any registry)")
    from trezorlib import models
    from trezorlib.debuglink import DebugLink
    from trezorlib.transport.udp import UdpTransport

    link = DebugLink(UdpTransport(f"{EMU[0]}:{EMU[1] + 1}"))
    link.model = models.T1B1
    yield link
    link.close()


@pytest.fixture
def emulator_seed(debuglink: Any) -> str:
    """The seed the emulator holds now (whatever load.py put there)."""
    return trezor_seed(debuglink)


def _live(transcript: Transcript, interaction: Interaction) -> Any:
    from trezorlib.transport.udp import UdpTransport

    from devices.trezor import TrezorSigner

    inner = UdpTransport(f"{EMU[0]}:{EMU[1]}")
    return TrezorSigner(recording_trezor_transport(inner, transcript), interaction)


def _save(transcript: Transcript, name: str) -> None:
    if os.environ.get("TERMWALLET_RECORD") == "1":
        transcript.save(TRANSCRIPTS / name)


def live_transcript(seed: str) -> Transcript:
    """A recording labelled with the emulator's own (random, throwaway) seed."""
    return stamp(Transcript(DEVICE, ""), seed, "the Trezor emulator's DebugLink")


@pytest.mark.emulator
def test_live_scenario(debuglink: Any, emulator_seed: str):
    tr = live_transcript(emulator_seed)
    signer = _live(tr, Recorder(press=debuglink.press_yes))
    out = run_scenario(signer)
    signer.close()
    check_against_device_keys(out)
    check_against_software(out, emulator_seed)
    tr.meta["results"] = out
    _save(tr, "trezor_one_scenario.json")


@pytest.mark.emulator
def test_live_reject(debuglink: Any, emulator_seed: str):
    from devices.errors import UserCancelled

    tr = live_transcript(emulator_seed)
    signer = _live(tr, Recorder(press=debuglink.press_no))
    with pytest.raises(UserCancelled):
        signer.sign_evm_tx(ETH_PATH, LEGACY_TX)
    signer.close()
    _save(tr, "trezor_one_reject.json")


@pytest.fixture
def reload_emulator() -> Any:
    """Loads the emulator with the test seed and a PIN or passphrase protection; afterwards puts
    back the state the other recordings need (no PIN, no passphrase)."""
    from trezorlib.debuglink import TrezorTestContext, load_device
    from trezorlib.transport.udp import UdpTransport

    if not _emulator_up():
        pytest.skip("no Trezor emulator on UDP 127.0.0.1:21324 (it is not in any registry)")
    from trezorlib import models
    from trezorlib.debuglink import DebugLink

    link = DebugLink(UdpTransport(f"{EMU[0]}:{EMU[1] + 1}"))
    link.model = models.T1B1
    link.open()
    try:
        seed = trezor_seed(link)  # whatever the emulator holds; loaded again below
    finally:
        link.close()

    def load(pin: str | None = None, passphrase: bool = False) -> str:
        ctx = TrezorTestContext(
            UdpTransport(f"{EMU[0]}:{EMU[1]}"),
            debug_transport=UdpTransport(f"{EMU[0]}:{EMU[1] + 1}"),
            auto_interact=True,
        )
        try:
            ctx.wipe_device()
            session = ctx.get_seedless_session()
            load_device(
                session, seed, pin=pin, passphrase_protection=passphrase, label="termwallet-emu"
            )
            if pin is not None:
                ctx.lock()  # as a Trezor just plugged in: loading left the PIN entered
        finally:
            ctx.client.transport.close()
            ctx.debug.close()
        return seed

    yield load
    load()


@pytest.mark.emulator
def test_live_wrong_pin(reload_emulator: Any, debuglink: Any):
    from devices.errors import WrongPin

    seed = reload_emulator(pin=PIN)
    tr = stamp(Transcript(DEVICE, ""), seed, "the Trezor emulator's DebugLink")
    tr.meta["pin"] = PIN
    signer = _live(tr, PinEntry())
    with pytest.raises(WrongPin):
        signer.get_address("eth", ETH_PATH)
    signer.close()
    _save(tr, "trezor_one_wrong_pin_entry.json")


@pytest.mark.emulator
def test_live_passphrase(reload_emulator: Any, debuglink: Any):
    seed = reload_emulator(passphrase=True)
    tr = stamp(Transcript(DEVICE, ""), seed, "the Trezor emulator's DebugLink")
    tr.meta["passphrase"] = PASSPHRASE
    asked = PassphraseEntry(press=debuglink.press_yes)
    signer = _live(tr, asked)
    address = signer.get_address("eth", ETH_PATH)
    signer.close()
    assert address == SoftwareSigner.from_mnemonic(seed, PASSPHRASE).get_address("eth", ETH_PATH)
    assert asked.asked[-1] == "finished"
    _save(tr, "trezor_one_passphrase.json")
