"""PSBT signing: BIP174's signer vectors, BIP341's key-path vectors, and our own spends checked
by Bitcoin Core's consensus code (py-bitcoinkernel), for Bitcoin and Litecoin."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from embit import ec
from embit.psbt import PSBT, DerivationPath
from embit.script import Script
from embit.transaction import Transaction, TransactionInput, TransactionOutput

from devices.emulator import SoftwareSigner
from devices.psbt import (
    PSBT_IN_TAP_KEY_SIG,
    PsbtError,
    ScriptKind,
    _psbt_class,
    embit_root,
    sign_psbt,
)

VECTORS = Path(__file__).parent / "vectors"
ABANDON = "abandon " * 11 + "about"


def load(name: str) -> dict:
    return json.loads((VECTORS / name).read_text())


BIP174 = load("bip174_signer.json")


@pytest.mark.parametrize("n", [0, 1])
def test_bip174_signer_vectors(n: int):
    """Plain RFC6979 (as the vectors use) gives exactly the signatures BIP174 lists."""
    signer = SoftwareSigner.from_xprv(BIP174["master_tprv"])
    result = sign_psbt(
        bytes.fromhex(BIP174["unsigned_psbt_hex"]),
        signer._node_for_psbt(),
        kinds=frozenset(ScriptKind),
        low_r=False,
    )
    assert result.signed == (0, 1)
    ours = PSBT.parse(result.psbt)
    expected = PSBT.parse(bytes.fromhex(BIP174["signers"][n]["signed_psbt_hex"]))
    compared = 0
    for i, inp in enumerate(expected.inputs):
        for pub, sig in inp.partial_sigs.items():
            assert ours.inputs[i].partial_sigs[pub] == sig
            compared += 1
    assert compared == len(BIP174["signers"][n]["keys"])


def test_bip174_inputs_are_not_signed_by_default():
    """Its inputs are P2SH multisig and P2SH-P2WSH: outside what the signer signs."""
    signer = SoftwareSigner.from_xprv(BIP174["master_tprv"])
    result = sign_psbt(bytes.fromhex(BIP174["unsigned_psbt_hex"]), signer._node_for_psbt())
    assert result.signed == ()
    assert set(result.skipped) == {0, 1}


def test_low_r_signatures_are_valid_and_short():
    signer = SoftwareSigner.from_xprv(BIP174["master_tprv"])
    result = sign_psbt(
        bytes.fromhex(BIP174["unsigned_psbt_hex"]),
        signer._node_for_psbt(),
        kinds=frozenset(ScriptKind),
    )
    psbt = PSBT.parse(result.psbt)
    for i, inp in enumerate(psbt.inputs):
        h = psbt.sighash(i)
        for pub, sig in inp.partial_sigs.items():
            assert len(sig) <= 71
            assert pub.verify(ec.Signature.parse(sig[:-1]), h)


BIP341 = load("bip341_keypath.json")["keyPathSpending"][0]


def _bip341_psbt(case: dict) -> tuple[bytes, object]:
    tx = Transaction.parse(bytes.fromhex(BIP341["given"]["rawUnsignedTx"]))
    psbt = _psbt_class()(tx)
    for inp, utxo in zip(psbt.inputs, BIP341["given"]["utxosSpent"], strict=True):
        inp.witness_utxo = TransactionOutput(
            utxo["amountSats"], Script(bytes.fromhex(utxo["scriptPubKey"]))
        )
    g = case["given"]
    # The vector gives a bare key: make it a depth-0 HD root so the signer's path runs.
    root = embit_root(
        bytes.fromhex(g["internalPrivkey"]), bytes(32), depth=0, fingerprint=bytes(4), index=0
    )
    inp = psbt.inputs[g["txinIndex"]]
    inp.taproot_bip32_derivations[root.get_public_key()] = (
        [],
        DerivationPath(root.my_fingerprint, []),
    )
    if g["merkleRoot"]:
        inp.taproot_merkle_root = bytes.fromhex(g["merkleRoot"])
    if g["hashType"]:
        inp.sighash_type = g["hashType"]
    return psbt.serialize(), root


@pytest.mark.parametrize(
    "case", BIP341["inputSpending"], ids=lambda c: f"input{c['given']['txinIndex']}"
)
def test_bip341_key_path_vectors(case: dict):
    data, root = _bip341_psbt(case)
    i = case["given"]["txinIndex"]
    hash_type = case["given"]["hashType"]
    result = sign_psbt(data, root)
    if hash_type not in (0, 1):
        # SINGLE, NONE and ANYONECANPAY let others change the transaction: refused.
        assert result.signed == () and i in result.skipped
        return
    assert result.signed == (i,)
    sig = PSBT.parse(result.psbt).inputs[i].unknown[PSBT_IN_TAP_KEY_SIG]
    assert len(sig) == (64 if hash_type == 0 else 65)
    spk = bytes.fromhex(BIP341["given"]["utxosSpent"][i]["scriptPubKey"])
    output_key = ec.PublicKey.from_xonly(spk[2:])
    # BIP340 signatures carry fresh randomness, so the witness is not byte-equal to the
    # vector's; it must verify against the vector's sighash and output key.
    assert output_key.schnorr_verify(
        ec.SchnorrSig.parse(sig[:64]), bytes.fromhex(case["intermediary"]["sigHash"])
    )


def test_embit_sequence_zero_fix_is_needed():
    """The vector's input 0 has nSequence 0; plain embit would rebuild it as 0xffffffff."""
    raw = bytes.fromhex(BIP341["given"]["rawUnsignedTx"])
    tx = Transaction.parse(raw)
    assert tx.vin[0].sequence == 0
    assert _psbt_class()(tx).tx.serialize() == raw
    assert PSBT(tx).tx.serialize() != raw


# --- our own spends, judged by libbitcoinkernel ------------------------------------------


def _spend(
    signer: SoftwareSigner, coin: int, hrp_chain: str
) -> tuple[bytes, list[tuple[bytes, int]]]:
    """A PSBT spending a P2WPKH and a P2TR output of `signer` plus a stranger's P2WPKH."""
    wpkh_path = f"m/84'/{coin}'/0'/0/0"
    tr_path = f"m/86'/{coin}'/0'/0/0"
    root = signer._node_for_psbt()
    fp = root.my_fingerprint
    wpkh_key = root.derive(wpkh_path)
    tr_key = root.derive(tr_path)
    stranger = ec.PrivateKey(bytes([7]) * 32)
    spent = [
        (b"\x00\x14" + __import__("embit").hashes.hash160(wpkh_key.sec()), 150_000),
        (b"\x51\x20" + tr_key.key.taproot_tweak(b"").xonly(), 250_000),
        (b"\x00\x14" + __import__("embit").hashes.hash160(stranger.sec()), 50_000),
    ]
    vin = [
        TransactionInput(bytes([i + 1]) * 32, i, sequence=seq)
        for i, seq in enumerate((0xFFFFFFFD, 0, 0xFFFFFFFF))
    ]
    vout = [TransactionOutput(440_000, Script(b"\x00\x14" + bytes(20)))]
    psbt = _psbt_class()(Transaction(version=2, vin=vin, vout=vout, locktime=0))
    for inp, (spk, amount) in zip(psbt.inputs, spent, strict=True):
        inp.witness_utxo = TransactionOutput(amount, Script(spk))
    p0 = [
        int(x.rstrip("'")) + (0x80000000 if x.endswith("'") else 0)
        for x in wpkh_path.split("/")[1:]
    ]
    p1 = [
        int(x.rstrip("'")) + (0x80000000 if x.endswith("'") else 0) for x in tr_path.split("/")[1:]
    ]
    psbt.inputs[0].bip32_derivations[wpkh_key.get_public_key()] = DerivationPath(fp, p0)
    psbt.inputs[1].taproot_bip32_derivations[tr_key.get_public_key()] = ([], DerivationPath(fp, p1))
    # The addresses the signer shows are the outputs being spent.
    assert signer.get_address(hrp_chain, wpkh_path).startswith(("bc1q", "ltc1q"))
    return psbt.serialize(), spent


def _finalize(signed: bytes) -> bytes:
    """Extract a transaction with our two inputs' witnesses (a finalizer's job, done by hand
    because embit's finalizer does not read PSBT_IN_TAP_KEY_SIG)."""
    from embit.script import Witness

    psbt = _psbt_class().parse(signed)  # plain embit would turn input 1's nSequence 0 into ~0
    tx = psbt.tx
    ((pub, sig),) = psbt.inputs[0].partial_sigs.items()
    tx.vin[0].witness = Witness([sig, pub.sec()])
    tx.vin[1].witness = Witness([psbt.inputs[1].unknown[PSBT_IN_TAP_KEY_SIG]])
    return tx.serialize()


@pytest.mark.parametrize(("chain", "coin"), [("btc", 0), ("ltc", 2)])
def test_signed_spends_pass_bitcoin_core_script_checks(chain: str, coin: int):
    pbk = pytest.importorskip("pbk", reason="py-bitcoinkernel (test extra) is not installed")
    signer = SoftwareSigner.from_mnemonic(ABANDON)
    unsigned, spent = _spend(signer, coin, chain)
    signed = signer.sign_psbt(unsigned, chain)
    parsed = PSBT.parse(signed)
    assert not parsed.inputs[2].partial_sigs and PSBT_IN_TAP_KEY_SIG not in parsed.inputs[2].unknown
    raw = _finalize(signed)
    tx = pbk.Transaction(raw)
    outputs = [pbk.TransactionOutput(pbk.ScriptPubkey(spk), amt) for spk, amt in spent]
    pre = pbk.script.PrecomputedTransactionData(tx, outputs)
    flags = pbk.ScriptVerificationFlags
    all_flags = flags.P2SH | flags.DERSIG | flags.NULLDUMMY | flags.CHECKLOCKTIMEVERIFY
    all_flags |= flags.CHECKSEQUENCEVERIFY | flags.WITNESS | flags.TAPROOT
    for i in (0, 1):
        spk, amount = spent[i]
        assert pbk.ScriptPubkey(spk).verify(amount, tx, pre, i, all_flags)
    # And a changed amount makes the same signatures fail: the check is real.
    bad = [pbk.TransactionOutput(pbk.ScriptPubkey(spk), amt + 1) for spk, amt in spent]
    bad_pre = pbk.script.PrecomputedTransactionData(tx, bad)
    for i in (0, 1):
        spk, amount = spent[i]
        try:
            ok = pbk.ScriptPubkey(spk).verify(amount + 1, tx, bad_pre, i, all_flags)
        except pbk.ScriptVerifyException:
            ok = False
        assert not ok


def test_a_lying_derivation_path_is_refused():
    signer = SoftwareSigner.from_mnemonic(ABANDON)
    unsigned, _ = _spend(signer, 0, "btc")
    psbt = PSBT.parse(unsigned)
    ((_pub, der),) = psbt.inputs[0].bip32_derivations.items()
    der.derivation[-1] += 1  # the path now names another key
    with pytest.raises(PsbtError, match="derivation path"):
        signer.sign_psbt(psbt.serialize(), "btc")


def test_garbage_is_not_a_psbt():
    signer = SoftwareSigner.from_mnemonic(ABANDON)
    with pytest.raises(PsbtError) as info:
        signer.sign_psbt(b"psbt\xff\x01\x02garbage", "btc")
    assert info.value.code == "BAD_PSBT"
