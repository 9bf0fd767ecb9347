"""What every signer offers and what a device may ask of a human."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from devices.models import EvmSignature, EvmTx

# The value types below are frozen dataclasses rather than pydantic models: adapters build them
# from values they already checked, and importing pydantic plus building the models cost a
# one-shot `termwallet address --device` ~75 ms (bench/device_address.py).


class SignerKind(StrEnum):
    TREZOR = "trezor"
    LEDGER = "ledger"
    HWI = "hwi"
    EMULATOR = "emulator"  # the software signer
    AGENT = "agent"  # names a signer agent in problem reports; its devices keep their kinds

    @property
    def brand(self) -> str:
        """The name users know it by, for text they read; the value is an id prefix."""
        return _BRANDS[self]


_BRANDS = {
    SignerKind.TREZOR: "Trezor",
    SignerKind.LEDGER: "Ledger",
    SignerKind.HWI: "HWI",
    SignerKind.EMULATOR: "software",
    SignerKind.AGENT: "Signer agent",
}


class Capability(StrEnum):
    ETH_ADDRESS = "eth_address"
    ETH_SIGN_TX = "eth_sign_tx"
    ETH_SIGN_TYPED_DATA = "eth_sign_typed_data"
    ETH_SIGN_MESSAGE = "eth_sign_message"
    BTC_ADDRESS = "btc_address"
    BTC_SIGN_PSBT = "btc_sign_psbt"
    BTC_SIGN_MESSAGE = "btc_sign_message"  # legacy "Bitcoin Signed Message" (BIP137 headers)
    BTC_SIGN_BIP322 = "btc_sign_bip322"  # BIP322 simple
    LTC_ADDRESS = "ltc_address"
    LTC_SIGN_PSBT = "ltc_sign_psbt"
    DISPLAY_ADDRESS = "display_address"


@dataclass(frozen=True, kw_only=True)
class DeviceInfo:
    kind: SignerKind
    model: str
    firmware: str | None = None
    label: str | None = None
    path: str | None = None  # transport path, e.g. 'udp:127.0.0.1:21324'


class PinKind(StrEnum):
    CURRENT = "current"
    NEW_FIRST = "new_first"
    NEW_SECOND = "new_second"


class OnDevice:
    """Returned by Interaction.get_passphrase: enter the passphrase on the device itself."""


class PromptKind(StrEnum):
    VERIFY_ADDRESS = "verify_address"  # the device shows a receive address to compare
    SIGN_TX = "sign_tx"  # an EVM transaction
    SIGN_TYPED_DATA = "sign_typed_data"  # EIP-712
    SIGN_PSBT = "sign_psbt"  # Bitcoin / Litecoin outputs and fee
    SIGN_MESSAGE = "sign_message"  # a text message (EIP-191, BIP322 or legacy)
    CONFIRM = "confirm"  # any other button press the device asks for


@dataclass(frozen=True, kw_only=True)
class PromptAmount:
    """An amount as the device shows it: base units, so the UI formats and translates it."""

    value: int
    decimals: int
    symbol: str


@dataclass(frozen=True, kw_only=True)
class PromptOutput:
    address: str
    amount: PromptAmount


@dataclass(frozen=True, kw_only=True)
class DevicePrompt:
    """What the device is showing while it waits for its buttons: structured fields rather
    than a sentence, so the TUI lays them out and translates the labels."""

    kind: PromptKind
    device: str  # the model name the UI puts in "Check and confirm on your <device>"
    chain: str | None = None  # our network id: "eth", "btc", "ltc"...
    chain_id: int | None = None  # EVM chain id, as the device shows it
    path: str | None = None
    address: str | None = None  # the address to verify, or the EVM recipient
    amount: PromptAmount | None = None
    fee: PromptAmount | None = None  # EVM: the maximum fee; PSBT: the fee
    outputs: tuple[PromptOutput, ...] = ()  # PSBT outputs the device lists (change hidden)
    has_data: bool = False  # EVM: the transaction carries contract data
    hashes: tuple[str, ...] = ()  # typed data signed as hashes (domain, message), hex
    message: str | None = None  # SIGN_MESSAGE: the message as text, or 0x-hex if it is not


def shown_message(message: bytes) -> str:
    """How a device and our screens show a message: its text when it is printable UTF-8 on one
    or more lines, else 0x and its hex (as MetaMask and the Ledger apps do)."""
    try:
        text = message.decode("utf-8")
    except UnicodeDecodeError:
        return "0x" + message.hex()
    # Text that itself starts with 0x would read as hex: it is shown as hex, unambiguous.
    if not text.startswith("0x") and all(c.isprintable() or c in "\n" for c in text):
        return text
    return "0x" + message.hex()


@runtime_checkable
class Interaction(Protocol):
    """What a device needs from a human. The TUI implements it with modal screens; calls come
    from the device thread and block it until answered."""

    def get_pin(self, kind: PinKind) -> str: ...

    def get_passphrase(self, *, on_device_ok: bool) -> str | OnDevice: ...

    def confirm_on_device(self, prompt: DevicePrompt) -> None:
        """The device shows `prompt` and waits for its buttons. Must not block: the device
        thread goes on reading the device's answer; `finished` follows when it is over. May be
        called again for the next screen of the same request."""
        ...

    def finished(self) -> None: ...


@runtime_checkable
class Signer(Protocol):
    info: DeviceInfo

    def capabilities(self) -> frozenset[Capability]: ...

    def get_xpub(self, path: str) -> str: ...

    def get_address(self, chain: str, path: str, *, display: bool = False) -> str: ...

    def sign_evm_tx(self, path: str, tx: EvmTx) -> EvmSignature: ...

    def sign_message(self, path: str, message: bytes) -> bytes: ...  # EIP-191

    def sign_btc_message(self, chain: str, path: str, message: bytes, fmt: str) -> bytes:
        """A Bitcoin/Litecoin message signature: fmt 'legacy' (65 bytes, BIP137 header) or
        'bip322' (the serialized witness of BIP322's simple form). Unsupported where the
        signer cannot make that format."""
        ...

    def sign_typed_data(self, path: str, data: dict[str, Any]) -> bytes: ...  # EIP-712

    def sign_psbt(self, psbt: bytes, chain: str) -> bytes: ...  # BIP174 in, signed PSBT out

    def close(self) -> None: ...
