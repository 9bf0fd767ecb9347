"""PSBT signing on the Trezor (devices/trezor.py + devices/trezor_psbt.py), Bitcoin and Litecoin.

Replay (what CI runs): the exchanges recorded from the real Trezor One emulator (legacy/v1.14.1,
"abandon ... about", no PIN) are replayed through the adapter; every chunk it writes must equal
the recording. The signed PSBTs are then judged independently of the device: each signature
verifies against embit's BIP143/BIP341 sighash, and the finalized transaction passes Bitcoin
Core's script checks (py-bitcoinkernel). ECDSA signatures are compared with the software
signer's plain-RFC6979 signatures (Trezor does not grind for low R).

Live (marker `emulator`): the same PSBTs against the emulator with DebugLink pressing yes;
`TERMWALLET_RECORD=1` rewrites the transcripts.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from embit import ec, hashes
from embit.psbt import PSBT, DerivationPath
from embit.script import Script, Witness
from embit.transaction import Transaction, TransactionInput, TransactionOutput

from devices.base import PromptKind
from devices.emulator import SoftwareSigner
from devices.psbt import PSBT_IN_TAP_KEY_SIG, _psbt_class, sign_psbt
from devices.transcript import Transcript
from tests.devices.test_trezor import (
    DEVICE,
    SEED,
    TRANSCRIPTS,
    Recorder,
    _live,
    _replay_signer,
    debuglink,  # noqa: F401  (fixture)
)

# Someone else's P2WPKH output (a fixed key, so the PSBT is the same on every run).
STRANGER = ec.PrivateKey(bytes([7]) * 32)
PAY = 60_000
FEE = 2_000


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


def build_psbt(coin: int, *, taproot: bool) -> tuple[bytes, list[tuple[bytes, int]]]:
    """Spend a P2WPKH (and a P2TR) output of the seed: pay a stranger, change back to us."""
    root = SoftwareSigner.from_mnemonic(SEED)._node_for_psbt()
    fp = root.my_fingerprint
    wpkh_path = f"m/84'/{coin}'/0'/0/0"
    wpkh = root.derive(wpkh_path)
    spent = [(b"\x00\x14" + hashes.hash160(wpkh.sec()), 100_000)]
    if taproot:
        tr_path = f"m/86'/{coin}'/0'/0/0"
        tr = root.derive(tr_path)
        spent.append((b"\x51\x20" + tr.key.taproot_tweak(b"").xonly(), 50_000))
    prevs = [_funding(spk, amount, i + 1) for i, (spk, amount) in enumerate(spent)]
    vin = [TransactionInput(p.txid(), 0, sequence=0xFFFFFFFD) for p in prevs]
    change_path = f"m/84'/{coin}'/0'/1/0"
    change = root.derive(change_path)
    total = sum(a for _, a in spent)
    vout = [
        TransactionOutput(PAY, Script(b"\x00\x14" + hashes.hash160(STRANGER.sec()))),
        TransactionOutput(total - PAY - FEE, Script(b"\x00\x14" + hashes.hash160(change.sec()))),
    ]
    psbt = _psbt_class()(Transaction(version=2, vin=vin, vout=vout, locktime=0))
    for inp, prev in zip(psbt.inputs, prevs, strict=True):
        inp.non_witness_utxo = prev
        inp.witness_utxo = prev.vout[0]
    psbt.inputs[0].bip32_derivations[wpkh.get_public_key()] = DerivationPath(fp, _path(wpkh_path))
    if taproot:
        psbt.inputs[1].taproot_bip32_derivations[tr.get_public_key()] = (
            [],
            DerivationPath(fp, _path(tr_path)),
        )
    psbt.outputs[1].bip32_derivations[change.get_public_key()] = DerivationPath(
        fp, _path(change_path)
    )
    return psbt.serialize(), spent


CASES = {
    "btc": ("trezor_one_psbt_btc.json", 0, True),
    "ltc": ("trezor_one_psbt_ltc.json", 2, False),  # Litecoin has no taproot on Trezor
}


def check_signed(chain: str, signed: bytes, unsigned: bytes, spent: list[tuple[bytes, int]]):
    """The device's signatures verify (see verify_signed), and its ECDSA signature equals the
    software signer's plain-RFC6979 one for the same key and sighash."""
    verify_signed(chain, signed, spent)
    ((pub, sig),) = _psbt_class().parse(signed).inputs[0].partial_sigs.items()
    software = SoftwareSigner.from_mnemonic(SEED)._node_for_psbt()
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


@pytest.mark.parametrize("chain", sorted(CASES))
def test_replay_psbt_signatures_are_valid(chain: str):
    name, coin, taproot = CASES[chain]
    unsigned, spent = build_psbt(coin, taproot=taproot)
    asked = Recorder()
    signer, transport = _replay_signer(name, asked)
    signed = signer.sign_psbt(unsigned, chain)
    signer.close()
    assert transport.cursor.finished, "the adapter skipped recorded exchanges"
    recorded = json.loads((TRANSCRIPTS / name).read_text())["meta"]
    assert recorded["signed_psbt"] == signed.hex()
    check_signed(chain, signed, unsigned, spent)
    check_prompts(chain, asked)


def test_tampered_signature_fails_the_check():
    """check_signed is not vacuous: one flipped bit in the device's signature fails it."""
    name, coin, taproot = CASES["btc"]
    unsigned, spent = build_psbt(coin, taproot=taproot)
    signed = bytes.fromhex(json.loads((TRANSCRIPTS / name).read_text())["meta"]["signed_psbt"])
    psbt = PSBT.parse(signed)
    ((pub, sig),) = psbt.inputs[0].partial_sigs.items()
    der = bytearray(sig)
    der[10] ^= 1
    psbt.inputs[0].partial_sigs[pub] = bytes(der)
    with pytest.raises(AssertionError):
        check_signed("btc", psbt.serialize(), unsigned, spent)


def test_segwit_v0_input_without_previous_tx_is_refused():
    from devices.errors import Unsupported
    from devices.trezor_psbt import build

    unsigned, _ = build_psbt(0, taproot=False)
    psbt = _psbt_class().parse(unsigned)
    psbt.inputs[0].non_witness_utxo = None
    fp = SoftwareSigner.from_mnemonic(SEED)._node_for_psbt().my_fingerprint
    with pytest.raises(Unsupported, match="non_witness_utxo"):
        build(psbt.serialize(), "btc", fp)
    with pytest.raises(Unsupported, match="not this Trezor's"):
        build(unsigned, "btc", b"\x00\x00\x00\x00")


@pytest.mark.emulator
@pytest.mark.parametrize("chain", sorted(CASES))
def test_live_psbt(chain: str, debuglink: Any):  # noqa: F811
    name, coin, taproot = CASES[chain]
    unsigned, spent = build_psbt(coin, taproot=taproot)
    tr = Transcript(DEVICE, "abandon x11 about (BIP39 test vector), no PIN, no passphrase")
    asked = Recorder(press=debuglink.press_yes)
    signer = _live(tr, asked)
    signed = signer.sign_psbt(unsigned, chain)
    signer.close()
    check_signed(chain, signed, unsigned, spent)
    check_prompts(chain, asked)
    tr.meta["signed_psbt"] = signed.hex()
    if os.environ.get("TERMWALLET_RECORD") == "1":
        tr.save(TRANSCRIPTS / name)
