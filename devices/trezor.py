"""Trezor signer on trezorlib 0.20 (AppManifest + Session API; the version is pinned).

The Trezor adapter: trezorlib is imported (lazily) only here and in its sibling modules,
devices/trezor_errors.py (its exceptions -> ours), trezor_evm.py (Ethereum transactions and
typed data), trezor_messages.py (signed messages) and trezor_psbt.py. Transports:
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
from devices.errors import DeviceLocked, Unsupported, UserCancelled
from devices.trezor_errors import map_errors, require_trezorlib
from said import Said

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


def key_path(path: str) -> list[int]:
    """`path` as trezorlib's address_n (also for devices/trezor_evm.py and trezor_messages.py)."""
    from trezorlib.tools import parse_path

    try:
        return list(parse_path(path))
    except ValueError:
        raise Unsupported(
            Said(
                "trezor.not_derivation_path_expected",
                "not a derivation path (expected m/84'/0'/0'/0/0 or similar)",
            )
        ) from None


class TrezorSigner:
    """A Trezor, driven through trezorlib. Call it from the device thread (devices/thread.py)."""

    def __init__(self, transport: Any, interaction: Interaction | None = None) -> None:
        require_trezorlib()
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
        require_trezorlib()

        @map_errors
        def find() -> Any:
            return find_transport(path)

        return cls(find(), interaction)

    def __repr__(self) -> str:
        return f"TrezorSigner({self.info.model!r}, path={self.info.path!r})"

    # --- connection and prompts -------------------------------------------------------------

    @map_errors
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

    def session_for_wallet(self) -> Any:
        """trezorlib's session on the wallet (the passphrase asked once), opened on first use."""
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

    def show(self, what: DevicePrompt) -> None:
        """What the device will show at its next button request; done() closes it."""
        self._what = what

    def done(self) -> None:
        self._what = None
        self._showing = False
        if self._interaction is not None:
            self._interaction.finished()

    def _settle(self) -> None:
        """finished() if a button request was shown and nothing has closed it yet: a confirm
        screen nobody closes stays open for good."""
        if self._showing:
            self.done()

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

    @map_errors
    @_settles
    def get_xpub(self, path: str) -> str:
        """The extended public key at `path`, asked as the coin its SLIP-44 type names: the
        firmware refuses (its safety checks) a Litecoin or Ethereum path asked as Bitcoin."""
        n = key_path(path)
        session = self.session_for_wallet()
        coin_type = n[1] & 0x7FFFFFFF if len(n) > 1 else 0
        if coin_type == 60:
            from trezorlib import ethereum

            return str(ethereum.get_public_node(session, n).xpub)
        from trezorlib import btc

        coin = XPUB_COINS.get(coin_type)
        if coin is None:
            raise Unsupported(
                Said(
                    "trezor.trezor_adapter_reads_no",
                    "the Trezor adapter reads no keys of coin type {coin_type}",
                    coin_type=coin_type,
                )
            )
        return str(btc.get_public_node(session, n, coin_name=coin).xpub)

    @map_errors
    @_settles
    def get_address(self, chain: str, path: str, *, display: bool = False) -> str:
        session = self.session_for_wallet()
        n = key_path(path)
        try:
            if chain in EVM_CHAINS:
                from trezorlib import ethereum

                if display:
                    # The device shows the address it derives; we show the same one, got
                    # silently first, so the user has something to compare against.
                    shown = str(ethereum.get_address(session, n))
                    self.show(self._verify(chain, path, shown))
                return str(ethereum.get_address(session, n, show_display=display))
            from trezorlib import btc
            from trezorlib.messages import InputScriptType

            coin = COIN_NAMES.get(chain)
            if coin is None:
                raise Unsupported(
                    Said(
                        "trezor.trezor_adapter_does_not_2",
                        "the Trezor adapter does not know the network {chain!r}",
                        chain=chain,
                    )
                )
            purpose = address_purpose(path)
            script = {
                84: InputScriptType.SPENDWITNESS,
                86: InputScriptType.SPENDTAPROOT,
            }.get(purpose)
            if script is None:
                raise Unsupported(
                    Said(
                        "trezor.addresses_are_built_bip84",
                        "{chain} addresses are built for BIP84 and BIP86 paths, not {purpose}",
                        chain=chain,
                        purpose=purpose,
                    )
                )
            if display:
                shown = str(btc.get_address(session, coin, n, script_type=script))
                self.show(self._verify(chain, path, shown))
            return str(btc.get_address(session, coin, n, show_display=display, script_type=script))
        finally:
            if display:
                self.done()

    def _verify(self, chain: str, path: str, address: str) -> DevicePrompt:
        return DevicePrompt(
            kind=PromptKind.VERIFY_ADDRESS,
            device=self.info.model,
            chain=chain,
            path=path,
            address=address,
        )

    @map_errors
    def sign_evm_tx(self, path: str, tx: EvmTx) -> EvmSignature:
        from devices import trezor_evm

        return trezor_evm.sign_evm_tx(self, path, tx)

    @map_errors
    def sign_typed_data(self, path: str, data: dict[str, Any]) -> bytes:
        from devices import trezor_evm

        return trezor_evm.sign_typed_data(self, path, data)

    @map_errors
    def sign_message(self, path: str, message: bytes) -> bytes:
        from devices import trezor_messages

        return trezor_messages.sign_message(self, path, message)

    @map_errors
    def sign_btc_message(self, chain: str, path: str, message: bytes, fmt: str) -> bytes:
        from devices import trezor_messages

        return trezor_messages.sign_btc_message(self, chain, path, message, fmt)

    @map_errors
    @_settles
    def master_fingerprint(self) -> bytes:
        """The BIP32 fingerprint PSBTs name this device's keys by."""
        from trezorlib import btc

        # m/0' has the master as its parent: its `fingerprint` is the master's.
        node = btc.get_public_node(self.session_for_wallet(), [0x80000000], coin_name="Bitcoin")
        return int(node.node.fingerprint).to_bytes(4, "big")

    @map_errors
    def sign_psbt(self, psbt: bytes, chain: str) -> bytes:
        """Sign every input of `psbt` (all must be this device's; see devices/trezor_psbt.py)
        through trezorlib's SignTx flow, for Bitcoin and Litecoin alike."""
        from trezorlib import btc

        from devices import trezor_psbt

        coin = COIN_NAMES.get(chain)
        if coin is None:
            raise Unsupported(
                Said(
                    "trezor.trezor_adapter_does_not",
                    "the Trezor adapter does not sign PSBTs for {chain!r}",
                    chain=chain,
                )
            )
        parsed, tx = trezor_psbt.build(psbt, chain, self.master_fingerprint())
        symbol = trezor_psbt.SYMBOLS[chain]
        self.show(
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
                self.session_for_wallet(),
                coin,
                tx.inputs,
                tx.outputs,
                prev_txes=tx.prev_txes,
                version=tx.version,
                lock_time=tx.lock_time,
            )
        finally:
            self.done()
        return trezor_psbt.add_signatures(parsed, tx, list(signatures))

    @map_errors
    def close(self) -> None:
        if self._session is not None:
            try:
                self._session.close()
            finally:
                self._session = None
        if self._transport is not None and self._transport.is_open():
            self._transport.close()
