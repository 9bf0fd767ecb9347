"""Other Bitcoin devices (and Bitcoin on Trezor/Ledger) through HWI's hwilib: PSBT in, PSBT out.

The one module that imports hwilib (lazily). HWI converts a PSBT into each vendor's own signing
flow (Coldcard, BitBox02, Jade, KeepKey, Trezor's SignTx, Ledger's Bitcoin apps), which is
exactly what we would otherwise write per vendor. HWI knows Bitcoin networks only: Litecoin
PSBTs are refused here with a clear message.
"""

from __future__ import annotations

import base64
import contextlib
import functools
from typing import Any

from devices.base import Capability, DeviceInfo, SignerKind
from devices.emulator import address_purpose
from devices.errors import (
    DeviceError,
    DeviceLocked,
    Disconnected,
    ErrorRule,
    ErrorTable,
    LibraryMissing,
    Unsupported,
    UserCancelled,
    mapped,
)
from said import Said

# our chain ids -> hwilib.common.Chain names
CHAINS = {"btc": "MAIN", "btc-testnet": "TEST", "btc-regtest": "REGTEST"}
HRP = {"btc": "bc", "btc-testnet": "tb", "btc-regtest": "bcrt"}


def _hwilib() -> Any:
    try:
        import hwilib.commands
    except ImportError as exc:  # includes a missing libusb under hidapi
        raise LibraryMissing(
            Said(
                "hwi.hwi_hwilib_cannot_load",
                "HWI (hwilib) cannot load ({kind}): reinstall termwallet "
                "with its device dependencies and make sure libusb is "
                "installed",
                kind=type(exc).__name__,
            ),
            library="hwi",
        ) from exc
    return hwilib.commands


@functools.cache
def _hwi_errors() -> ErrorTable:
    """hwilib's exceptions -> ours, tried in order (HWWError, their base, last)."""
    from hwilib import errors as e

    return ErrorTable(
        detail=lambda x: x.get_msg(),
        rules=(
            ErrorRule(
                e.ActionCanceledError, UserCancelled, "You rejected the request on the device."
            ),
            ErrorRule(
                # hwilib names a locked device DeviceNotReadyError (its "promptpin first"); the
                # NeedsPinSentError/DevicePinError named here before do not exist in hwilib, so
                # the old except clause raised AttributeError for any other hwilib error.
                e.DeviceNotReadyError,
                DeviceLocked,
                "Unlock the device (PIN) and try again.",
            ),
            ErrorRule(
                e.DeviceConnectionError,
                Disconnected,
                "The device was disconnected: plug it in and try again.",
            ),
            ErrorRule(e.UnavailableActionError, Unsupported, "The device cannot do that: {detail}"),
            ErrorRule(e.BadArgumentError, DeviceError, "The device refused the request: {detail}"),
            ErrorRule(e.HWWError, DeviceError, "The device reported an error: {detail}"),
        ),
    )


_map_errors = mapped(_hwi_errors)


# HWI names devices by lower-case type ('coldcard', 'bitbox02'); users know them by these.
MODEL_NAMES = {
    "bitbox02": "BitBox02",
    "coldcard": "Coldcard",
    "digitalbitbox": "Digital Bitbox",
    "jade": "Blockstream Jade",
    "keepkey": "KeepKey",
    "ledger": "Ledger",
    "trezor": "Trezor",
}


def model_name(device_type: str) -> str:
    """'coldcard' -> 'Coldcard': the name for a device HWI reports by its type."""
    known = MODEL_NAMES.get(device_type.lower())
    return known or " ".join(w[:1].upper() + w[1:] for w in device_type.split("_"))


def enumerate_devices() -> list[dict[str, Any]]:
    """hwilib's enumeration (dicts with type, model, path, fingerprint, error...)."""
    return list(_hwilib().enumerate())


class HwiSigner:
    def __init__(self, client: Any, info: DeviceInfo, chain: str) -> None:
        self._client = client
        self._chain = chain
        self.info = info

    @classmethod
    @_map_errors
    def open(cls, device_type: str, path: str | None, *, chain: str = "btc") -> HwiSigner:
        commands = _hwilib()
        from hwilib.common import Chain

        if chain not in CHAINS:
            raise Unsupported(
                Said(
                    "hwi.hwi_signs_bitcoin_only",
                    "HWI signs Bitcoin only, not {chain!r}",
                    chain=chain,
                )
            )
        client = commands.get_client(device_type, path, chain=Chain[CHAINS[chain]])
        if client is None:
            raise Disconnected(f"No {model_name(device_type)} at {path}.")
        info = DeviceInfo(kind=SignerKind.HWI, model=model_name(device_type), path=path)
        return cls(client, info, chain)

    def __repr__(self) -> str:
        return f"HwiSigner({self.info.model!r}, path={self.info.path!r})"

    def capabilities(self) -> frozenset[Capability]:
        return frozenset(
            {
                Capability.BTC_ADDRESS,
                Capability.BTC_SIGN_PSBT,
                Capability.BTC_SIGN_MESSAGE,
                Capability.DISPLAY_ADDRESS,
            }
        )

    @_map_errors
    def master_fingerprint(self) -> bytes:
        return bytes(self._client.get_master_fingerprint())

    @_map_errors
    def get_xpub(self, path: str) -> str:
        return str(self._client.get_pubkey_at_path(path).to_string())

    @_map_errors
    def get_address(self, chain: str, path: str, *, display: bool = False) -> str:
        if chain not in CHAINS:
            raise Unsupported(
                Said(
                    "hwi.hwi_gives_bitcoin_addresses",
                    "HWI gives Bitcoin addresses only, not {chain!r}",
                    chain=chain,
                )
            )
        from hwilib.common import AddressType

        purpose = address_purpose(path)
        kind = {84: AddressType.WIT, 86: AddressType.TAP}.get(purpose)
        if kind is None:
            raise Unsupported(
                Said(
                    "hwi.addresses_are_built_bip84",
                    "addresses are built for BIP84 and BIP86 paths, not {purpose}",
                    purpose=purpose,
                )
            )
        if display:
            return str(self._client.display_singlesig_address(path, kind))
        # Without display: derive from the device's public key (no screen, no button).
        from embit import bip32, script
        from embit.networks import NETWORKS

        xpub = bip32.HDKey.from_string(self.get_xpub(path))
        net = {"btc": "main", "btc-testnet": "test", "btc-regtest": "regtest"}[chain]
        if purpose == 84:
            return str(script.p2wpkh(xpub.key).address(NETWORKS[net]))
        return str(script.p2tr(xpub.key).address(NETWORKS[net]))

    @_map_errors
    def sign_psbt(self, psbt: bytes, chain: str) -> bytes:
        if chain not in CHAINS:
            raise Unsupported(
                Said(
                    "hwi.hwi_signs_bitcoin_psbts",
                    "HWI signs Bitcoin PSBTs only, not {chain!r}",
                    chain=chain,
                )
            )
        from hwilib.psbt import PSBT

        tx = PSBT()
        tx.deserialize(base64.b64encode(psbt).decode())
        signed = self._client.sign_tx(tx)
        return base64.b64decode(signed.serialize())

    def sign_message(self, path: str, message: bytes) -> bytes:
        raise Unsupported(
            Said("hwi.hwi_devices_sign_no", "HWI devices sign no Ethereum messages here")
        )

    @_map_errors
    def sign_btc_message(self, chain: str, path: str, message: bytes, fmt: str) -> bytes:
        """The legacy signed message through HWI's signmessage (Bitcoin Core's format). Each
        vendor picks its own BIP137 header (Trezor: the P2PKH one for every path), which the
        verifier accepts for any single-key address of that key, as Electrum and Sparrow do;
        wallet/messages.py checks the answer against the address before anyone sees it. HWI
        has no BIP322 message, so BIP322 is refused by name."""
        from devices import btcmsg

        if fmt == "bip322":
            raise Unsupported(
                Said(
                    "hwi.through_hwi_does_not",
                    "{model} through HWI does not sign BIP322 messages: use the "
                    "legacy format, or the software wallet",
                    model=self.info.model,
                )
            )
        if fmt != "legacy":
            raise Unsupported(
                Said(
                    "hwi.no_message_format_bip322",
                    "no message format {fmt!r} (bip322 or legacy)",
                    fmt=fmt,
                )
            )
        if chain != self._chain:
            raise Unsupported(
                Said(
                    "hwi.hwi_session_not",
                    "this HWI session is for {session_chain}, not {chain!r}",
                    session_chain=self._chain,
                    chain=chain,
                )
            )
        if address_purpose(path) not in btcmsg.LEGACY_SCRIPT_BY_PURPOSE:
            raise Unsupported(btcmsg.NO_LEGACY_FOR_TAPROOT)
        from hwilib.commands import signmessage

        answer = signmessage(self._client, message, path)
        try:
            return base64.b64decode(answer["signature"], validate=True)
        except (KeyError, TypeError, ValueError):
            raise DeviceError(f"{self.info.model} gave no usable message signature") from None

    def close(self) -> None:
        # Closing a vanished device must not mask the error that brought us here.
        with contextlib.suppress(Exception):
            self._client.close()
