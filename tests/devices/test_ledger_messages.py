"""Issue 20 on a Ledger: EIP-191 personal_sign and an EIP-2930 (type 1) transaction on the
Ethereum app, a legacy signed message on the Bitcoin app, and what each app refuses by name
(domain-only EIP-712 in hashed mode, BIP322, Litecoin on the Bitcoin app).

Replay (what CI runs): recorded against speculos 0.25.5 (Nano X) with the apps of
test_ledger.py and test_ledger_btc.py and a random throwaway seed kept in the recording's
meta. Results are checked against the device's own answers (signatures recover to the address
or key it gave) and against the software signer for the recorded seed (RFC 6979 on both
sides, so the bytes are equal). Live (marker `emulator`): as test_ledger.py and
test_ledger_btc.py; `TERMWALLET_RECORD=1` rewrites the transcripts.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct

from devices.emulator import EvmTx, SoftwareSigner
from devices.errors import Unsupported, WrongApp
from devices.models import AccessListEntry
from devices.transcript import RecordingLedgerDevice, ReplayLedgerDevice, Transcript
from tests.devices.emulator_seed import TRANSCRIPTS, recorded_seed, speculos_seed, stamp
from tests.devices.test_ledger import APPROVE_RULES as ETH_RULES
from tests.devices.test_ledger import DEVICE as ETH_DEVICE
from tests.devices.test_ledger import SEED_SOURCE, _rules
from tests.devices.test_ledger_btc import APPROVE_RULES as BTC_RULES
from tests.devices.test_ledger_btc import DEVICE as BTC_DEVICE
from tests.devices.test_trezor import ETH_PATH, TO, Recorder

ETH_SCENARIO = "ledger_eth_messages.json"
BTC_SCENARIO = "ledger_btc_message.json"
MESSAGE = b"I own this address: termwallet issue 20"
# Longer than one APDU (255 bytes with the path and length): the app gets it in chunks.
LONG = b"Long terms of service line.\n" * 12
BTC_PATH = "m/84'/0'/0'/0/0"
EIP2930_TX = EvmTx(
    chain_id=1,
    nonce=9,
    gas=30_000,
    to=TO,
    value=4242,
    gas_price=3 * 10**9,
    access_list=(
        AccessListEntry(
            address="0xde0B295669a9FD93d5F28D9Ec85E40f4cb697BAe",
            storage_keys=("0x" + "00" * 31 + "07",),
        ),
    ),
)
DOMAIN_ONLY = {
    "types": {"EIP712Domain": [{"name": "name", "type": "string"}]},
    "primaryType": "EIP712Domain",
    "domain": {"name": "termwallet"},
    "message": {},
}


class _Nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def _no_step(name: str) -> _Nothing:
    return _Nothing()


def run_eth(signer: Any, step: Any = _no_step) -> dict[str, Any]:
    out: dict[str, Any] = {"address": signer.get_address("eth", ETH_PATH)}
    with step("message"):
        out["personal_sig"] = signer.sign_message(ETH_PATH, MESSAGE).hex()
    with step("message"):
        out["long_sig"] = signer.sign_message(ETH_PATH, LONG).hex()
    with step("tx"):
        out["eip2930_raw"] = signer.sign_evm_tx(ETH_PATH, EIP2930_TX).raw_transaction.hex()
    with pytest.raises(Unsupported, match="domain-only"):
        signer.sign_typed_data(ETH_PATH, DOMAIN_ONLY)
    return out


def check_eth(out: dict[str, Any], seed: str) -> None:
    me = out["address"]
    sig = bytes.fromhex(out["personal_sig"])
    assert Account.recover_message(encode_defunct(primitive=MESSAGE), signature=sig) == me
    long_sig = bytes.fromhex(out["long_sig"])
    assert Account.recover_message(encode_defunct(primitive=LONG), signature=long_sig) == me
    raw = bytes.fromhex(out["eip2930_raw"])
    assert raw[0] == 1 and Account.recover_transaction(raw) == me
    sw = SoftwareSigner.from_mnemonic(seed)
    assert sw.get_address("eth", ETH_PATH) == me
    assert sig == sw.sign_message(ETH_PATH, MESSAGE)
    assert long_sig == sw.sign_message(ETH_PATH, LONG)
    assert raw == sw.sign_evm_tx(ETH_PATH, EIP2930_TX).raw_transaction


def run_btc(signer: Any, step: Any = _no_step) -> dict[str, Any]:
    out: dict[str, Any] = {"address": signer.get_address("btc", BTC_PATH)}
    with step("message"):
        out["legacy_sig"] = signer.sign_btc_message("btc", BTC_PATH, MESSAGE, "legacy").hex()
    with pytest.raises(Unsupported, match="BIP322"):
        signer.sign_btc_message("btc", BTC_PATH, MESSAGE, "bip322")
    return out


def test_litecoin_message_on_the_bitcoin_app_names_the_litecoin_app():
    """Litecoin messages are Ledger's Litecoin app's (test_ledger_btc_apps.py): with the
    Bitcoin app open, only the open app is asked (GET VERSION) and the error names the app."""
    _have(BTC_SCENARIO)
    signer, _ = _replay(BTC_SCENARIO)
    with pytest.raises(WrongApp) as info:
        signer.sign_btc_message("ltc", "m/84'/2'/0'/0/0", MESSAGE, "legacy")
    assert (info.value.wanted, info.value.details["current"]) == ("Litecoin", "Bitcoin")


def check_btc(out: dict[str, Any], seed: str) -> None:
    from wallet.messages import verify

    sig = bytes.fromhex(out["legacy_sig"])
    assert 39 <= sig[0] <= 42  # BIP137: P2WPKH
    from devices import btcmsg

    assert verify("btc", out["address"], MESSAGE, btcmsg.encode(sig)).valid
    assert not verify("btc", out["address"], MESSAGE + b"!", btcmsg.encode(sig)).valid
    sw = SoftwareSigner.from_mnemonic(seed)
    assert sw.get_address("btc", BTC_PATH) == out["address"]
    assert sig == sw.sign_btc_message("btc", BTC_PATH, MESSAGE, "legacy")


def _replay(name: str) -> tuple[Any, ReplayLedgerDevice]:
    from devices.ledger import LedgerSigner

    device = ReplayLedgerDevice(Transcript.load(TRANSCRIPTS / name))
    return LedgerSigner(device, Recorder(), path="tcp:127.0.0.1"), device


def _have(name: str) -> None:
    if not (TRANSCRIPTS / name).exists():
        pytest.skip(f"{name} was not recorded (needs speculos with the app, see the docstring)")


def test_replay_ethereum_messages_and_eip2930():
    _have(ETH_SCENARIO)
    signer, device = _replay(ETH_SCENARIO)
    out = run_eth(signer)
    assert device.cursor.finished, "the adapter skipped recorded exchanges"
    check_eth(out, recorded_seed(ETH_SCENARIO))
    asked = signer._interaction.asked  # type: ignore[attr-defined]
    assert asked, "the user was shown nothing while the Ledger waited"


def test_replay_bitcoin_legacy_message():
    _have(BTC_SCENARIO)
    signer, device = _replay(BTC_SCENARIO)
    out = run_btc(signer)
    assert device.cursor.finished, "the adapter skipped recorded exchanges"
    check_btc(out, recorded_seed(BTC_SCENARIO))
    # What our screen shows beside the Ledger: the SHA-256 the Bitcoin app displays (seen on
    # speculos as "Message hash (1/2)" and "(2/2)" when this was recorded).
    import hashlib

    from devices.base import PromptKind

    asked = signer._interaction.asked  # type: ignore[attr-defined]
    prompts = [p for p in asked if getattr(p, "kind", None) is PromptKind.SIGN_MESSAGE]
    assert prompts and prompts[0].hashes == (hashlib.sha256(MESSAGE).hexdigest(),)


# --- live (emulator marker) ----------------------------------------------------------------


class _MessageDriver:
    """Presses through a message review on speculos: the apps open and close it with the same
    "Sign message" screen, which automation rules (one action per text) cannot tell apart.
    Right on every screen until the message body was seen, then both on "Sign"; both on
    "Approve"/"Accept" (the Bitcoin app first asks to approve the address it signs for)."""

    def __init__(self, api: str) -> None:
        import threading

        self.api = api
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _get(self) -> list[str]:
        import urllib.request

        url = f"http://{self.api}/events?currentscreenonly=true"
        with urllib.request.urlopen(url, timeout=5) as r:
            return [e["text"].strip() for e in json.loads(r.read())["events"]]

    def _press(self, button: str) -> None:
        import urllib.request

        req = urllib.request.Request(
            f"http://{self.api}/button/{button}",
            data=b'{"action":"press-and-release"}',
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        urllib.request.urlopen(req, timeout=5).read()

    def _run(self) -> None:
        import time

        seen_body, last = False, None
        deadline = time.monotonic() + 60
        while not self.stop.is_set() and time.monotonic() < deadline:
            screen = self._get()
            if screen == last or not screen or "Application" in screen:
                time.sleep(0.1)
                continue
            last = screen
            first = screen[0]
            if first.startswith(("Approve", "Accept")):
                self._press("both")
            elif first == "Sign" and seen_body:
                self._press("both")
                seen_body = False
            else:
                seen_body = seen_body or first.startswith("Message")
                self._press("right")
            time.sleep(0.2)

    def __enter__(self) -> None:
        _rules(self.api, {"version": 1, "rules": []})
        self.thread.start()

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(5)


def _steps(api: str, rules: dict[str, Any]) -> Any:
    import contextlib

    @contextlib.contextmanager
    def step(name: str) -> Any:
        if name == "message":
            with _MessageDriver(api):
                yield
        else:
            _rules(api, rules)
            yield

    return step


def _live(tr: Transcript, apdu: str) -> Any:
    from devices.ledger import LedgerSigner, tcp_device

    device = RecordingLedgerDevice(tcp_device(apdu), tr)
    return LedgerSigner(device, Recorder(), path="tcp:127.0.0.1")


def _save(tr: Transcript, name: str) -> None:
    if os.environ.get("TERMWALLET_RECORD") == "1":
        tr.save(TRANSCRIPTS / name)


@pytest.mark.emulator
def test_live_ethereum_messages_and_eip2930():
    apdu, api = os.environ.get("TERMWALLET_SPECULOS"), os.environ.get("TERMWALLET_SPECULOS_API")
    if not apdu or not api:
        pytest.skip("no speculos with the Ethereum app: set TERMWALLET_SPECULOS(_API)")
    seed = speculos_seed()
    _rules(api, ETH_RULES)
    tr = stamp(Transcript(ETH_DEVICE, ""), seed, SEED_SOURCE)
    signer = _live(tr, apdu)
    try:
        out = run_eth(signer, _steps(api, ETH_RULES))
    finally:
        signer.close()
    check_eth(out, seed)
    tr.meta["results"] = json.loads(json.dumps(out))
    _save(tr, ETH_SCENARIO)


@pytest.mark.emulator
def test_live_bitcoin_legacy_message():
    apdu = os.environ.get("TERMWALLET_SPECULOS_BTC")
    api = os.environ.get("TERMWALLET_SPECULOS_BTC_API")
    if not apdu or not api:
        pytest.skip("no speculos with the Bitcoin app: set TERMWALLET_SPECULOS_BTC(_API)")
    seed = speculos_seed()
    _rules(api, BTC_RULES)
    tr = stamp(Transcript(BTC_DEVICE, ""), seed, SEED_SOURCE)
    signer = _live(tr, apdu)
    try:
        out = run_btc(signer, _steps(api, BTC_RULES))
    finally:
        signer.close()
    check_btc(out, seed)
    tr.meta["results"] = out
    _save(tr, BTC_SCENARIO)
