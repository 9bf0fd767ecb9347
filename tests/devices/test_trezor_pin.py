"""A Trezor One with a PIN and passphrase protection, through the real TrezorSigner.

Replay (what CI runs): recordings from the Trezor One emulator loaded with a random throwaway
seed, a PIN and passphrase protection (`load.py --wipe --random 12 --pin 1234 --passphrase`).
The One never sees the PIN's digits: it shows them scrambled on its screen and the host sends
their positions. At record time DebugLink tells the matrix on the screen and the PIN; the
replay's Interaction answers with the positions the recording used (its meta), and the replay
fails if the adapter sends anything else. The passphrase is typed on the host (the One has no
on-device entry); the recording's meta holds the random test passphrase.

Checked: the passphrase (hidden) wallet's addresses are the ones the device gave, derive from
the xpub it gave, differ from the standard wallet's on the same device (empty passphrase), and
equal the software signer's for the emulator's seed and that passphrase; the hidden wallet's
signature recovers to its address. A wrong PIN is WrongPin (the device answers PinInvalid).

Live (marker `emulator`): needs the emulator loaded as above (skips with the reason otherwise);
the test locks it first, so the PIN is asked. `TERMWALLET_RECORD=1` rewrites the recordings.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable
from typing import Any

import pytest
from eth_account import Account

from devices.base import OnDevice, PinKind
from devices.emulator import SoftwareSigner
from devices.errors import WrongPin
from devices.transcript import Transcript, TranscriptMismatch
from tests.devices.emulator_seed import (
    TRANSCRIPTS,
    child_pubkey,
    eth_address,
    recorded_meta,
    recorded_seed,
    segwit_address,
    stamp,
    trezor_seed,
)
from tests.devices.test_trezor import (
    DEVICE,
    EMU,
    ETH_PATH,
    LEGACY_TX,
    _live,
    _replay_signer,
    debuglink,  # noqa: F401  (fixture)
)

PROTECTED = "trezor_one_pin_passphrase.json"
WRONG_PIN = "trezor_one_wrong_pin.json"
BTC_PATH = "m/84'/0'/0'/0/0"


class PinPad:
    """The human at a locked Trezor One: answers the PIN matrix with `positions` (at record
    time a callable asking DebugLink, at replay the recorded string), the passphrase with
    `passphrase`, and presses the device's button through `press` (live runs)."""

    def __init__(
        self, positions: str | Callable[[], str], passphrase: str, press: Any = None
    ) -> None:
        self.positions = positions
        self.passphrase = passphrase
        self.press = press
        self.pins: list[tuple[PinKind, str]] = []  # what was asked, what was answered
        self.passphrases = 0

    def get_pin(self, kind: PinKind) -> str:
        answer = self.positions() if callable(self.positions) else self.positions
        self.pins.append((kind, answer))
        return answer

    def get_passphrase(self, *, on_device_ok: bool) -> str | OnDevice:
        assert not on_device_ok, "the Trezor One has no on-device passphrase entry"
        self.passphrases += 1
        return self.passphrase

    def confirm_on_device(self, what: Any) -> None:
        if self.press is not None:
            self.press()

    def finished(self) -> None:
        pass


def wallet_answers(signer: Any, *, sign: bool) -> dict[str, Any]:
    """One wallet's keys and addresses as the device gives them (and a signature)."""
    out: dict[str, Any] = {
        "fingerprint": bytes(signer.master_fingerprint()).hex(),
        "btc_xpub": signer.get_xpub("m/84'/0'/0'"),
        "eth_xpub": signer.get_xpub("m/44'/60'/0'"),
        "btc": signer.get_address("btc", BTC_PATH),
        "eth": signer.get_address("eth", ETH_PATH),
    }
    if sign:
        out["legacy_raw"] = signer.sign_evm_tx(ETH_PATH, LEGACY_TX).raw_transaction.hex()
    return out


def run_protected(open_signer: Callable[[PinPad], Any], hidden: PinPad, standard: PinPad) -> Any:
    """The hidden wallet (PIN, then the passphrase), then the standard wallet of the same
    device (empty passphrase; the device stays unlocked), one connection each."""
    out: dict[str, Any] = {}
    signer = open_signer(hidden)
    try:
        out["hidden"] = wallet_answers(signer, sign=True)
    finally:
        signer.close()
    signer = open_signer(standard)
    try:
        out["standard"] = wallet_answers(signer, sign=False)
    finally:
        signer.close()
    return out


def check_protected(out: dict[str, Any], seed: str, passphrase: str) -> None:
    hidden, standard = out["hidden"], out["standard"]
    for wallet in (hidden, standard):
        # No seed needed: the addresses derive from the xpubs the same wallet gave.
        assert wallet["btc"] == segwit_address("btc", child_pubkey(wallet["btc_xpub"], 0, 0))
        assert wallet["eth"] == eth_address(child_pubkey(wallet["eth_xpub"], 0, 0))
    # The passphrase opens another wallet: nothing of it is the standard wallet's.
    for key in ("fingerprint", "btc_xpub", "eth_xpub", "btc", "eth"):
        assert hidden[key] != standard[key], key
    assert Account.recover_transaction(bytes.fromhex(hidden["legacy_raw"])) == hidden["eth"]
    # And each is what the seed (with and without the passphrase) gives.
    for wallet, words in ((hidden, passphrase), (standard, "")):
        sw = SoftwareSigner.from_mnemonic(seed, words)
        assert wallet["btc"] == sw.get_address("btc", BTC_PATH)
        assert wallet["eth"] == sw.get_address("eth", ETH_PATH)
        assert wallet["btc_xpub"] == sw.get_xpub("m/84'/0'/0'")
        assert wallet["fingerprint"] == sw.master_fingerprint().hex()


def decode_positions(matrix: str, positions: str) -> str:
    """The digits a Trezor One PIN answer stands for, given the matrix the device showed
    (DebugLink's `matrix`; a position is a 1-based index into it, as trezorlib's
    DebugLink.encode_pin makes them)."""
    return "".join(matrix[int(p) - 1] for p in positions)


# --- replay (CI) ---------------------------------------------------------------------------------


def _replayed(name: str) -> tuple[Callable[[PinPad], Any], list[Any]]:
    """Open signers one after another on the same recording."""
    transports: list[Any] = []
    shared: dict[str, Any] = {}

    def open_signer(pad: PinPad) -> Any:
        if "transport" not in shared:
            signer, shared["transport"] = _replay_signer(name, pad)
            transports.append(shared["transport"])
            return signer
        from devices.trezor import TrezorSigner

        return TrezorSigner(shared["transport"], pad)

    return open_signer, transports


def test_replay_pin_and_passphrase_wallets():
    meta = recorded_meta(PROTECTED)
    pin = meta["pin"]
    hidden = PinPad(pin["positions"], meta["passphrase"])
    standard = PinPad(pin["positions"], "")
    open_signer, transports = _replayed(PROTECTED)
    out = run_protected(open_signer, hidden, standard)
    assert transports[0].cursor.finished, "the adapter skipped recorded exchanges"
    assert out == meta["results"]
    check_protected(out, recorded_seed(PROTECTED), meta["passphrase"])
    # The PIN was asked once (the device then stays unlocked), with the recorded positions,
    # which are the PIN's digits on the matrix the device showed.
    assert hidden.pins == [(PinKind.CURRENT, pin["positions"])] and standard.pins == []
    assert decode_positions(pin["matrix"], pin["positions"]) == pin["pin"]
    assert hidden.passphrases == standard.passphrases == 1


def test_replay_other_pin_positions_are_not_what_the_device_received():
    """The PIN answer is part of what the replay checks: other positions fail it."""
    meta = recorded_meta(PROTECTED)
    recorded = meta["pin"]["positions"]
    other = "".join(str(int(p) % 9 + 1) for p in recorded)
    open_signer, _ = _replayed(PROTECTED)
    signer = open_signer(PinPad(other, meta["passphrase"]))
    with pytest.raises(TranscriptMismatch):
        signer.get_address("btc", BTC_PATH)


def test_replay_wrong_pin_is_device_locked():
    meta = recorded_meta(WRONG_PIN)
    pad = PinPad(meta["pin"]["positions"], meta["passphrase"])
    signer, transport = _replay_signer(WRONG_PIN, pad)
    with pytest.raises(WrongPin, match="PIN was wrong"):
        signer.get_address("btc", BTC_PATH)
    signer.close()
    assert transport.cursor.finished
    pin = meta["pin"]
    assert decode_positions(pin["matrix"], pin["positions"]) != pin["pin"]


# --- live (emulator marker) ----------------------------------------------------------------------


def _lock() -> None:
    """Lock the emulator (LockDevice), so the next request asks for the PIN."""
    from trezorlib.client import AppManifest, get_client
    from trezorlib.transport.udp import UdpTransport

    transport = UdpTransport(f"{EMU[0]}:{EMU[1]}")
    transport.open()
    try:
        get_client(AppManifest(app_name="termwallet-tests"), transport).lock()
    finally:
        transport.close()


def _unlock(link: Any) -> None:
    """Unlock the emulator with the PIN DebugLink tells (a locked Trezor One tells no seed)."""
    from trezorlib.client import AppManifest, get_client
    from trezorlib.transport.udp import UdpTransport

    def pin(_msg: Any) -> str:
        state = link.state()
        return str(link.encode_pin(str(state.pin), state.matrix))

    transport = UdpTransport(f"{EMU[0]}:{EMU[1]}")
    transport.open()
    try:
        get_client(
            AppManifest(app_name="termwallet-tests", pin_callback=pin), transport
        ).ensure_unlocked()
    finally:
        transport.close()


@pytest.fixture
def protected_seed(debuglink: Any) -> str:  # noqa: F811
    if debuglink.state().pin:
        _unlock(debuglink)
    return trezor_seed(debuglink, protected=True)


class LivePin:
    """At record time: the positions of the emulator's PIN (or a wrong one) on the matrix it
    shows now, both from DebugLink; remembers what it answered for the recording."""

    def __init__(self, link: Any, *, wrong: bool = False) -> None:
        self.link = link
        self.wrong = wrong
        self.used: dict[str, str] = {}

    def __call__(self) -> str:
        state = self.link.state()
        pin = str(state.pin)
        typed = pin[:-1] + str(int(pin[-1]) % 9 + 1) if self.wrong else pin
        positions = self.link.encode_pin(typed, state.matrix)
        self.used = {"pin": pin, "matrix": str(state.matrix), "positions": positions}
        return positions


def _label(tr: Transcript, pin: LivePin, passphrase: str) -> None:
    tr.meta["pin"] = pin.used
    tr.meta["pin_note"] = "the emulator's throwaway test PIN and the matrix it showed (DebugLink)"
    tr.meta["passphrase"] = passphrase
    tr.meta["passphrase_note"] = "a random throwaway test passphrase typed on the host"


def _save(tr: Transcript, name: str) -> None:
    if os.environ.get("TERMWALLET_RECORD") == "1":
        tr.save(TRANSCRIPTS / name)


@pytest.mark.emulator
def test_live_pin_and_passphrase_wallets(debuglink: Any, protected_seed: str):  # noqa: F811
    _lock()
    tr = stamp(Transcript(DEVICE, ""), protected_seed, "the Trezor emulator's DebugLink")
    passphrase = secrets.token_hex(8)
    pin = LivePin(debuglink)
    hidden = PinPad(pin, passphrase, press=debuglink.press_yes)
    standard = PinPad(pin, "", press=debuglink.press_yes)
    out = run_protected(lambda pad: _live(tr, pad), hidden, standard)
    check_protected(out, protected_seed, passphrase)
    assert len(hidden.pins) == 1 and standard.pins == []
    assert decode_positions(pin.used["matrix"], pin.used["positions"]) == pin.used["pin"]
    tr.meta["results"] = out
    _label(tr, pin, passphrase)
    json.dumps(tr.meta)  # all of it can be stored
    _save(tr, PROTECTED)


@pytest.mark.emulator
def test_live_wrong_pin(debuglink: Any, protected_seed: str):  # noqa: F811
    _lock()
    tr = stamp(Transcript(DEVICE, ""), protected_seed, "the Trezor emulator's DebugLink")
    passphrase = secrets.token_hex(8)
    pin = LivePin(debuglink, wrong=True)
    signer = _live(tr, PinPad(pin, passphrase))
    with pytest.raises(WrongPin, match="PIN was wrong"):
        signer.get_address("btc", BTC_PATH)
    signer.close()
    _label(tr, pin, passphrase)
    _save(tr, WRONG_PIN)


# --- a passphrase (hidden) wallet as a device wallet -----------------------------------------


HIDDEN_WALLET = "trezor_one_passphrase_device_wallet.json"


def read_hidden_wallet(signer: Any, home: Any) -> dict[str, Any]:
    """read_device_keys on the hidden wallet, then store it: what the wallet keeps of it."""
    from wallet.device_wallet import read_device_keys, store_device_wallet
    from wallet.store import Store

    try:
        keys = read_device_keys(signer)
    finally:
        signer.close()
    store = Store(home / "wallet.sqlite")
    try:
        wallet, accounts = store_device_wallet(store, keys)
    finally:
        store.close()
    return {
        "wallet": wallet.to_json(),
        "accounts": {f"{a.family} {a.script.value}": a.address for a in accounts},
        "skipped": {f"{c} {s.value}": why for (c, s), why in keys.skipped.items()},
    }


def check_hidden_wallet(out: dict[str, Any], seed: str, passphrase: str) -> None:
    from wallet.keys import ScriptKind, address_path

    wallet = out["wallet"]
    # It is stored as what it is: a passphrase wallet, named so, with the hidden fingerprint.
    assert wallet["passphrase"] is True and wallet["name"].endswith("(passphrase)")
    hidden = SoftwareSigner.from_mnemonic(seed, passphrase)
    standard = SoftwareSigner.from_mnemonic(seed)
    assert wallet["fingerprint"] == hidden.master_fingerprint().hex()
    assert wallet["fingerprint"] != standard.master_fingerprint().hex()
    assert {"eth eth", "btc p2wpkh", "btc p2tr", "ltc p2wpkh"} <= set(out["accounts"])
    for key, address in out["accounts"].items():
        chain, script = key.split(" ")
        path = address_path(chain, ScriptKind(script))
        assert address == hidden.get_address(chain, path), key
        assert address != standard.get_address(chain, path), key


def test_replay_passphrase_device_wallet(tmp_path: Any):
    meta = recorded_meta(HIDDEN_WALLET)
    pad = PinPad(meta["pin"]["positions"], meta["passphrase"])
    signer, transport = _replay_signer(HIDDEN_WALLET, pad)
    out = read_hidden_wallet(signer, tmp_path)
    assert transport.cursor.finished
    assert out == meta["results"]
    check_hidden_wallet(out, recorded_seed(HIDDEN_WALLET), meta["passphrase"])
    assert pad.passphrases == 1 and [k for k, _ in pad.pins] == [PinKind.CURRENT]


@pytest.mark.emulator
def test_live_passphrase_device_wallet(tmp_path: Any, debuglink: Any, protected_seed: str):  # noqa: F811
    _lock()
    tr = stamp(Transcript(DEVICE, ""), protected_seed, "the Trezor emulator's DebugLink")
    passphrase = secrets.token_hex(8)
    pin = LivePin(debuglink)
    out = read_hidden_wallet(
        _live(tr, PinPad(pin, passphrase, press=debuglink.press_yes)), tmp_path
    )
    check_hidden_wallet(out, protected_seed, passphrase)
    tr.meta["results"] = out
    _label(tr, pin, passphrase)
    _save(tr, HIDDEN_WALLET)
