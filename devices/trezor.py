"""Trezor signer on trezorlib 0.20 (AppManifest + Session API; the version is pinned).

The one module that imports trezorlib (lazily) and turns its exceptions into ours. Transports:
USB (WebUSB/HID), Trezor Bridge and UDP (the emulator), all through trezorlib's own
`get_transport(path)`; tests pass a recording or replaying Transport instead.

Prompts go to the injected Interaction: the Trezor One PIN matrix (the device shows the
scrambled digits, the host sends positions), the host passphrase (or on-device entry where the
model has it), and "confirm on your device" with the fields the device is showing.

Bitcoin/Litecoin PSBTs are converted into trezorlib's SignTx flow by devices/trezor_psbt.py
(HWI does the same for Bitcoin but refuses Litecoin and opens its own connection, which
cannot be recorded).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

from devices.base import (
    Capability,
    DeviceInfo,
    DevicePrompt,
    Interaction,
    OnDevice,
    PinKind,
    PromptAmount,
    PromptKind,
    SignerKind,
)
from devices.coins import EVM_CHAINS, address_purpose
from devices.errors import (
    DeviceError,
    DeviceLocked,
    Disconnected,
    ErrorRule,
    ErrorTable,
    FirmwareOutdated,
    LibraryMissing,
    Unsupported,
    UserCancelled,
    WrongPin,
    mapped,
)

if TYPE_CHECKING:
    from devices.models import EvmSignature, EvmTx

P = ParamSpec("P")
T = TypeVar("T")

# trezorlib's coin names for our networks (trezor-common's coins.json).
COIN_NAMES = {
    "btc": "Bitcoin",
    "btc-testnet": "Testnet",
    "btc-regtest": "Regtest",
    "ltc": "Litecoin",
    "ltc-testnet": "Litecoin Testnet",
}

# The coin a key path's SLIP-44 coin type is asked as (get_public_node checks the two agree).
XPUB_COINS = {0: "Bitcoin", 1: "Testnet", 2: "Litecoin"}

MODEL_NAMES = {"1": "Trezor One", "T": "Trezor Model T", "Safe 3": "Trezor Safe 3"}


# trezorlib's transports by path prefix. get_transport() imports all five before it looks at
# the path, and the BLE and Bridge ones pull in ~85 ms of libraries a known path never uses.
_TRANSPORTS = {
    "udp": ("trezorlib.transport.udp", "UdpTransport"),
    "webusb": ("trezorlib.transport.webusb", "WebUsbTransport"),
    "hid": ("trezorlib.transport.hid", "HidTransport"),
    "bridge": ("trezorlib.transport.bridge", "BridgeTransport"),
    "ble": ("trezorlib.transport.ble", "BleTransport"),
}


def find_transport(path: str | None) -> Any:
    """trezorlib's `get_transport(path, prefix_search=True)` (so 'udp' finds
    'udp:127.0.0.1:21324'), importing only the transport the path names. Raises trezorlib's
    TransportException when no device answers there."""
    import importlib

    from trezorlib.transport import get_transport

    spec = _TRANSPORTS.get((path or "").split(":", 1)[0])
    if path is None or spec is None:
        return get_transport(path, prefix_search=True)
    cls = getattr(importlib.import_module(spec[0]), spec[1])
    if not cls.ENABLED:  # its library is missing: trezorlib says so in its own words
        return get_transport(path, prefix_search=True)
    return cls.find_by_path(path, prefix_search=True)


def _lib() -> Any:
    try:
        import trezorlib
    except ImportError as exc:
        raise LibraryMissing(
            "The Trezor library (trezorlib) is not installed: reinstall termwallet with its "
            "device dependencies",
            library="trezor",
        ) from exc
    return trezorlib


def _refusal(e: Any) -> str:
    # The device's own message names the problem (e.g. "Forbidden key path"); it never holds
    # a secret, but keep only the first line.
    return str(e.message or "request refused").splitlines()[0][:200]


@functools.cache
def _trezor_errors() -> ErrorTable:
    """trezorlib's exceptions -> ours, each telling the user what to do; tried in order."""
    from trezorlib import exceptions as exc
    from trezorlib import messages as m
    from trezorlib.transport import TransportException

    f = m.FailureType

    def pin(*codes: object) -> Callable[[Any], bool]:
        # trezorlib raises PinException with the Failure's code for the answer to the PIN matrix
        return lambda e: (e.args[0] if e.args else None) in codes

    def failure(*codes: object) -> Callable[[Any], bool]:
        return lambda e: e.code in codes

    cancelled = "You rejected the request on the Trezor."
    locked = "Unlock the Trezor with its PIN and try again."
    wrong_pin = "The PIN was wrong; the Trezor stays locked. Try again."
    return ErrorTable(
        detail=_refusal,
        rules=(
            ErrorRule(exc.Cancelled, UserCancelled, cancelled),
            ErrorRule(
                exc.PinException,
                UserCancelled,
                "You cancelled the PIN entry on the Trezor.",
                when=pin(f.PinCancelled),
            ),
            ErrorRule(exc.PinException, DeviceLocked, locked, when=pin(f.PinExpected)),
            ErrorRule(exc.PinException, WrongPin, wrong_pin),
            ErrorRule(
                exc.OutdatedFirmwareError,
                FirmwareOutdated,
                "The Trezor's firmware is too old for termwallet: update it with Trezor Suite.",
            ),
            ErrorRule(exc.TrezorFailure, WrongPin, wrong_pin, when=failure(f.PinInvalid)),
            ErrorRule(exc.TrezorFailure, DeviceLocked, locked, when=failure(f.PinExpected)),
            ErrorRule(
                exc.TrezorFailure,
                DeviceError,
                "The Trezor has no wallet yet: set it up with Trezor Suite first.",
                when=failure(f.NotInitialized),
            ),
            ErrorRule(
                exc.TrezorFailure,
                UserCancelled,
                cancelled,
                when=failure(f.ActionCancelled, f.PinCancelled),
            ),
            ErrorRule(exc.TrezorFailure, DeviceError, "The Trezor refused the request: {detail}"),
            ErrorRule(
                (TransportException, OSError, ConnectionError),
                Disconnected,
                "The Trezor was disconnected ({kind}): plug it in and try again.",
            ),
        ),
    )


_map_errors = mapped(_trezor_errors)


def _settles(
    fn: Callable[Concatenate[TrezorSigner, P], T],
) -> Callable[Concatenate[TrezorSigner, P], T]:
    """A call meant to be silent can still raise button requests (with safety checks relaxed,
    a Trezor One asks to confirm an unusual path): whatever it showed is closed when the call
    returns or fails."""

    @functools.wraps(fn)
    def wrapper(self: TrezorSigner, *args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return fn(self, *args, **kwargs)
        finally:
            self._settle()

    return wrapper


def _access_list(tx: EvmTx) -> list[Any]:
    from trezorlib import messages

    return [
        messages.EthereumAccessList(address=e.address, storage_keys=list(e.storage_keys))
        for e in tx.access_list or ()
    ]


def _path(path: str) -> list[int]:
    from trezorlib.tools import parse_path

    try:
        return list(parse_path(path))
    except ValueError:
        raise Unsupported("not a derivation path (expected m/84'/0'/0'/0/0 or similar)") from None


class TrezorSigner:
    """A Trezor, driven through trezorlib. Call it from the device thread (devices/thread.py)."""

    def __init__(self, transport: Any, interaction: Interaction | None = None) -> None:
        _lib()
        self._transport = transport
        self._interaction = interaction
        self._client: Any = None
        self._session: Any = None
        self._what: DevicePrompt | None = None
        # A passphrase was given for this session: its keys are a hidden wallet's
        # (wallet/device_wallet.py stores that with the wallet).
        self.passphrase_used = False
        self._showing = False  # confirm_on_device was called and finished() has not followed
        self.info = self._connect()

    @classmethod
    def open(cls, path: str | None, interaction: Interaction | None = None) -> TrezorSigner:
        """`path` as trezorlib names it: 'webusb:…', 'hid:…', 'bridge:…', 'udp:127.0.0.1:21324'."""
        _lib()

        @_map_errors
        def find() -> Any:
            return find_transport(path)

        return cls(find(), interaction)

    def __repr__(self) -> str:
        return f"TrezorSigner({self.info.model!r}, path={self.info.path!r})"

    # --- connection and prompts -------------------------------------------------------------

    @_map_errors
    def _connect(self) -> DeviceInfo:
        from trezorlib.client import AppManifest, get_client

        app = AppManifest(
            app_name="termwallet",
            button_callback=self._on_button,
            pin_callback=self._on_pin,
        )
        self._transport.open()
        self._client = get_client(app, self._transport)
        f = self._client.features
        model = MODEL_NAMES.get(str(f.model or "1"), f"Trezor {f.model}")
        return DeviceInfo(
            kind=SignerKind.TREZOR,
            model=model,
            firmware=f"{f.major_version}.{f.minor_version}.{f.patch_version}",
            label=f.label,
            path=str(self._transport.get_path()),
        )

    def _on_pin(self, msg: Any) -> str:
        from trezorlib import exceptions
        from trezorlib.messages import PinMatrixRequestType as K

        kind = {
            K.NewFirst: PinKind.NEW_FIRST,
            K.NewSecond: PinKind.NEW_SECOND,
        }.get(msg.type, PinKind.CURRENT)
        if self._interaction is None:
            raise DeviceLocked("The Trezor is locked: unlock it with its PIN first.")
        try:
            return self._interaction.get_pin(kind)
        except UserCancelled:
            raise exceptions.Cancelled from None  # trezorlib sends Cancel to the device

    def _on_button(self, msg: Any) -> None:
        if self._interaction is None:
            return
        model = getattr(getattr(self, "info", None), "model", "Trezor")
        what = self._what or DevicePrompt(kind=PromptKind.CONFIRM, device=model)
        self._showing = True
        self._interaction.confirm_on_device(what)

    def _session_for_wallet(self) -> Any:
        if self._session is not None:
            return self._session
        from trezorlib.client import PassphraseSetting
        from trezorlib.messages import Capability as TC

        f = self._client.features
        passphrase: Any = PassphraseSetting.STANDARD_WALLET
        if f.passphrase_protection:
            if self._interaction is None:
                raise DeviceLocked("The Trezor asks for a passphrase and nobody can answer it.")
            on_device_ok = TC.PassphraseEntry in (f.capabilities or ())
            answer = self._interaction.get_passphrase(on_device_ok=on_device_ok)
            passphrase = PassphraseSetting.ON_DEVICE if isinstance(answer, OnDevice) else answer
            # An empty passphrase opens the standard wallet.
            self.passphrase_used = isinstance(answer, OnDevice) or bool(answer)
        try:
            self._client.ensure_unlocked()
            # A Trezor One given a passphrase asks "Access hidden wallet?" and "Use this
            # passphrase?" with its buttons here; the modal showing them must close before the
            # request's own prompt, and also when the user rejects them.
            self._session = self._client.get_session(passphrase=passphrase)
        finally:
            self._settle()
        return self._session

    def _prompt(self, what: DevicePrompt) -> None:
        self._what = what

    def _done(self) -> None:
        self._what = None
        self._showing = False
        if self._interaction is not None:
            self._interaction.finished()

    def _settle(self) -> None:
        """finished() if a button request was shown and nothing has closed it yet: a confirm
        screen nobody closes stays open for good."""
        if self._showing:
            self._done()

    # --- Signer ------------------------------------------------------------------------------

    def capabilities(self) -> frozenset[Capability]:
        return frozenset(
            {
                Capability.BTC_ADDRESS,
                Capability.LTC_ADDRESS,
                Capability.BTC_SIGN_PSBT,
                Capability.LTC_SIGN_PSBT,
                Capability.DISPLAY_ADDRESS,
                Capability.ETH_ADDRESS,
                Capability.ETH_SIGN_TX,
                Capability.ETH_SIGN_TYPED_DATA,
                Capability.ETH_SIGN_MESSAGE,
                Capability.BTC_SIGN_MESSAGE,
            }
        )

    @_map_errors
    @_settles
    def get_xpub(self, path: str) -> str:
        """The extended public key at `path`, asked as the coin its SLIP-44 type names: the
        firmware refuses (its safety checks) a Litecoin or Ethereum path asked as Bitcoin."""
        n = _path(path)
        session = self._session_for_wallet()
        coin_type = n[1] & 0x7FFFFFFF if len(n) > 1 else 0
        if coin_type == 60:
            from trezorlib import ethereum

            return str(ethereum.get_public_node(session, n).xpub)
        from trezorlib import btc

        coin = XPUB_COINS.get(coin_type)
        if coin is None:
            raise Unsupported(f"the Trezor adapter reads no keys of coin type {coin_type}")
        return str(btc.get_public_node(session, n, coin_name=coin).xpub)

    @_map_errors
    @_settles
    def get_address(self, chain: str, path: str, *, display: bool = False) -> str:
        session = self._session_for_wallet()
        n = _path(path)
        try:
            if chain in EVM_CHAINS:
                from trezorlib import ethereum

                if display:
                    # The device shows the address it derives; we show the same one, got
                    # silently first, so the user has something to compare against.
                    shown = str(ethereum.get_address(session, n))
                    self._prompt(self._verify(chain, path, shown))
                return str(ethereum.get_address(session, n, show_display=display))
            from trezorlib import btc
            from trezorlib.messages import InputScriptType

            coin = COIN_NAMES.get(chain)
            if coin is None:
                raise Unsupported(f"the Trezor adapter does not know the network {chain!r}")
            purpose = address_purpose(path)
            script = {
                84: InputScriptType.SPENDWITNESS,
                86: InputScriptType.SPENDTAPROOT,
            }.get(purpose)
            if script is None:
                raise Unsupported(
                    f"{chain} addresses are built for BIP84 and BIP86 paths, not {purpose}"
                )
            if display:
                shown = str(btc.get_address(session, coin, n, script_type=script))
                self._prompt(self._verify(chain, path, shown))
            return str(btc.get_address(session, coin, n, show_display=display, script_type=script))
        finally:
            if display:
                self._done()

    def _verify(self, chain: str, path: str, address: str) -> DevicePrompt:
        return DevicePrompt(
            kind=PromptKind.VERIFY_ADDRESS,
            device=self.info.model,
            chain=chain,
            path=path,
            address=address,
        )

    @_map_errors
    def sign_evm_tx(self, path: str, tx: EvmTx) -> EvmSignature:
        from trezorlib import ethereum

        from devices.evmtx import assemble, evm_prompt

        if tx.to is None:
            raise Unsupported("the Trezor adapter does not deploy contracts")
        if tx.tx_type == 1:
            # Trezor firmware (and trezorlib's EthereumSignTx) has no EIP-2930 transaction:
            # its legacy message carries no access list, and dropping it would sign another
            # transaction than the one reviewed.
            raise Unsupported(
                "The Trezor does not sign EIP-2930 (type 1) transactions: send it as an "
                "EIP-1559 transaction with the same access list, or sign with another signer."
            )
        session = self._session_for_wallet()
        n = _path(path)
        self._prompt(evm_prompt(self.info.model, path, tx))
        try:
            if tx.is_eip1559:
                v, r, s = ethereum.sign_tx_eip1559(
                    session,
                    n,
                    nonce=tx.nonce,
                    gas_limit=tx.gas,
                    to=tx.to,
                    value=tx.value,
                    data=tx.data,
                    chain_id=tx.chain_id,
                    max_gas_fee=tx.max_fee_per_gas or 0,
                    max_priority_fee=tx.max_priority_fee_per_gas or 0,
                    access_list=_access_list(tx),
                )
            else:
                v, r, s = ethereum.sign_tx(
                    session,
                    n,
                    nonce=tx.nonce,
                    gas_price=tx.gas_price or 0,
                    gas_limit=tx.gas,
                    to=tx.to,
                    value=tx.value,
                    data=tx.data,
                    chain_id=tx.chain_id,
                )
        finally:
            self._done()
        return assemble(tx, v, int.from_bytes(r, "big"), int.from_bytes(s, "big"))

    @_map_errors
    def sign_typed_data(self, path: str, data: dict[str, Any]) -> bytes:
        from trezorlib import ethereum

        # Checked (and hashed) as MetaMask's V4 does before the device sees anything: what is
        # refused there is refused for every signer (devices/eip712.py).
        from devices.eip712 import canonical, has_null_struct
        from devices.evmtx import typed_data_hashes

        domain, message = typed_data_hashes(data)
        one = self.info.model == "Trezor One"
        if not one and has_null_struct(data):
            raise Unsupported(
                "This Trezor reads the typed data itself and cannot sign a document with an "
                "empty (null) struct in it; the Trezor One and the software wallet can."
            )
        session = self._session_for_wallet()
        n = _path(path)
        hashes: tuple[str, ...] = ()
        if one:
            # The One cannot parse EIP-712 documents; it signs (and shows) the hashes, the
            # message hash absent for a domain-only document.
            hashes = (domain.hex(),) if message is None else (domain.hex(), message.hex())
        self._prompt(
            DevicePrompt(
                kind=PromptKind.SIGN_TYPED_DATA, device=self.info.model, path=path, hashes=hashes
            )
        )
        try:
            if one:
                sig = ethereum.sign_typed_data_hash(session, n, domain, message).signature
            else:
                sig = ethereum.sign_typed_data(
                    session, n, canonical(data), metamask_v4_compat=True
                ).signature
        finally:
            self._done()
        return bytes(sig)

    @_map_errors
    def sign_message(self, path: str, message: bytes) -> bytes:
        """EIP-191 personal_sign: 65 bytes r || s || v (v 27/28, as the firmware gives it)."""
        from trezorlib import ethereum

        from devices.base import shown_message

        session = self._session_for_wallet()
        n = _path(path)
        self._prompt(
            DevicePrompt(
                kind=PromptKind.SIGN_MESSAGE,
                device=self.info.model,
                path=path,
                message=shown_message(message),
            )
        )
        try:
            sig = ethereum.sign_message(session, n, message).signature
        finally:
            self._done()
        return bytes(sig)

    @_map_errors
    def sign_btc_message(self, chain: str, path: str, message: bytes, fmt: str) -> bytes:
        """Legacy signed message (the firmware's SignMessage, BIP137 headers). Trezor firmware
        has no BIP322 message, so BIP322 is refused by name."""
        from trezorlib import btc
        from trezorlib.messages import InputScriptType

        from devices import btcmsg
        from devices.base import shown_message

        if fmt == "bip322":
            raise Unsupported(
                "Trezor firmware does not sign BIP322 messages: use the legacy format (native "
                "segwit addresses), or the software wallet"
            )
        if fmt != "legacy":
            raise Unsupported(f"no message format {fmt!r} (bip322 or legacy)")
        coin = COIN_NAMES.get(chain)
        if coin is None:
            raise Unsupported(f"the Trezor adapter does not know the network {chain!r}")
        script = {
            44: InputScriptType.SPENDADDRESS,
            49: InputScriptType.SPENDP2SHWITNESS,
            84: InputScriptType.SPENDWITNESS,
        }.get(address_purpose(path))
        if script is None:
            raise Unsupported(btcmsg.NO_LEGACY_FOR_TAPROOT)
        session = self._session_for_wallet()
        n = _path(path)
        self._prompt(
            DevicePrompt(
                kind=PromptKind.SIGN_MESSAGE,
                device=self.info.model,
                chain=chain,
                path=path,
                message=shown_message(message),
            )
        )
        try:
            answer = btc.sign_message(session, coin, n, message, script_type=script)
        finally:
            self._done()
        return bytes(answer.signature)

    @_map_errors
    @_settles
    def master_fingerprint(self) -> bytes:
        """The BIP32 fingerprint PSBTs name this device's keys by."""
        from trezorlib import btc

        # m/0' has the master as its parent: its `fingerprint` is the master's.
        node = btc.get_public_node(self._session_for_wallet(), [0x80000000], coin_name="Bitcoin")
        return int(node.node.fingerprint).to_bytes(4, "big")

    @_map_errors
    def sign_psbt(self, psbt: bytes, chain: str) -> bytes:
        """Sign every input of `psbt` (all must be this device's; see devices/trezor_psbt.py)
        through trezorlib's SignTx flow, for Bitcoin and Litecoin alike."""
        from trezorlib import btc

        from devices import trezor_psbt

        coin = COIN_NAMES.get(chain)
        if coin is None:
            raise Unsupported(f"the Trezor adapter does not sign PSBTs for {chain!r}")
        parsed, tx = trezor_psbt.build(psbt, chain, self.master_fingerprint())
        symbol = trezor_psbt.SYMBOLS[chain]
        self._prompt(
            DevicePrompt(
                kind=PromptKind.SIGN_PSBT,
                device=self.info.model,
                chain=chain,
                outputs=tx.shown,
                fee=PromptAmount(value=tx.fee, decimals=8, symbol=symbol),
            )
        )
        try:
            signatures, _serialized = btc.sign_tx(
                self._session_for_wallet(),
                coin,
                tx.inputs,
                tx.outputs,
                prev_txes=tx.prev_txes,
                version=tx.version,
                lock_time=tx.lock_time,
            )
        finally:
            self._done()
        return trezor_psbt.add_signatures(parsed, tx, list(signatures))

    @_map_errors
    def close(self) -> None:
        if self._session is not None:
            try:
                self._session.close()
            finally:
                self._session = None
        if self._transport is not None and self._transport.is_open():
            self._transport.close()
