"""PSBT signing on the Trezor (devices/trezor.py + devices/trezor_psbt.py), Bitcoin and Litecoin.

Replay (what CI runs): the exchanges recorded from the real Trezor One emulator (legacy/v1.14.1,
a random throwaway test seed, no PIN) are replayed through the adapter; every chunk it writes
must equal the recording. The PSBT spends keys the device itself gave (its master fingerprint
and account xpubs, asked first in the same recording), and the signed PSBT is judged
independently of the device: each signature verifies against embit's BIP143/BIP341 sighash for
those keys, and the finalized transaction passes Bitcoin Core's script checks
(py-bitcoinkernel). ECDSA signatures are also compared with the software signer's plain-RFC6979
signatures for the seed the recording says the emulator held (Trezor does not grind for low R).

Live (marker `emulator`): the same PSBTs against the emulator with DebugLink pressing yes and
telling its seed; `TERMWALLET_RECORD=1` rewrites the transcripts.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

import pytest
from embit import ec, hashes
from embit.psbt import PSBT, DerivationPath
from embit.script import Script, Witness
from embit.transaction import Transaction, TransactionInput, TransactionOutput

from devices.base import PromptKind
from devices.emulator import SoftwareSigner
from devices.psbt import PSBT_IN_TAP_KEY_SIG, _psbt_class, sign_psbt
from tests.devices.emulator_seed import child_pubkey, key_material, recorded_meta, recorded_seed
from tests.devices.test_trezor import (
    TRANSCRIPTS,
    Recorder,
    _live,
    _replay_signer,
    debuglink,  # noqa: F401  (fixture)
    emulator_seed,  # noqa: F401  (fixture)
    live_transcript,
)

# Someone else's P2WPKH output (a fixed key, so the PSBT is the same on every run).
STRANGER = ec.PrivateKey(bytes([7]) * 32)
PAY = 60_000
FEE = 2_000


@dataclass(frozen=True)
class PsbtKeys:
    """The public keys a PSBT for this device is built from: what the device itself gave."""

    fingerprint: bytes
    wpkh: str  # account xpub at m/84'/coin'/0'
    tr: str | None = None  # account xpub at m/86'/coin'/0' (taproot cases)

    def to_json(self) -> dict[str, Any]:
        return {"fingerprint": self.fingerprint.hex(), "wpkh": self.wpkh, "tr": self.tr}

    def material(self) -> tuple[bytes, bytes, bytes | None]:
        tr = key_material(self.tr) if self.tr else None
        return self.fingerprint, key_material(self.wpkh), tr

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> PsbtKeys:
        return cls(bytes.fromhex(body["fingerprint"]), body["wpkh"], body.get("tr"))


def device_keys(signer: Any, coin: int, *, taproot: bool) -> PsbtKeys:
    """Ask the device (or its recording) for the keys the PSBT spends."""
    tr = signer.get_xpub(f"m/86'/{coin}'/0'") if taproot else None
    return PsbtKeys(bytes(signer.master_fingerprint()), signer.get_xpub(f"m/84'/{coin}'/0'"), tr)


def software_keys(seed: str, coin: int, *, taproot: bool) -> PsbtKeys:
    sw = SoftwareSigner.from_mnemonic(seed)
    tr = sw.get_xpub(f"m/86'/{coin}'/0'") if taproot else None
    return PsbtKeys(sw._node_for_psbt().my_fingerprint, sw.get_xpub(f"m/84'/{coin}'/0'"), tr)


def _path(text: str) -> list[int]:
    return [
        int(x.rstrip("'")) + (0x80000000 if x.endswith("'") else 0) for x in text.split("/")[1:]
    ]


def _funding(spk: bytes, amount: int, tag: int) -> Transaction:
    """A previous transaction paying `spk` (its own input is arbitrary: it is never checked
    against a chain here, but the Trezor checks its hash and amount)."""
    vin = [TransactionInput(bytes([tag]) * 32, 0, sequence=0xFFFFFFFE)]
    vin[0].script_sig = Script(b"\x01\x01")
    vout = [TransactionOutput(amount, Script(spk)), TransactionOutput(1_000, Script(b"\x51"))]
    return Transaction(version=2, vin=vin, vout=vout, locktime=0)


def build_psbt(coin: int, keys: PsbtKeys) -> tuple[bytes, list[tuple[bytes, int]]]:
    """Spend a P2WPKH (and, with keys.tr, a P2TR) output of the device's keys: pay a stranger,
    change back to the device."""
    fp = keys.fingerprint
    wpkh_path = f"m/84'/{coin}'/0'/0/0"
    wpkh = child_pubkey(keys.wpkh, 0, 0)
    spent = [(b"\x00\x14" + hashes.hash160(wpkh.sec()), 100_000)]
    if keys.tr is not None:
        tr_path = f"m/86'/{coin}'/0'/0/0"
        tr = child_pubkey(keys.tr, 0, 0)
        spent.append((b"\x51\x20" + tr.taproot_tweak(b"").xonly(), 50_000))
    prevs = [_funding(spk, amount, i + 1) for i, (spk, amount) in enumerate(spent)]
    vin = [TransactionInput(p.txid(), 0, sequence=0xFFFFFFFD) for p in prevs]
    change_path = f"m/84'/{coin}'/0'/1/0"
    change = child_pubkey(keys.wpkh, 1, 0)
    total = sum(a for _, a in spent)
    vout = [
        TransactionOutput(PAY, Script(b"\x00\x14" + hashes.hash160(STRANGER.sec()))),
        TransactionOutput(total - PAY - FEE, Script(b"\x00\x14" + hashes.hash160(change.sec()))),
    ]
    psbt = _psbt_class()(Transaction(version=2, vin=vin, vout=vout, locktime=0))
    for inp, prev in zip(psbt.inputs, prevs, strict=True):
        inp.non_witness_utxo = prev
        inp.witness_utxo = prev.vout[0]
    psbt.inputs[0].bip32_derivations[wpkh] = DerivationPath(fp, _path(wpkh_path))
    if keys.tr is not None:
        psbt.inputs[1].taproot_bip32_derivations[tr] = ([], DerivationPath(fp, _path(tr_path)))
    psbt.outputs[1].bip32_derivations[change] = DerivationPath(fp, _path(change_path))
    return psbt.serialize(), spent


CASES = {
    "btc": ("trezor_one_psbt_btc.json", 0, True),
    "ltc": ("trezor_one_psbt_ltc.json", 2, False),  # Litecoin has no taproot on Trezor
}


def check_signed(
    chain: str, signed: bytes, unsigned: bytes, spent: list[tuple[bytes, int]], seed: str
) -> None:
    """The device's signatures verify (see verify_signed), and its ECDSA signature equals the
    software signer's plain-RFC6979 one for the same key and sighash (`seed`: the one the
    emulator held)."""
    verify_signed(chain, signed, spent)
    ((pub, sig),) = _psbt_class().parse(signed).inputs[0].partial_sigs.items()
    software = SoftwareSigner.from_mnemonic(seed)._node_for_psbt()
    rfc6979 = _psbt_class().parse(sign_psbt(unsigned, software, low_r=False).psbt)
    assert rfc6979.inputs[0].partial_sigs[pub] == sig


def verify_signed(chain: str, signed: bytes, spent: list[tuple[bytes, int]]) -> None:
    """Each signature verifies against embit's sighash, and the finalized transaction passes
    Bitcoin Core's script checks (py-bitcoinkernel)."""
    psbt = _psbt_class().parse(signed)
    tx = psbt.tx
    ((pub, sig),) = psbt.inputs[0].partial_sigs.items()
    assert sig[-1] == 1  # SIGHASH_ALL
    assert pub.verify(ec.Signature.parse(sig[:-1]), psbt.sighash(0))
    tx.vin[0].witness = Witness([sig, pub.sec()])
    if len(spent) > 1:
        tap = psbt.inputs[1].unknown[PSBT_IN_TAP_KEY_SIG]
        assert len(tap) == 64  # SIGHASH_DEFAULT
        output_key = ec.PublicKey.from_xonly(spent[1][0][2:])
        assert output_key.schnorr_verify(ec.SchnorrSig.parse(tap), psbt.sighash(1, sighash=0))
        tx.vin[1].witness = Witness([tap])
    pbk = pytest.importorskip("pbk", reason="py-bitcoinkernel (test extra) is not installed")
    ktx = pbk.Transaction(tx.serialize())
    outs = [pbk.TransactionOutput(pbk.ScriptPubkey(s), a) for s, a in spent]
    pre = pbk.script.PrecomputedTransactionData(ktx, outs)
    f = pbk.ScriptVerificationFlags
    flags = f.P2SH | f.DERSIG | f.NULLDUMMY | f.CHECKLOCKTIMEVERIFY | f.CHECKSEQUENCEVERIFY
    flags |= f.WITNESS | f.TAPROOT
    for i, (spk, amount) in enumerate(spent):
        assert pbk.ScriptPubkey(spk).verify(amount, ktx, pre, i, flags), (chain, i)


def check_prompts(chain: str, asked: Recorder) -> None:
    prompts = [a for a in asked.asked if a != "finished"]
    assert prompts and all(p.kind is PromptKind.SIGN_PSBT for p in prompts)
    p = prompts[0]
    assert p.chain == chain and p.fee is not None and p.fee.value == FEE
    # Only the stranger's output is shown; our change is hidden (the device checks it).
    assert [o.amount.value for o in p.outputs] == [PAY]
    assert p.outputs[0].address.startswith({"btc": "bc1q", "ltc": "ltc1q"}[chain])
    assert asked.asked[-1] == "finished"


def recorded_keys(name: str) -> PsbtKeys:
    """The keys the device gave when the recording was made."""
    return PsbtKeys.from_json(recorded_meta(name)["keys"])


@pytest.mark.parametrize("chain", sorted(CASES))
def test_replay_psbt_signatures_are_valid(chain: str):
    name, coin, taproot = CASES[chain]
    asked = Recorder()
    signer, transport = _replay_signer(name, asked)
    keys = device_keys(signer, coin, taproot=taproot)
    unsigned, spent = build_psbt(coin, keys)
    signed = signer.sign_psbt(unsigned, chain)
    signer.close()
    assert transport.cursor.finished, "the adapter skipped recorded exchanges"
    recorded = json.loads((TRANSCRIPTS / name).read_text())["meta"]
    assert keys == recorded_keys(name)
    assert recorded["signed_psbt"] == signed.hex()
    check_signed(chain, signed, unsigned, spent, recorded_seed(name))
    check_prompts(chain, asked)


def test_tampered_signature_fails_the_check():
    """check_signed is not vacuous: one flipped bit in the device's signature fails it."""
    name, coin, _ = CASES["btc"]
    unsigned, spent = build_psbt(coin, recorded_keys(name))
    signed = bytes.fromhex(json.loads((TRANSCRIPTS / name).read_text())["meta"]["signed_psbt"])
    psbt = PSBT.parse(signed)
    ((pub, sig),) = psbt.inputs[0].partial_sigs.items()
    der = bytearray(sig)
    der[10] ^= 1
    psbt.inputs[0].partial_sigs[pub] = bytes(der)
    with pytest.raises(AssertionError):
        check_signed("btc", psbt.serialize(), unsigned, spent, recorded_seed(name))


def test_segwit_v0_input_without_previous_tx_is_refused():
    from devices.errors import Unsupported
    from devices.trezor_psbt import build

    keys = recorded_keys(CASES["btc"][0])
    unsigned, _ = build_psbt(0, PsbtKeys(keys.fingerprint, keys.wpkh))
    psbt = _psbt_class().parse(unsigned)
    psbt.inputs[0].non_witness_utxo = None
    fp = keys.fingerprint
    with pytest.raises(Unsupported, match="non_witness_utxo"):
        build(psbt.serialize(), "btc", fp)
    with pytest.raises(Unsupported, match="not this Trezor's"):
        build(unsigned, "btc", b"\x00\x00\x00\x00")


@pytest.mark.emulator
@pytest.mark.parametrize("chain", sorted(CASES))
def test_live_psbt(chain: str, debuglink: Any, emulator_seed: str):  # noqa: F811
    name, coin, taproot = CASES[chain]
    tr = live_transcript(emulator_seed)
    asked = Recorder(press=debuglink.press_yes)
    signer = _live(tr, asked)
    keys = device_keys(signer, coin, taproot=taproot)
    # The device's keys are its seed's (Litecoin's xpub differs only in its version bytes).
    assert keys.material() == software_keys(emulator_seed, coin, taproot=taproot).material()
    unsigned, spent = build_psbt(coin, keys)
    signed = signer.sign_psbt(unsigned, chain)
    signer.close()
    check_signed(chain, signed, unsigned, spent, emulator_seed)
    check_prompts(chain, asked)
    tr.meta["keys"] = keys.to_json()
    tr.meta["signed_psbt"] = signed.hex()
    if os.environ.get("TERMWALLET_RECORD") == "1":
        tr.save(TRANSCRIPTS / name)
