"""Where the device tests get their seed, and checks that need none.

A hardware wallet's phrase never touches the computer, and no device test writes one down: the
emulators hold a random throwaway test seed (the Trezor One emulator's `load.py --random 12`,
speculos' `--seed`). Live tests read it from the emulator (Trezor: DebugLink's state; speculos:
TERMWALLET_SPECULOS_SEED, the `--seed` it was started with, since speculos has no way to tell
it). A recording stores it in its meta (`emulator_seed`) with a label saying what it is, and the
replay tests read it from there. Where the check needs no seed at all it uses none: signatures
are verified against the public keys and addresses the device itself gave.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from devices.transcript import Transcript

TRANSCRIPTS = Path(__file__).parent / "transcripts"
SEED_META = "emulator_seed"
XPUB_VERSION = bytes.fromhex("0488b21e")


def trezor_seed(link: Any, *, protected: bool = False) -> str:
    """The mnemonic the Trezor emulator holds, read through DebugLink (DEBUG_LINK firmware).
    Tests of a plain device skip on a PIN- or passphrase-protected one, and the other way
    round (`protected`): each kind answers the device's questions differently."""
    state = link.state()
    pin, passphrase = bool(state.pin), bool(state.passphrase_protection)
    if protected and not (pin and passphrase):
        pytest.skip(
            "needs the Trezor emulator with a PIN and passphrase protection "
            "(load.py --wipe --random 12 --pin 1234 --passphrase)"
        )
    if not protected and (pin or passphrase):
        pytest.skip(
            "the Trezor emulator has a PIN or passphrase protection; this test needs a plain one "
            "(load.py --wipe --random 12); test_trezor_pin.py covers the protected one"
        )
    # (A locked emulator tells no seed: test_trezor_pin.py unlocks it first.)
    words = bytes(state.mnemonic_secret or b"").decode()
    if not words:
        pytest.skip("the Trezor emulator holds no seed: load one (load.py --wipe --random 12)")
    return words


def speculos_seed() -> str:
    """The seed speculos was started with (`--seed`): speculos cannot be asked for it."""
    words = os.environ.get("TERMWALLET_SPECULOS_SEED", "").strip()
    if not words:
        pytest.skip(
            "set TERMWALLET_SPECULOS_SEED to the words speculos was started with (--seed): "
            "the expectations are derived from it"
        )
    return " ".join(words.split())


def stamp(tr: Transcript, seed: str, source: str) -> Transcript:
    """Label the recording with the emulator's seed, so its replay derives from the same one."""
    tr.seed = (
        f"random throwaway emulator test seed, read from {source} at record time and stored in "
        f"meta.{SEED_META}; it never held anything"
    )
    tr.meta[SEED_META] = seed
    return tr


def recorded_seed(name: str) -> str:
    """The emulator's test seed a recording was made with (see stamp)."""
    meta = Transcript.load(TRANSCRIPTS / name).meta
    assert SEED_META in meta, f"{name} does not say which seed the emulator held"
    return str(meta[SEED_META])


def recorded_meta(name: str) -> dict[str, Any]:
    return dict(Transcript.load(TRANSCRIPTS / name).meta)


# --- checks against the device's own public keys (no seed) ---------------------------------


def _hd(xpub: str) -> Any:
    """embit's HDKey for an extended public key of any coin's version bytes (Ltub, tpub, ...):
    the version only names the network, the key material is the same."""
    from embit import base58
    from embit.bip32 import HDKey

    raw = base58.decode_check(xpub)
    return HDKey.parse(XPUB_VERSION + raw[4:])


def key_material(xpub: str) -> bytes:
    """An extended public key without its version bytes (which only name the network)."""
    from embit import base58

    return bytes(base58.decode_check(xpub)[4:])


def child_pubkey(xpub: str, *path: int) -> Any:
    """The embit PublicKey at non-hardened `path` below `xpub`."""
    node = _hd(xpub)
    for i in path:
        node = node.derive([i])
    return node.key


def fingerprint_of_parent(xpub: str) -> bytes:
    return bytes(_hd(xpub).fingerprint)


HRP = {"btc": "bc", "btc-testnet": "tb", "ltc": "ltc", "ltc-testnet": "tltc"}


def segwit_address(chain: str, pub: Any, *, taproot: bool = False) -> str:
    """A P2WPKH (BIP84) or key-path P2TR (BIP86) address of `pub`, encoded with embit."""
    from embit import bech32, hashes

    if taproot:
        return str(bech32.encode(HRP[chain], 1, pub.taproot_tweak(b"").xonly()))
    return str(bech32.encode(HRP[chain], 0, hashes.hash160(pub.sec())))


def eth_address(pub: Any) -> str:
    """The checksummed Ethereum address of an embit PublicKey (keccak of the uncompressed key)."""
    from eth_keys import keys

    return str(keys.PublicKey.from_compressed_bytes(pub.sec()).to_checksum_address())
