"""BIP174 PSBT signing for the software signer, on embit's parser, sighashes and signatures.

Why embit (0.8, pure Python with libsecp256k1 through ctypes when present): it parses and
writes BIP174/BIP370/BIP371 PSBTs, computes BIP143 and BIP341 sighashes, and signs with
RFC6979 + low-R grinding (ECDSA) and BIP340 (Schnorr) -- exactly a signer's job, with no
wallet, database or network attached. bdkpython (Rust BDK) is better maintained but signs
only through a descriptor Wallet with its own persistence and knows no Litecoin network;
HWI's psbt module parses but does not sign. What this module adds by hand is policy: which
inputs we sign (P2WPKH and P2TR key path by default), which sighash types we accept, and
checks that a derivation path really yields the key and output it claims. embit's own
`sign_with` puts a taproot signature into the final witness; BIP371 asks a signer for
PSBT_IN_TAP_KEY_SIG, which is what this module writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from devices.errors import DeviceError
from said import Said

PSBT_IN_TAP_KEY_SIG = b"\x13"
SIGHASH_DEFAULT = 0x00
SIGHASH_ALL = 0x01


class PsbtError(DeviceError):
    """The PSBT is malformed or inconsistent; nothing was signed."""

    code = "BAD_PSBT"


class ScriptKind(StrEnum):
    P2WPKH = "p2wpkh"
    P2TR = "p2tr"  # key path only
    # ECDSA inputs of other shapes (P2PKH, P2SH, P2WSH multisig): off by default; the BIP174
    # signer vectors use them.
    OTHER_ECDSA = "other_ecdsa"


DEFAULT_KINDS = frozenset({ScriptKind.P2WPKH, ScriptKind.P2TR})


@dataclass(frozen=True)
class SignResult:
    psbt: bytes
    signed: tuple[int, ...]  # input indexes we added a signature to
    skipped: dict[int, str] = field(default_factory=dict)  # our inputs we refused, and why


def _psbt_class() -> Any:
    """embit's PSBT with one fix. embit 0.8.0 rebuilds the unsigned transaction with
    `sequence or 0xFFFFFFFF` and `version or 2`, so an input with nSequence 0 (BIP341's own
    vectors have one) gets a wrong sighash and a re-serialized PSBT carries a different
    transaction. These subclasses keep the values as parsed; the BIP341 vector test fails
    without them."""
    from embit.psbt import PSBT, InputScope
    from embit.transaction import Transaction, TransactionInput

    class _Input(InputScope):  # type: ignore[misc]
        @property
        def vin(self) -> Any:
            seq = 0xFFFFFFFF if self.sequence is None else self.sequence
            return TransactionInput(self.txid, self.vout, sequence=seq)

    class _Psbt(PSBT):  # type: ignore[misc]
        PSBTIN_CLS = _Input

        @property
        def tx(self) -> Any:
            return Transaction(
                version=2 if self.tx_version is None else self.tx_version,
                locktime=0 if self.locktime is None else self.locktime,
                vin=[inp.vin for inp in self.inputs],
                vout=[out.vout for out in self.outputs],
            )

    return _Psbt


def parse_psbt(data: bytes) -> Any:
    """An embit PSBT (with the fix above), verified: raises PsbtError when malformed."""
    try:
        psbt = _psbt_class().parse(data)
        # Checks every non-witness UTXO against the txid it claims to be.
        psbt.verify(ignore_missing=True)
    except Exception as exc:
        raise PsbtError(
            Said("psbt.not_valid_psbt", "not a valid PSBT ({kind})", kind=type(exc).__name__)
        ) from None
    return psbt


def embit_root(
    secret: bytes, chain_code: bytes, *, depth: int, fingerprint: bytes, index: int
) -> Any:
    from embit.bip32 import HDKey
    from embit.ec import PrivateKey

    return HDKey(PrivateKey(secret), chain_code, None, depth, fingerprint, index)


def sign_psbt(
    data: bytes,
    root: Any,
    *,
    kinds: frozenset[ScriptKind] = DEFAULT_KINDS,
    low_r: bool = True,
) -> SignResult:
    """Add our signatures to `data` (binary PSBT) with the embit HDKey `root` (a master key).

    `low_r` grinds ECDSA nonces for a 32-byte R as Bitcoin Core does (one byte smaller, fee
    estimates assume it); False gives plain RFC6979, which BIP174's signer vectors use."""
    from embit import hashes

    psbt = parse_psbt(data)

    fingerprint = root.my_fingerprint
    signed: list[int] = []
    skipped: dict[int, str] = {}
    for i, inp in enumerate(psbt.inputs):
        ours = [d for d in inp.bip32_derivations.values() if d.fingerprint == fingerprint] or [
            d for _, d in inp.taproot_bip32_derivations.values() if d.fingerprint == fingerprint
        ]
        if not ours:
            continue
        if inp.witness_utxo is None and inp.non_witness_utxo is None:
            skipped[i] = "the input has no UTXO, so its amount is unknown"
            continue
        spk = inp.utxo.script_pubkey
        stype = spk.script_type()
        if stype == "p2tr":
            kind = ScriptKind.P2TR
        elif stype == "p2wpkh":
            kind = ScriptKind.P2WPKH
        else:
            kind = ScriptKind.OTHER_ECDSA
        if kind not in kinds:
            skipped[i] = f"{stype or 'non-standard'} inputs are not signed by this signer"
            continue
        sighash = inp.sighash_type
        if kind is ScriptKind.P2TR:
            if sighash not in (None, SIGHASH_DEFAULT, SIGHASH_ALL):
                skipped[i] = f"sighash type {sighash} is not signed"
                continue
            if _sign_taproot(psbt, i, inp, root, fingerprint, spk, sighash):
                signed.append(i)
            continue
        if sighash not in (None, SIGHASH_ALL):
            skipped[i] = f"sighash type {sighash} is not signed"
            continue
        script = inp.witness_script or inp.redeem_script or spk
        added = False
        for pub, der in inp.bip32_derivations.items():
            if der.fingerprint != fingerprint:
                continue
            child = root.derive(der.derivation)
            if child.get_public_key().sec() != pub.sec():
                raise PsbtError(
                    Said(
                        "psbt.input_derivation_path_does",
                        "input {i}: the derivation path does not give the key it names",
                        i=i,
                    )
                )
            if kind is ScriptKind.P2WPKH:
                if spk.data[2:] != hashes.hash160(pub.sec()):
                    skipped[i] = "the key does not own this output"
                    continue
            elif pub.sec() not in script.data and hashes.hash160(pub.sec()) not in script.data:
                skipped[i] = "the key is not in this input's script"
                continue
            h = psbt.sighash(i, sighash=SIGHASH_ALL)
            inp.partial_sigs[pub] = child.key.sign(h, grind=low_r).serialize() + bytes(
                [SIGHASH_ALL]
            )
            added = True
        if added:
            signed.append(i)
    return SignResult(psbt=psbt.serialize(), signed=tuple(signed), skipped=skipped)


def _sign_taproot(
    psbt: Any, i: int, inp: Any, root: Any, fingerprint: bytes, spk: Any, sighash: int | None
) -> bool:
    for xonly_pub, (leaves, der) in inp.taproot_bip32_derivations.items():
        if der.fingerprint != fingerprint or leaves:
            continue  # script-path keys are not signed here
        child = root.derive(der.derivation)
        if child.xonly() != xonly_pub.xonly():
            raise PsbtError(
                Said(
                    "psbt.input_derivation_path_does",
                    "input {i}: the derivation path does not give the key it names",
                    i=i,
                )
            )
        tweaked = child.key.taproot_tweak(inp.taproot_merkle_root or b"")
        if tweaked.xonly() != spk.data[2:]:
            continue  # not the output key of this input
        try:
            h = psbt.sighash(i, sighash=sighash if sighash is not None else SIGHASH_DEFAULT)
        except Exception:
            raise PsbtError(
                Said(
                    "psbt.input_taproot_signature_needs",
                    "input {i}: a taproot signature needs the UTXO of every input",
                    i=i,
                )
            ) from None
        sig = tweaked.schnorr_sign(h).serialize()
        if sighash not in (None, SIGHASH_DEFAULT):
            sig += bytes([sighash])
        inp.unknown = dict(inp.unknown)  # embit may share a default dict between scopes
        inp.unknown[PSBT_IN_TAP_KEY_SIG] = sig
        return True
    return False
