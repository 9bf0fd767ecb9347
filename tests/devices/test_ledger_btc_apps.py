"""The Ledger Bitcoin app 2.1+ (wallet policies, taproot) and Ledger's Litecoin app, end to end.

Neither app has a prebuilt ELF in any registry or repository found: both were built from
source outside the repository (LedgerHQ/app-bitcoin-new fc8d7ab6 = Bitcoin app 2.4.6, and
LedgerHQ/app-bitcoin b7c6323 with lib-app-bitcoin 4d80fc4, COIN=litecoin = Litecoin app
2.4.6, both with ledger-secure-sdk v25.12.1, API level 25, for Nano X) and run in speculos
0.27.1, seeded with a random throwaway test seed (stored in each recording's meta, see
tests/devices/emulator_seed.py).

Replay (what CI runs): our adapter and ledger-bitcoin's NewClient / LegacyClient exchange APDUs
with a device that answers from the recording; any APDU that differs fails the test. What the
device returned is judged independently of it: addresses and xpubs against the software signer
for the recorded seed, ECDSA signatures against embit's BIP143 sighash and the software
signer's RFC6979 one, the taproot signature against the BIP341 sighash (BIP340 Schnorr, embit)
and Bitcoin Core's script checks (py-bitcoinkernel). The Litecoin send was broadcast to
litecoind regtest and mined when it was recorded; its replay rebuilds the same transaction.

Live (marker `emulator`): TERMWALLET_SPECULOS_BTC24 / TERMWALLET_SPECULOS_BTC24_API name a
speculos running the Bitcoin app 2.1+ (mainnet), TERMWALLET_SPECULOS_LTC /
TERMWALLET_SPECULOS_LTC_API one running the Litecoin app; TERMWALLET_SPECULOS_SEED is the
`--seed` they were started with. `TERMWALLET_RECORD=1` rewrites the transcripts.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import asdict
from typing import Any

import pytest
from embit import ec, hashes
from embit.psbt import DerivationPath
from embit.script import Script, Witness
from embit.transaction import Transaction, TransactionInput, TransactionOutput

from devices import btcmsg
from devices.base import PromptKind
from devices.emulator import SoftwareSigner
from devices.errors import Unsupported, UserCancelled
from devices.psbt import PSBT_IN_TAP_KEY_SIG, _psbt_class, sign_psbt
from devices.transcript import RecordingLedgerDevice, ReplayLedgerDevice, Transcript
from tests.devices.emulator_seed import (
    TRANSCRIPTS,
    child_pubkey,
    recorded_seed,
    speculos_seed,
    stamp,
)
from tests.devices.test_ledger import SEED_SOURCE, _rules
from tests.devices.test_ledger_btc import APPROVE_RULES as LEGACY_APPROVE
from tests.devices.test_ledger_messages import _MessageDriver
from tests.devices.test_trezor import Recorder
from tests.devices.test_trezor_psbt import (
    FEE,
    PAY,
    STRANGER,
    _funding,
    _path,
    build_psbt,
    software_keys,
    verify_signed,
)

BUILT = "built from source with ledger-secure-sdk v25.12.1 (API level 25)"
BTC24_DEVICE = (
    "speculos 0.27.1, Nano X, Bitcoin app 2.4.6 (2.1+ protocol), LedgerHQ/app-bitcoin-new "
    f"fc8d7ab6 COIN=bitcoin, {BUILT}"
)
LTC_DEVICE = (
    "speculos 0.27.1, Nano X, Litecoin app 2.4.6 (legacy protocol), LedgerHQ/app-bitcoin "
    f"b7c6323 + lib-app-bitcoin 4d80fc4 COIN=litecoin, {BUILT}"
)
BTC24 = "ledger_btc24_scenario.json"
BTC24_REJECT = "ledger_btc24_reject.json"
LTC = "ledger_ltc_scenario.json"
LTC_REGTEST = "ledger_ltc_regtest_send.json"
BTC24_READ = "ledger_btc24_device_wallet.json"
LTC_READ = "ledger_ltc_device_wallet.json"

_BOTH = [["button", 1, True], ["button", 2, True], ["button", 2, False], ["button", 1, False]]
_RIGHT = [["button", 2, True], ["button", 2, False]]
# Screens of the Bitcoin app 2.4.6 on a Nano X (speculos' text lines): "Review transaction",
# "Amount", "To", "Fees", "Sign transaction"; an address shown for checking: "Verify bitcoin
# address", "Address (1/2)", "Address (2/2)", "Confirm"; a message: "Review message", ...
BTC24_APPROVE = {
    "version": 1,
    "rules": [
        {"text": "Sign transaction", "actions": _BOTH},
        {"text": "Sign message", "actions": _BOTH},
        {"text": "Confirm", "actions": _BOTH},
        {"regexp": "^(Review|Amount|To|Fees|Verify|Address|Message|Path).*", "actions": _RIGHT},
    ],
}
BTC24_REJECT_RULES = {
    "version": 1,
    "rules": [
        {"text": "Reject transaction", "actions": _BOTH},
        {"regexp": "^(Review|Amount|To|Fees|Sign transaction).*", "actions": _RIGHT},
    ],
}

WPKH_PATHS = ["m/84'/0'/0'/0/0", "m/84'/0'/0'/1/0"]
TR_PATHS = ["m/86'/0'/0'/0/0", "m/86'/0'/0'/1/0"]
DISPLAY_PATHS = ["m/84'/0'/0'/0/1", "m/86'/0'/0'/0/1"]
MESSAGE = b"termwallet ledger 2.1 message"
MESSAGE_PATH = "m/84'/0'/0'/0/0"
LTC_PATHS = ["m/84'/2'/0'/0/0", "m/84'/2'/0'/1/0"]
LTC_DISPLAY = "m/84'/2'/0'/0/1"


def build_taproot_psbt(coin: int, fingerprint: bytes, tr_xpub: str) -> tuple[bytes, list]:
    """Spend one P2TR (BIP86 key path) output of the device's account: pay a stranger, change
    back to the account's taproot change branch."""
    key = child_pubkey(tr_xpub, 0, 0)
    spk = b"\x51\x20" + key.taproot_tweak(b"").xonly()
    spent = [(spk, 100_000)]
    prev = _funding(spk, 100_000, 9)
    change = child_pubkey(tr_xpub, 1, 0)
    vout = [
        TransactionOutput(PAY, Script(b"\x00\x14" + hashes.hash160(STRANGER.sec()))),
        TransactionOutput(
            100_000 - PAY - FEE, Script(b"\x51\x20" + change.taproot_tweak(b"").xonly())
        ),
    ]
    vin = [TransactionInput(prev.txid(), 0, sequence=0xFFFFFFFD)]
    psbt = _psbt_class()(Transaction(version=2, vin=vin, vout=vout, locktime=0))
    psbt.inputs[0].witness_utxo = prev.vout[0]
    psbt.inputs[0].non_witness_utxo = prev
    psbt.inputs[0].taproot_internal_key = key
    psbt.inputs[0].taproot_bip32_derivations[key] = (
        [],
        DerivationPath(fingerprint, _path(f"m/86'/{coin}'/0'/0/0")),
    )
    psbt.outputs[1].taproot_internal_key = change
    psbt.outputs[1].taproot_bip32_derivations[change] = (
        [],
        DerivationPath(fingerprint, _path(f"m/86'/{coin}'/0'/1/0")),
    )
    return psbt.serialize(), spent


def verify_taproot(signed: bytes, spent: list) -> None:
    """The key-path signature verifies against the BIP341 sighash for the output key, and the
    finalized transaction passes Bitcoin Core's script checks."""
    psbt = _psbt_class().parse(signed)
    sig = psbt.inputs[0].unknown[PSBT_IN_TAP_KEY_SIG]
    assert len(sig) == 64  # SIGHASH_DEFAULT
    output_key = ec.PublicKey.from_xonly(spent[0][0][2:])
    assert output_key.schnorr_verify(ec.SchnorrSig.parse(sig), psbt.sighash(0, sighash=0))
    tx = psbt.tx
    tx.vin[0].witness = Witness([sig])
    pbk = pytest.importorskip("pbk", reason="py-bitcoinkernel (test extra) is not installed")
    ktx = pbk.Transaction(tx.serialize())
    outs = [pbk.TransactionOutput(pbk.ScriptPubkey(s), a) for s, a in spent]
    pre = pbk.script.PrecomputedTransactionData(ktx, outs)
    f = pbk.ScriptVerificationFlags
    flags = f.P2SH | f.DERSIG | f.NULLDUMMY | f.CHECKLOCKTIMEVERIFY | f.CHECKSEQUENCEVERIFY
    flags |= f.WITNESS | f.TAPROOT
    assert pbk.ScriptPubkey(spent[0][0]).verify(spent[0][1], ktx, pre, 0, flags)


def _same_rfc6979(signed: bytes, unsigned: bytes, seed: str) -> None:
    """The device's ECDSA signature equals the software signer's plain-RFC6979 one."""
    ((pub, sig),) = _psbt_class().parse(signed).inputs[0].partial_sigs.items()
    software = SoftwareSigner.from_mnemonic(seed)._node_for_psbt()
    rfc6979 = _psbt_class().parse(sign_psbt(unsigned, software, low_r=False).psbt)
    assert rfc6979.inputs[0].partial_sigs[pub] == sig


# --- Bitcoin app 2.1+ -----------------------------------------------------------------------------


def run_btc24(signer: Any, seed_keys: Any = None) -> dict[str, Any]:
    """Every call the Bitcoin 2.1+ replay covers, in the transcript's order. The PSBTs spend
    the keys the device itself gave."""
    out: dict[str, Any] = {"info": asdict(signer.info) | {"kind": signer.info.kind.value}}
    out["taproot_refusal"] = signer.taproot_refusal()
    fp = bytes(signer.master_fingerprint())
    out["fingerprint"] = fp.hex()
    out["xpubs"] = {p: signer.get_xpub(p) for p in ("m/84'/0'/0'", "m/86'/0'/0'")}
    out["addresses"] = {p: signer.get_address("btc", p) for p in WPKH_PATHS + TR_PATHS}
    out["displayed"] = {p: signer.get_address("btc", p, display=True) for p in DISPLAY_PATHS}
    wpkh_unsigned, _ = _wpkh_psbt(fp, out["xpubs"]["m/84'/0'/0'"])
    out["signed_wpkh"] = signer.sign_psbt(wpkh_unsigned, "btc").hex()
    tr_unsigned, _ = build_taproot_psbt(0, fp, out["xpubs"]["m/86'/0'/0'"])
    out["signed_tr"] = signer.sign_psbt(tr_unsigned, "btc").hex()
    out["message"] = signer.sign_btc_message("btc", MESSAGE_PATH, MESSAGE, "legacy").hex()
    return out


def _wpkh_psbt(fp: bytes, wpkh_xpub: str) -> tuple[bytes, list]:
    from tests.devices.test_trezor_psbt import PsbtKeys

    return build_psbt(0, PsbtKeys(fp, wpkh_xpub))


def check_btc24(out: dict[str, Any], seed: str) -> None:
    sw = SoftwareSigner.from_mnemonic(seed)
    assert out["taproot_refusal"] is None
    assert out["fingerprint"] == sw._node_for_psbt().my_fingerprint.hex()
    for path, xpub in out["xpubs"].items():
        assert xpub == sw.get_xpub(path), path
    for path, address in (out["addresses"] | out["displayed"]).items():
        assert address == sw.get_address("btc", path), path
    fp = bytes.fromhex(out["fingerprint"])
    keys = software_keys(seed, 0, taproot=True)
    wpkh_unsigned, wpkh_spent = _wpkh_psbt(fp, keys.wpkh)
    signed = bytes.fromhex(out["signed_wpkh"])
    verify_signed("btc", signed, wpkh_spent)
    _same_rfc6979(signed, wpkh_unsigned, seed)
    assert keys.tr is not None
    _, tr_spent = build_taproot_psbt(0, fp, keys.tr)
    verify_taproot(bytes.fromhex(out["signed_tr"]), tr_spent)
    pub = child_pubkey(keys.wpkh, 0, 0).sec()
    script = btcmsg.single_key_scripts(pub)["p2wpkh"]
    assert btcmsg.verify_legacy(MESSAGE, "btc", script, bytes.fromhex(out["message"]))


def check_btc24_prompts(asked: Recorder) -> None:
    prompts = [a for a in asked.asked if a != "finished"]
    verify = [p.path for p in prompts if p.kind is PromptKind.VERIFY_ADDRESS]
    assert verify == DISPLAY_PATHS
    psbts = [p for p in prompts if p.kind is PromptKind.SIGN_PSBT]
    assert len(psbts) == 2
    for p in psbts:
        assert p.fee is not None and (p.fee.value, p.fee.symbol) == (FEE, "BTC")
        # Only the stranger's output is shown; our change (P2WPKH, then P2TR) is hidden.
        assert [(o.amount.value, o.address[:4]) for o in p.outputs] == [(PAY, "bc1q")]
    assert asked.asked[-1] == "finished"


def _replay(name: str, interaction: Any = None) -> tuple[Any, ReplayLedgerDevice]:
    from devices.ledger import LedgerSigner

    device = ReplayLedgerDevice(Transcript.load(TRANSCRIPTS / name))
    return LedgerSigner(device, interaction, path="tcp:127.0.0.1"), device


def test_replay_bitcoin_21_policies_and_taproot_match_the_seed():
    seed = recorded_seed(BTC24)
    asked = Recorder()
    signer, device = _replay(BTC24, asked)
    out = run_btc24(signer)
    assert device.cursor.finished, "the adapter skipped recorded exchanges"
    assert out["info"]["firmware"] == "Bitcoin 2.4.6"
    check_btc24(out, seed)
    assert out == json.loads((TRANSCRIPTS / BTC24).read_text())["meta"]["results"]
    check_btc24_prompts(asked)


def test_replay_bitcoin_21_tampered_taproot_signature_is_refused():
    """One flipped bit in the app's yielded Schnorr signature and sign_psbt raises."""
    from devices.ledger_btc import LedgerBitcoinError

    tr = Transcript.load(TRANSCRIPTS / BTC24)
    out = tr.meta["results"]
    # The taproot signature comes back as a YIELD (status E000) carrying its 64 bytes.
    sig = bytes.fromhex(out["signed_tr"])
    tap = _psbt_class().parse(sig).inputs[0].unknown[PSBT_IN_TAP_KEY_SIG].hex()
    hits = [i for i, ev in enumerate(tr.events) if ev["op"] == "read" and tap in ev["hex"]]
    assert len(hits) == 1
    ev = tr.events[hits[0]]
    ev["hex"] = ev["hex"].replace(tap, tap[:-2] + format(int(tap[-2:], 16) ^ 1, "02x"))
    from devices.ledger import LedgerSigner

    signer = LedgerSigner(ReplayLedgerDevice(tr), None, path="tcp:127.0.0.1")
    with pytest.raises(LedgerBitcoinError, match="does not verify"):
        run_btc24(signer)


def test_replay_bitcoin_21_rejection_is_user_cancelled():
    asked = Recorder()
    signer, device = _replay(BTC24_REJECT, asked)
    meta = Transcript.load(TRANSCRIPTS / BTC24_REJECT).meta
    with pytest.raises(UserCancelled):
        signer.sign_psbt(bytes.fromhex(meta["unsigned"]), "btc")
    assert device.cursor.finished
    assert asked.asked[-1] == "finished"


def test_older_bitcoin_app_says_it_cannot_sign_taproot():
    """The 2.0.2 recording: the app itself is asked nothing new, the refusal names it."""
    from devices.ledger_btc import app_taproot_refusal

    signer, _ = _replay("ledger_btc_scenario.json")
    assert signer.info.firmware == "Bitcoin 2.0.2"
    refusal = app_taproot_refusal("Bitcoin", "2.0.2")
    assert refusal is not None and "Bitcoin app 2.0.2 cannot sign taproot" in refusal
    assert "2.1 or later" in refusal
    assert app_taproot_refusal("Bitcoin", "2.1.0") is None
    assert app_taproot_refusal("Bitcoin Test", "2.4.6") is None
    assert "Litecoin app 2.4.6" in str(app_taproot_refusal("Litecoin", "2.4.6"))
    # A taproot PSBT is refused by the 2.0.2 app's adapter before any signing APDU.
    seed = recorded_seed("ledger_btc_scenario.json")
    keys = software_keys(seed, 0, taproot=True)
    assert keys.tr is not None
    signer.get_address("btc", WPKH_PATHS[0])
    signer.get_address("btc", WPKH_PATHS[1])
    signer.get_xpub("m/84'/0'/0'")
    with pytest.raises(Unsupported, match=r"Bitcoin app 2\.0\.2 cannot sign taproot"):
        signer.get_address("btc", TR_PATHS[0])


# --- Litecoin app -------------------------------------------------------------------------------


def run_ltc(signer: Any, message_step: Any = contextlib.nullcontext) -> dict[str, Any]:
    out: dict[str, Any] = {"info": asdict(signer.info) | {"kind": signer.info.kind.value}}
    out["taproot_refusal"] = signer.taproot_refusal()
    fp = bytes(signer.master_fingerprint())
    out["fingerprint"] = fp.hex()
    out["xpub"] = signer.get_xpub("m/84'/2'/0'")
    out["addresses"] = {p: signer.get_address("ltc", p) for p in LTC_PATHS}
    out["displayed"] = signer.get_address("ltc", LTC_DISPLAY, display=True)
    from tests.devices.test_trezor_psbt import PsbtKeys

    unsigned, _ = build_psbt(2, PsbtKeys(fp, out["xpub"]))
    out["signed_psbt"] = signer.sign_psbt(unsigned, "ltc").hex()
    with message_step():
        out["message"] = signer.sign_btc_message("ltc", LTC_PATHS[0], MESSAGE, "legacy").hex()
    return out


def check_ltc(out: dict[str, Any], seed: str) -> None:
    sw = SoftwareSigner.from_mnemonic(seed)
    assert out["fingerprint"] == sw._node_for_psbt().my_fingerprint.hex()
    assert out["xpub"] == sw.get_xpub("m/84'/2'/0'")
    for path, address in out["addresses"].items():
        assert address == sw.get_address("ltc", path), path
    assert out["displayed"] == sw.get_address("ltc", LTC_DISPLAY)
    keys = software_keys(seed, 2, taproot=False)
    unsigned, spent = build_psbt(2, keys)
    signed = bytes.fromhex(out["signed_psbt"])
    verify_signed("ltc", signed, spent)
    _same_rfc6979(signed, unsigned, seed)
    pub = child_pubkey(keys.wpkh, 0, 0).sec()
    script = btcmsg.single_key_scripts(pub)["p2wpkh"]
    assert btcmsg.verify_legacy(MESSAGE, "ltc", script, bytes.fromhex(out["message"]))
    assert "Litecoin app 2.4.6 cannot sign taproot" in str(out["taproot_refusal"])


def test_replay_litecoin_app_matches_the_seed():
    seed = recorded_seed(LTC)
    asked = Recorder()
    signer, device = _replay(LTC, asked)
    out = run_ltc(signer)
    assert device.cursor.finished, "the adapter skipped recorded exchanges"
    assert out["info"]["firmware"] == "Litecoin 2.4.6"
    check_ltc(out, seed)
    assert out == json.loads((TRANSCRIPTS / LTC).read_text())["meta"]["results"]
    prompts = [a for a in asked.asked if a != "finished"]
    (psbt,) = [p for p in prompts if p.kind is PromptKind.SIGN_PSBT]
    assert psbt.fee is not None and (psbt.fee.value, psbt.fee.symbol) == (FEE, "LTC")
    assert [(o.amount.value, o.address[:5]) for o in psbt.outputs] == [(PAY, "ltc1q")]


def _refused(name: str, call: Any) -> str:
    """`call` raises Unsupported on a replay of `name` after asking the device only which app
    is open (GET VERSION): nothing to sign or show reached it. The recording's first
    calls (app check, fingerprint) are replayed first; any other APDU would fail the replay."""
    signer, device = _replay(name, Recorder())
    signer.taproot_refusal()
    signer.master_fingerprint()
    start = device.cursor.pos
    with pytest.raises(Unsupported) as info:
        call(signer)
    asked = device.cursor.events[start : device.cursor.pos]
    assert asked and {e["hex"] for e in asked if e["op"] == "write"} == {"b001000000"}
    return str(info.value)


def test_litecoin_app_refuses_taproot_and_other_coin_types_before_the_device():
    seed = recorded_seed(LTC)
    keys = software_keys(seed, 2, taproot=True)
    fp = SoftwareSigner.from_mnemonic(seed)._node_for_psbt().my_fingerprint
    assert keys.tr is not None
    taproot, _ = build_taproot_psbt(2, fp, keys.tr)
    refusal = _refused(LTC, lambda s: s.sign_psbt(taproot, "ltc"))
    assert "Litecoin app 2.4.6 cannot sign taproot" in refusal
    refusal = _refused(LTC, lambda s: s.get_address("ltc", "m/86'/2'/0'/0/0"))
    assert "Litecoin app 2.4.6 cannot sign taproot" in refusal
    refusal = _refused(LTC, lambda s: s.get_address("ltc-testnet", "m/84'/1'/0'/0/0"))
    assert "coin type" in refusal
    testnet = build_psbt(1, software_keys(seed, 1, taproot=False))[0]
    assert "coin type" in _refused(LTC, lambda s: s.sign_psbt(testnet, "ltc-regtest"))


def test_replay_litecoin_regtest_send_litecoind_mined():
    """The transaction the Litecoin app signed, which litecoind accepted and mined when it was
    recorded (txid in the meta): the replay rebuilds exactly that transaction."""
    meta = Transcript.load(TRANSCRIPTS / LTC_REGTEST).meta
    signer, device = _replay(LTC_REGTEST, Recorder())
    signer.master_fingerprint()
    signer.get_xpub("m/84'/2'/0'")  # the calls the recording made, in its order
    signed = signer.sign_psbt(bytes.fromhex(meta["unsigned"]), "ltc-regtest")
    assert device.cursor.finished
    raw, txid = _finalize(signed)
    assert (raw.hex(), txid) == (meta["raw_tx"], meta["txid"])
    assert meta["confirmations"] >= 1
    assert meta["emulator_seed"] == recorded_seed(LTC_REGTEST)
    spent = [(bytes.fromhex(s), a) for s, a in meta["spent"]]
    verify_signed("ltc-regtest", signed, spent)


def _finalize(signed: bytes) -> tuple[bytes, str]:
    psbt = _psbt_class().parse(signed)
    tx = psbt.tx
    for i, inp in enumerate(psbt.inputs):
        ((pub, sig),) = inp.partial_sigs.items()
        tx.vin[i].witness = Witness([sig, pub.sec()])
    return tx.serialize(), tx.txid().hex()


# --- device wallets: what each app gives, and what it says it cannot ------------------------------


def run_read(signer: Any) -> dict[str, Any]:
    """wallet/device_wallet.read_device_keys on the app (silently: no screen)."""
    from wallet.device_wallet import read_device_keys

    keys = read_device_keys(signer)
    return {
        "fingerprint": keys.fingerprint,
        "xpubs": {f"{c} {s.value}": x for (c, s), x in keys.xpubs.items()},
        "skipped": {f"{c} {s.value}": why for (c, s), why in keys.skipped.items()},
    }


def check_read_btc24(out: dict[str, Any], seed: str) -> None:
    sw = SoftwareSigner.from_mnemonic(seed)
    assert out["xpubs"] == {
        "btc p2wpkh": sw.get_xpub("m/84'/0'/0'"),
        "btc p2tr": sw.get_xpub("m/86'/0'/0'"),  # the 2.1+ app signs taproot: read
    }
    assert "open the Litecoin app" in out["skipped"]["ltc p2wpkh"]
    assert "btc p2tr" not in out["skipped"]


def check_read_ltc(out: dict[str, Any], seed: str) -> None:
    sw = SoftwareSigner.from_mnemonic(seed)
    assert out["xpubs"] == {"ltc p2wpkh": sw.get_xpub("m/84'/2'/0'")}
    assert "no test network" in out["skipped"]["ltc-testnet p2wpkh"]
    assert "open the Bitcoin app" in out["skipped"]["btc p2tr"]


@pytest.mark.parametrize(
    ("name", "check"), [(BTC24_READ, check_read_btc24), (LTC_READ, check_read_ltc)]
)
def test_replay_device_wallet_read(name: str, check: Any):
    signer, device = _replay(name)
    out = run_read(signer)
    assert device.cursor.finished
    check(out, recorded_seed(name))
    assert out == Transcript.load(TRANSCRIPTS / name).meta["results"]


def test_device_wallet_of_an_older_bitcoin_app_says_taproot_is_not_signed():
    """The 2.0.2 app's account read (recorded for test_ledger_btc.py's scenario is not a
    read, so this asks the adapter's rule directly, as read_device_keys does)."""
    from devices.ledger_btc import app_taproot_refusal

    refusal = app_taproot_refusal("Bitcoin", "2.0.2")
    assert refusal == (
        "Ledger's Bitcoin app 2.0.2 cannot sign taproot: that needs Bitcoin app 2.1 or later. "
        "Update the app in Ledger Live, or spend it with the software wallet or a Trezor."
    )


# --- live (emulator marker) ----------------------------------------------------------------------


def _speculos(var: str, what: str) -> tuple[str, str]:
    apdu, api = os.environ.get(var), os.environ.get(f"{var}_API")
    if not apdu or not api:
        pytest.skip(
            f"no speculos with {what}: set {var} and {var}_API (the app is built from source, "
            "see the module docstring; no ELF is in any registry)"
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
def test_live_bitcoin_21():
    apdu, api = _speculos("TERMWALLET_SPECULOS_BTC24", "the Bitcoin app 2.1+")
    seed = speculos_seed()
    _rules(api, BTC24_APPROVE)
    tr = stamp(Transcript(BTC24_DEVICE, ""), seed, SEED_SOURCE)
    asked = Recorder()
    signer = _live(tr, apdu, asked)
    out = run_btc24(signer)
    signer.close()
    check_btc24(out, seed)
    check_btc24_prompts(asked)
    tr.meta["results"] = out
    _save(tr, BTC24)


@pytest.mark.emulator
def test_live_bitcoin_21_reject():
    apdu, api = _speculos("TERMWALLET_SPECULOS_BTC24", "the Bitcoin app 2.1+")
    seed = speculos_seed()
    _rules(api, BTC24_REJECT_RULES)
    keys = software_keys(seed, 0, taproot=True)
    assert keys.tr is not None
    unsigned, _ = build_taproot_psbt(0, keys.fingerprint, keys.tr)
    tr = stamp(Transcript(BTC24_DEVICE, ""), seed, SEED_SOURCE)
    tr.meta["unsigned"] = unsigned.hex()
    signer = _live(tr, apdu, Recorder())
    try:
        with pytest.raises(UserCancelled):
            signer.sign_psbt(unsigned, "btc")
    finally:
        _rules(api, BTC24_APPROVE)
        signer.close()
    _save(tr, BTC24_REJECT)


@pytest.mark.emulator
def test_live_litecoin_app():
    apdu, api = _speculos("TERMWALLET_SPECULOS_LTC", "Ledger's Litecoin app")
    seed = speculos_seed()
    _rules(api, LEGACY_APPROVE)
    tr = stamp(Transcript(LTC_DEVICE, ""), seed, SEED_SOURCE)
    signer = _live(tr, apdu, Recorder())
    out = run_ltc(signer, lambda: _MessageDriver(api))
    signer.close()
    check_ltc(out, seed)
    tr.meta["results"] = out
    _save(tr, LTC)


@pytest.mark.emulator
def test_live_litecoin_regtest_send(regtest: Any):
    """A real regtest coin of the device's key (m/84'/2'/0'/0/0: the Litecoin app's coin
    type), spent by a transaction the Litecoin app signs; litecoind accepts and mines it."""
    from tests.devices.test_trezor_psbt import PsbtKeys

    apdu, api = _speculos("TERMWALLET_SPECULOS_LTC", "Ledger's Litecoin app")
    seed = speculos_seed()
    _rules(api, LEGACY_APPROVE)
    tr = stamp(Transcript(LTC_DEVICE, ""), seed, SEED_SOURCE)
    signer = _live(tr, apdu, Recorder())
    try:
        fp = bytes(signer.master_fingerprint())
        keys = PsbtKeys(fp, signer.get_xpub("m/84'/2'/0'"))
        key = child_pubkey(keys.wpkh, 0, 0)
        spk = b"\x00\x14" + hashes.hash160(key.sec())
        address = Script(spk).address({"bech32": "rltc", "p2pkh": b"", "p2sh": b""})
        amount = 200_000
        fund_txid = regtest.fund(address, amount)
        regtest.mine(1)
        prev = Transaction.parse(
            bytes.fromhex(regtest.rpc("getrawtransaction", fund_txid, False, wallet=None))
        )
        vout = next(i for i, o in enumerate(prev.vout) if o.script_pubkey.data == spk)
        dest = regtest.rpc("getnewaddress", "", "bech32")
        dest_spk = bytes.fromhex(regtest.rpc("getaddressinfo", dest)["scriptPubKey"])
        change = child_pubkey(keys.wpkh, 1, 0)
        tx = Transaction(
            version=2,
            vin=[TransactionInput(prev.txid(), vout, sequence=0xFFFFFFFD)],
            vout=[
                TransactionOutput(PAY, Script(dest_spk)),
                TransactionOutput(
                    amount - PAY - FEE, Script(b"\x00\x14" + hashes.hash160(change.sec()))
                ),
            ],
            locktime=0,
        )
        psbt = _psbt_class()(tx)
        psbt.inputs[0].non_witness_utxo = prev
        psbt.inputs[0].witness_utxo = prev.vout[vout]
        psbt.inputs[0].bip32_derivations[key] = DerivationPath(fp, _path("m/84'/2'/0'/0/0"))
        psbt.outputs[1].bip32_derivations[change] = DerivationPath(fp, _path("m/84'/2'/0'/1/0"))
        unsigned = psbt.serialize()
        signed = signer.sign_psbt(unsigned, "ltc-regtest")
    finally:
        signer.close()
    raw, txid = _finalize(signed)
    assert regtest.rpc("sendrawtransaction", raw.hex(), wallet=None) == txid
    regtest.mine(1)
    info = regtest.rpc("getrawtransaction", txid, True, wallet=None)
    assert info["confirmations"] >= 1
    tr.meta.update(
        unsigned=unsigned.hex(),
        raw_tx=raw.hex(),
        txid=txid,
        confirmations=info["confirmations"],
        spent=[[spk.hex(), amount]],
    )
    _save(tr, LTC_REGTEST)


@pytest.mark.emulator
@pytest.mark.parametrize(
    ("var", "what", "name", "check", "device"),
    [
        (
            "TERMWALLET_SPECULOS_BTC24",
            "the Bitcoin app 2.1+",
            BTC24_READ,
            check_read_btc24,
            BTC24_DEVICE,
        ),
        ("TERMWALLET_SPECULOS_LTC", "Ledger's Litecoin app", LTC_READ, check_read_ltc, LTC_DEVICE),
    ],
)
def test_live_device_wallet_read(var: str, what: str, name: str, check: Any, device: str):
    apdu, _ = _speculos(var, what)
    seed = speculos_seed()
    tr = stamp(Transcript(device, ""), seed, SEED_SOURCE)
    signer = _live(tr, apdu)
    try:
        out = run_read(signer)
    finally:
        signer.close()
    check(out, seed)
    tr.meta["results"] = out
    _save(tr, name)
