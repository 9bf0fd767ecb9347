"""Bitcoin and Litecoin message signatures: BIP322 "simple" and the legacy signed message.

Legacy ("Bitcoin Signed Message:\\n", Bitcoin Core's signmessage, BIP137 headers): a 65-byte
recoverable ECDSA signature over the double SHA-256 of the prefixed message. It proves a key,
not a script, so it has no form for taproot; segwit addresses get BIP137's header ranges
(27-34 P2PKH, 35-38 P2SH-P2WPKH, 39-42 P2WPKH), and verification also accepts Electrum's
habit of the P2PKH header for a segwit address of the same key.

BIP322 simple: the witness of a virtual transaction spending an output locked to the address
(`to_spend`, which commits to the message's tagged hash) into an OP_RETURN (`to_sign`). Here
for the single-key scripts this wallet holds: P2WPKH (BIP143 sighash, SIGHASH_ALL) and P2TR
key path (BIP341 sighash; SIGHASH_DEFAULT when we sign, any valid type when we verify).

Hand-rolled on embit (transactions, sighashes, Schnorr) and coincurve (recoverable ECDSA;
installed with bip-utils): PyPI's BIP322 packages are either verify-only bindings of a Rust
crate (`bip322`) or young one-author packages built on other stacks (`bip322-core`), and
what they would replace is small. The vectors are the BIP's own (tests/devices/test_btcmsg.py).
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from devices.errors import DeviceError
from said import Said

BIP322_TAG = "BIP0322-signed-message"
LEGACY_PREFIX = {"btc": b"Bitcoin Signed Message:\n", "ltc": b"Litecoin Signed Message:\n"}
SIGHASH_ALL = 1
_TAPROOT_SIGHASHES = (0x00, 0x01, 0x02, 0x03, 0x81, 0x82, 0x83)


class MessageSignatureError(DeviceError):
    """A message cannot be signed or a signature cannot be read as given."""

    code = "SIGNING_REFUSED"  # same user text as every refused signing request


def _family(chain: str) -> str:
    return "ltc" if chain.startswith("ltc") else "btc"


def _varint(n: int) -> bytes:
    if n < 0xFD:
        return bytes([n])
    if n <= 0xFFFF:
        return b"\xfd" + n.to_bytes(2, "little")
    if n <= 0xFFFFFFFF:
        return b"\xfe" + n.to_bytes(4, "little")
    return b"\xff" + n.to_bytes(8, "little")


def _sha256d(data: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


def _hash160(data: bytes) -> bytes:
    from embit.hashes import hash160

    return bytes(hash160(data))


# --- legacy --------------------------------------------------------------------------------


def legacy_digest(message: bytes, chain: str) -> bytes:
    prefix = LEGACY_PREFIX[_family(chain)]
    return _sha256d(_varint(len(prefix)) + prefix + _varint(len(message)) + message)


# BIP137 header base by script: recid 0..3 is added.
LEGACY_HEADER = {"p2pkh": 31, "p2sh-p2wpkh": 35, "p2wpkh": 39}
# The script a BIP43 purpose's addresses use, for legacy signatures (taproot has none).
LEGACY_SCRIPT_BY_PURPOSE = {44: "p2pkh", 49: "p2sh-p2wpkh", 84: "p2wpkh"}
NO_LEGACY_FOR_TAPROOT = (
    "a legacy signed message proves a key, and a taproot address has no key of that kind: "
    "sign it with BIP322 instead"
)


def sign_legacy_with_key(key: bytes, message: bytes, chain: str, script: str) -> bytes:
    """65 bytes: BIP137 header, r, s (compressed key)."""
    if script not in LEGACY_HEADER:
        raise MessageSignatureError(NO_LEGACY_FOR_TAPROOT)
    from coincurve import PrivateKey

    sig = PrivateKey(key).sign_recoverable(legacy_digest(message, chain), hasher=None)
    return bytes([LEGACY_HEADER[script] + sig[64]]) + sig[:64]


def single_key_scripts(pub: bytes) -> dict[str, bytes]:
    """The scriptPubKeys a compressed key controls alone, by kind."""
    h = _hash160(pub)
    p2wpkh = b"\x00\x14" + h
    return {
        "p2pkh": b"\x76\xa9\x14" + h + b"\x88\xac",
        "p2sh-p2wpkh": b"\xa9\x14" + _hash160(p2wpkh) + b"\x87",
        "p2wpkh": p2wpkh,
    }


def verify_legacy(message: bytes, chain: str, script_pubkey: bytes, sig: bytes) -> bool:
    """Whether `sig` (65 bytes) signs `message` with the key behind `script_pubkey`."""
    if len(sig) != 65 or not 27 <= sig[0] <= 42:
        return False
    from coincurve import PublicKey

    recid = (sig[0] - 27) & 3
    compressed = sig[0] >= 31
    try:
        pub = PublicKey.from_signature_and_message(
            sig[1:] + bytes([recid]), legacy_digest(message, chain), hasher=None
        )
    except Exception:
        return False
    if not compressed:
        uncompressed = pub.format(compressed=False)
        return script_pubkey == b"\x76\xa9\x14" + _hash160(uncompressed) + b"\x88\xac"
    return script_pubkey in single_key_scripts(pub.format()).values()


# --- BIP322 simple ---------------------------------------------------------------------------


def message_hash(message: bytes) -> bytes:
    from embit.hashes import tagged_hash

    return bytes(tagged_hash(BIP322_TAG, message))


def _to_spend(message: bytes, script_pubkey: bytes) -> Any:
    from embit.script import Script
    from embit.transaction import Transaction, TransactionInput, TransactionOutput

    vin = TransactionInput(
        b"\x00" * 32,
        0xFFFFFFFF,
        script_sig=Script(b"\x00\x20" + message_hash(message)),
        sequence=0,
    )
    return Transaction(version=0, vin=[vin], vout=[TransactionOutput(0, Script(script_pubkey))])


def _to_sign(to_spend: Any) -> Any:
    from embit.script import Script
    from embit.transaction import Transaction, TransactionInput, TransactionOutput

    vin = TransactionInput(to_spend.txid(), 0, sequence=0)
    return Transaction(version=0, vin=[vin], vout=[TransactionOutput(0, Script(b"\x6a"))])


def bip322_txids(message: bytes, script_pubkey: bytes) -> tuple[str, str]:
    """(to_spend txid, to_sign txid), hex as block explorers show them."""
    spend = _to_spend(message, script_pubkey)
    return spend.txid().hex(), _to_sign(spend).txid().hex()


def script_for(pub: bytes, purpose: int) -> bytes:
    """The scriptPubKey of a compressed key's BIP84 (P2WPKH) or BIP86 (P2TR) address."""
    from embit import ec
    from embit.script import p2tr

    if purpose == 84:
        return b"\x00\x14" + _hash160(pub)
    if purpose == 86:
        return bytes(p2tr(ec.PublicKey.parse(pub)).data)
    raise MessageSignatureError(
        Said(
            "btcmsg.bip322_signatures_are_made",
            "BIP322 signatures are made here for BIP84 (native segwit) and BIP86 (taproot) paths",
        )
    )


def _kind(script_pubkey: bytes) -> str:
    if len(script_pubkey) == 22 and script_pubkey[:2] == b"\x00\x14":
        return "p2wpkh"
    if len(script_pubkey) == 34 and script_pubkey[:2] == b"\x51\x20":
        return "p2tr"
    raise MessageSignatureError(
        Said(
            "btcmsg.bip322_signatures_are_made_2",
            "BIP322 signatures are made and checked here for native "
            "segwit (P2WPKH) and taproot (P2TR) addresses only",
        )
    )


def _witness_bytes(items: list[bytes]) -> bytes:
    return _varint(len(items)) + b"".join(_varint(len(i)) + i for i in items)


def _parse_witness(data: bytes) -> list[bytes]:
    def read_varint(pos: int) -> tuple[int, int]:
        first = data[pos]
        if first < 0xFD:
            return first, pos + 1
        size = {0xFD: 2, 0xFE: 4, 0xFF: 8}[first]
        return int.from_bytes(data[pos + 1 : pos + 1 + size], "little"), pos + 1 + size

    count, pos = read_varint(0)
    items = []
    for _ in range(count):
        size, pos = read_varint(pos)
        if pos + size > len(data):
            raise ValueError("short witness")
        items.append(data[pos : pos + size])
        pos += size
    if pos != len(data):
        raise ValueError("bytes after the witness")
    return items


def sign_bip322_with_key(key: bytes, message: bytes, script_pubkey: bytes) -> bytes:
    """The BIP322 simple signature (a serialized witness stack) for a key that controls
    `script_pubkey` alone: P2WPKH, or P2TR with that key as its BIP86 internal key."""
    from embit import ec
    from embit.script import Script, p2pkh, p2tr

    kind = _kind(script_pubkey)
    priv = ec.PrivateKey(key)
    pub = priv.get_public_key()
    to_sign = _to_sign(_to_spend(message, script_pubkey))
    if kind == "p2wpkh":
        if b"\x00\x14" + _hash160(pub.sec()) != script_pubkey:
            raise MessageSignatureError(
                Said("btcmsg.key_does_not_belong", "the key does not belong to that address")
            )
        sighash = to_sign.sighash_segwit(0, p2pkh(pub), 0, SIGHASH_ALL)
        sig = priv.sign(sighash).serialize() + bytes([SIGHASH_ALL])
        return _witness_bytes([sig, pub.sec()])
    if p2tr(pub).data != script_pubkey:
        raise MessageSignatureError(
            Said("btcmsg.key_does_not_belong", "the key does not belong to that address")
        )
    tweaked = priv.taproot_tweak(b"")
    sighash = to_sign.sighash_taproot(0, [Script(script_pubkey)], [0], 0)
    return _witness_bytes([tweaked.schnorr_sign(sighash).serialize()])


def verify_bip322(message: bytes, script_pubkey: bytes, signature: bytes) -> bool:
    """Whether `signature` (a serialized witness) is a valid BIP322 simple signature of
    `message` for `script_pubkey` (P2WPKH or P2TR key path)."""
    from embit import ec
    from embit.script import Script, p2pkh

    kind = _kind(script_pubkey)
    try:
        items = _parse_witness(signature)
    except (ValueError, IndexError, KeyError):
        return False
    to_sign = _to_sign(_to_spend(message, script_pubkey))
    try:
        if kind == "p2wpkh":
            if len(items) != 2 or len(items[1]) != 33 or not items[0]:
                return False
            sig, pub_bytes = items
            if sig[-1] != SIGHASH_ALL:
                return False  # BIP322 simple for P2WPKH: SIGHASH_ALL only
            if b"\x00\x14" + _hash160(pub_bytes) != script_pubkey:
                return False
            pub = ec.PublicKey.parse(pub_bytes)
            sighash = to_sign.sighash_segwit(0, p2pkh(pub), 0, SIGHASH_ALL)
            return bool(pub.verify(ec.Signature.parse(sig[:-1]), sighash))
        if len(items) != 1 or len(items[0]) not in (64, 65):
            return False  # script-path spends are not single-key proofs
        sig = items[0]
        hash_type = 0 if len(sig) == 64 else sig[64]
        if len(sig) == 65 and hash_type in (0, *range(0x04, 0x81)):
            return False
        if hash_type not in _TAPROOT_SIGHASHES:
            return False
        sighash = to_sign.sighash_taproot(0, [Script(script_pubkey)], [0], hash_type)
        out_key = ec.PublicKey.from_xonly(script_pubkey[2:])
        return bool(out_key.schnorr_verify(ec.SchnorrSig.parse(sig[:64]), sighash))
    except Exception:
        return False  # a malformed key or signature is not a valid signature


def encode(signature: bytes) -> str:
    return base64.b64encode(signature).decode("ascii")


def decode(text: str) -> bytes:
    try:
        return base64.b64decode(text.strip(), validate=True)
    except Exception:
        raise MessageSignatureError(
            Said("btcmsg.signature_not_base64_text", "the signature is not base64 text")
        ) from None
