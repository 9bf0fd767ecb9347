"""Signed messages on a Trezor: EIP-191 personal_sign and Bitcoin/Litecoin legacy (BIP137)
messages (devices/trezor.py's TrezorSigner delegates here; trezorlib's errors are mapped there).
Runs on the device thread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from devices.base import DevicePrompt, PromptKind, shown_message
from devices.coins import address_purpose
from devices.errors import Unsupported
from devices.trezor import COIN_NAMES, key_path
from said import Said

if TYPE_CHECKING:
    from devices.trezor import TrezorSigner


def sign_message(signer: TrezorSigner, path: str, message: bytes) -> bytes:
    """EIP-191 personal_sign: 65 bytes r || s || v (v 27/28, as the firmware gives it)."""
    from trezorlib import ethereum

    session = signer.session_for_wallet()
    n = key_path(path)
    _show_message(signer, None, path, message)
    try:
        sig = ethereum.sign_message(session, n, message).signature
    finally:
        signer.done()
    return bytes(sig)


def sign_btc_message(
    signer: TrezorSigner, chain: str, path: str, message: bytes, fmt: str
) -> bytes:
    """Legacy signed message (the firmware's SignMessage, BIP137 headers). Trezor firmware
    has no BIP322 message, so BIP322 is refused by name."""
    from trezorlib import btc
    from trezorlib.messages import InputScriptType

    from devices import btcmsg

    if fmt == "bip322":
        raise Unsupported(
            Said(
                "trezor_messages.trezor_firmware_does_not",
                "Trezor firmware does not sign BIP322 messages: use the "
                "legacy format (native segwit addresses), or the software "
                "wallet",
            )
        )
    if fmt != "legacy":
        raise Unsupported(
            Said(
                "trezor_messages.no_message_format_bip322",
                "no message format {fmt!r} (bip322 or legacy)",
                fmt=fmt,
            )
        )
    coin = COIN_NAMES.get(chain)
    if coin is None:
        raise Unsupported(
            Said(
                "trezor_messages.trezor_adapter_does_not",
                "the Trezor adapter does not know the network {chain!r}",
                chain=chain,
            )
        )
    script = {
        44: InputScriptType.SPENDADDRESS,
        49: InputScriptType.SPENDP2SHWITNESS,
        84: InputScriptType.SPENDWITNESS,
    }.get(address_purpose(path))
    if script is None:
        raise Unsupported(btcmsg.NO_LEGACY_FOR_TAPROOT)
    session = signer.session_for_wallet()
    n = key_path(path)
    _show_message(signer, chain, path, message)
    try:
        answer = btc.sign_message(session, coin, n, message, script_type=script)
    finally:
        signer.done()
    return bytes(answer.signature)


def _show_message(signer: TrezorSigner, chain: str | None, path: str, message: bytes) -> None:
    """What the Trezor will show for a message, EVM (no chain) or Bitcoin/Litecoin alike."""
    signer.show(
        DevicePrompt(
            kind=PromptKind.SIGN_MESSAGE,
            device=signer.info.model,
            chain=chain,
            path=path,
            message=shown_message(message),
        )
    )
