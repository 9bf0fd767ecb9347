"""Legacy signed messages ("Bitcoin Signed Message:\\n", BIP137 headers) on a Ledger's Bitcoin
and Litecoin apps, for devices/ledger_btc.py: the legacy protocol's SIGN MESSAGE commands, and
the 2.1+ protocol's SIGN_MESSAGE, whose compressed-P2PKH header is rebased on the path's
address type. Every signature is verified against the app's own key before it is returned."""

from __future__ import annotations

import base64
import hashlib
from typing import TYPE_CHECKING, Any

from devices.base import DevicePrompt, PromptKind
from devices.coins import normalized_path
from devices.emulator import address_purpose
from devices.errors import Unsupported
from devices.ledger_btc_psbt import LedgerBitcoinError, compressed_key
from said import Said

if TYPE_CHECKING:
    from devices.ledger_btc import LedgerBitcoin


def check_format(fmt: str) -> None:
    """Refuse what no Ledger Bitcoin-family app signs, before the device is asked anything."""
    if fmt == "bip322":
        raise Unsupported(
            Said(
                "ledger_btc.ledger_bitcoin_app_does",
                "the Ledger Bitcoin and Litecoin apps do not sign BIP322 messages: use the "
                "legacy format (native segwit addresses), or the software wallet",
            )
        )
    if fmt != "legacy":
        raise Unsupported(
            Said(
                "ledger_btc.no_message_format_bip322",
                "no message format {fmt!r} (bip322 or legacy)",
                fmt=fmt,
            )
        )


def sign_message(
    half: LedgerBitcoin, client: Any, chain: str, path: str, message: bytes, fmt: str
) -> bytes:
    """A legacy signed message (the app hashes "Bitcoin Signed Message:\n", or
    "Litecoin Signed Message:\n" in the Litecoin app), with the BIP137 header of the
    path's address type. The apps have no BIP322 command, so BIP322 is refused by name.
    The signature is checked against the app's own key before it is returned."""
    from devices import btcmsg
    from devices.base import shown_message

    check_format(fmt)
    script = btcmsg.LEGACY_SCRIPT_BY_PURPOSE.get(address_purpose(path))
    if script is None:
        raise Unsupported(btcmsg.NO_LEGACY_FOR_TAPROOT)
    bare = normalized_path(path)
    if half._new:
        from embit import bip32

        key = bip32.HDKey.from_base58(half._raw_xpub(client, bare)).key
        pub = key.sec()
    else:
        raw = half._call(client.app.getWalletPublicKey, bare[2:])["publicKey"]
        pub = compressed_key(bytes(raw))
    if half._interaction is not None:
        half._interaction.confirm_on_device(
            DevicePrompt(
                kind=PromptKind.SIGN_MESSAGE,
                device=half._model,
                chain=chain,
                path=path,
                message=shown_message(message),
                # The legacy apps show the message's SHA-256, not its text.
                hashes=() if half._new else (hashlib.sha256(message).hexdigest(),),
            )
        )
    try:
        if half._new:
            # The 2.1+ app answers with a compressed-P2PKH header (31..34): the recovery
            # id is kept and the header rebased on the path's address type.
            signed = base64.b64decode(half._call(client.sign_message, message, bare))
            if len(signed) != 65 or not 27 <= signed[0] <= 34:
                raise LedgerBitcoinError(
                    Said(
                        "ledger_btc.ledger_s_message_signature_2",
                        "The Ledger's message signature is not in a known format.",
                    )
                )
            sig = bytes([btcmsg.LEGACY_HEADER[script] + ((signed[0] - 27) & 3)]) + signed[1:]
        else:
            # ledger-bitcoin's LegacyClient.sign_message first shows the key's P2PKH
            # address, which is not the address being proved for a segwit path. The same
            # three commands are sent here, the address shown as the path's type.
            segwit = script != "p2pkh"
            native = script == "p2wpkh"
            half._call(client.app.getWalletPublicKey, bare[2:], True, segwit, native)
            half._call(client.app.signMessagePrepare, bare[2:], bytearray(message))
            der = bytes(half._call(client.app.signMessageSign))
            sig = _legacy_from_der(der, btcmsg.LEGACY_HEADER[script])
    finally:
        half._finished()
    if not btcmsg.verify_legacy(message, chain, btcmsg.single_key_scripts(pub)[script], sig):
        raise LedgerBitcoinError(
            Said(
                "ledger_btc.ledger_s_message_signature",
                "The Ledger's message signature does not verify: do not use it.",
            )
        )
    return sig


def _legacy_from_der(der: bytes, header_base: int) -> bytes:
    """The app's answer (a parity byte in the first byte's low bit, then DER's 0x30 body with
    r and s) as 65 bytes: BIP137 header, r, s (the layout HWI's legacy client reads)."""
    try:
        r_len = der[3]
        r = int.from_bytes(der[4 : 4 + r_len], "big")
        s = int.from_bytes(der[4 + r_len + 2 :], "big")
        return bytes([header_base + (der[0] & 1)]) + r.to_bytes(32, "big") + s.to_bytes(32, "big")
    except (IndexError, OverflowError):
        raise LedgerBitcoinError(
            Said(
                "ledger_btc.ledger_s_message_signature_2",
                "The Ledger's message signature is not in a known format.",
            )
        ) from None
