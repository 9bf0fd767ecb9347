"""Ledger signer on ledgerwallet (HID for devices, TCP for speculos): the Ethereum app, and
the Bitcoin app through devices/ledger_btc.py on the same connection.

The one module that imports ledgerwallet (lazily). ledgerwallet moves APDUs; the Ethereum
app's commands are built here because no maintained library on PyPI speaks them without
pulling in a test framework (LedgerHQ's `ledger_app_clients.ethereum` depends on ragger).
The layouts follow the app's documentation (app-ethereum doc/ethapp.adoc): GET ETH PUBLIC
ADDRESS (0x02), SIGN ETH TRANSACTION (0x04), SIGN ETH PERSONAL MESSAGE (0x08), SIGN ETH EIP 712
in hashed mode (0x0C), and the
dashboard's GET APP AND VERSION (CLA 0xB0, INS 0x01) to tell which app is open.

One LedgerSigner serves both apps, as one Trezor serves every coin: each call checks that the
app it needs is open and raises WrongApp naming it otherwise ("Open the Bitcoin app").
"""

from __future__ import annotations

from typing import Any

from devices.base import Capability, DeviceInfo, DevicePrompt, Interaction, PromptKind, SignerKind
from devices.emulator import EVM_CHAINS, EvmSignature, EvmTx
from devices.errors import (
    DeviceError,
    DeviceLocked,
    Disconnected,
    ErrorRule,
    ErrorTable,
    LibraryMissing,
    Unsupported,
    UserCancelled,
    WrongApp,
    mapped,
)
from said import Said

CLA = 0xE0
INS_GET_ADDRESS = 0x02
INS_SIGN_TX = 0x04
INS_APP_CONFIG = 0x06
INS_SIGN_PERSONAL_MESSAGE = 0x08
INS_SIGN_EIP712_HASHED = 0x0C
SW_OK = 0x9000
SW_DENIED = 0x6985
SW_LOCKED = (0x5515, 0x6982)
SW_WRONG_APP = (0x6D00, 0x6E00, 0x6E01, 0x6511, 0x6A15)
SW_BLIND_SIGNING_OFF = 0x6A80  # also "invalid data"; the app answers it for contract data
CHUNK = 255
ETH_APP = "Ethereum"


class LedgerStatus(DeviceError):
    """The Ledger app answered with a status word we have no better error for."""

    code = "LEDGER_STATUS"


# Status word -> our error; one not listed is a LedgerStatus naming it.
_STATUS: dict[int, tuple[type[DeviceError], str]] = {
    SW_DENIED: (UserCancelled, "You rejected the request on the Ledger."),
    **dict.fromkeys(
        SW_LOCKED, (DeviceLocked, "The Ledger is locked: enter its PIN, then try again.")
    ),
    SW_BLIND_SIGNING_OFF: (
        LedgerStatus,
        "The Ledger refused the data: enable blind signing in the Ethereum app's "
        "settings for contract calls, or check the request.",
    ),
}


def _status_error(sw: int, wanted_app: str) -> DeviceError:
    if sw in SW_WRONG_APP:
        return WrongApp(wanted_app)
    error, message = _STATUS.get(sw, (LedgerStatus, f"The Ledger answered status {sw:04x}."))
    return error(message, sw=f"{sw:04x}") if error is LedgerStatus else error(message)


# ledgerwallet moves APDUs over HID or TCP: an I/O error is a device gone.
_LEDGER_ERRORS = ErrorTable(
    rules=(
        ErrorRule(
            (OSError, ConnectionError, EOFError),
            Disconnected,
            "The Ledger was disconnected ({kind}): plug it in, unlock it and open the app.",
        ),
    )
)
_map_errors = mapped(lambda: _LEDGER_ERRORS)


def tcp_device(address: str) -> Any:
    """A ledgerwallet TcpDevice for speculos' APDU port ('127.0.0.1:9999').

    ledgerwallet's TcpDevice reads with one recv() per part, so a long answer can arrive
    short; this subclass reads until it has the length the server announced."""
    try:
        from ledgerwallet.transport.tcp import TcpDevice
    except ImportError as exc:
        raise LibraryMissing(
            Said("ledger.ledgerwallet_not_installed", "ledgerwallet is not installed"),
            library="ledgerwallet",
        ) from exc

    class FullReadTcpDevice(TcpDevice):  # type: ignore[misc]
        def _recv_exact(self, n: int) -> bytes:
            buf = b""
            while len(buf) < n:
                part = self.socket.recv(n - len(buf))
                if not part:
                    raise ConnectionError("the Ledger emulator closed the connection")
                buf += part
            return buf

        def read(self, timeout: int = 0) -> bytes:
            size = int.from_bytes(self._recv_exact(4), "big")
            return self._recv_exact(size + 2)

        def write(self, data: bytes) -> None:
            self.socket.sendall(len(data).to_bytes(4, "big") + data)

    return FullReadTcpDevice(address)


def hid_devices() -> list[Any]:
    """Ledger devices on USB HID. Raises LibraryMissing when hidapi/libusb cannot load."""
    try:
        from ledgerwallet.transport.hid import HidDevice
    except ImportError as exc:
        raise LibraryMissing(
            Said(
                "ledger.ledger_usb_library_hidapi",
                "The Ledger USB library (hidapi) cannot load: install libhidapi / libusb ({kind})",
                kind=type(exc).__name__,
            ),
            library="hidapi",
        ) from exc
    return list(HidDevice.enumerate_devices())


def _path_bytes(path: str) -> bytes:
    parts = path.replace("H", "'").replace("h", "'").split("/")
    if not parts or parts[0] != "m" or len(parts) > 11:
        raise Unsupported(
            Said(
                "ledger.not_derivation_path_expected",
                "not a derivation path (expected m/44'/60'/0'/0/0)",
            )
        )
    out = bytes([len(parts) - 1])
    for p in parts[1:]:
        hardened = p.endswith("'")
        digits = p.rstrip("'")
        if not digits.isdigit() or int(digits) >= 0x80000000:
            raise Unsupported(
                Said(
                    "ledger.not_derivation_path_expected",
                    "not a derivation path (expected m/44'/60'/0'/0/0)",
                )
            )
        out += (int(digits) | (0x80000000 if hardened else 0)).to_bytes(4, "big")
    return out


def _compress(pub: bytes) -> bytes:
    if len(pub) == 65 and pub[0] == 4:
        return bytes([2 + (pub[64] & 1)]) + pub[1:33]
    return pub


class LedgerSigner:
    """A Ledger running the Ethereum app. Call it from the device thread."""

    def __init__(
        self, device: Any, interaction: Interaction | None = None, *, path: str = ""
    ) -> None:
        try:
            from ledgerwallet.client import LedgerClient
        except ImportError as exc:
            raise LibraryMissing(
                Said("ledger.ledgerwallet_not_installed", "ledgerwallet is not installed"),
                library="ledgerwallet",
            ) from exc
        self._interaction = interaction
        self._client = self._open(LedgerClient, device)
        self._btc_half: Any = None
        app, version = self.current_app()
        self.info = DeviceInfo(
            kind=SignerKind.LEDGER,
            model="Ledger",
            firmware=f"{app} {version}",
            label=None,
            path=path or None,
        )

    @staticmethod
    @_map_errors
    def _open(client_cls: Any, device: Any) -> Any:
        return client_cls(device, cla=CLA)

    def __repr__(self) -> str:
        return f"LedgerSigner({self.info.firmware!r}, path={self.info.path!r})"

    @_map_errors
    def _raw(self, apdu: bytes) -> bytes:
        """One APDU; the answer with its status word."""
        answer = bytes(self._client.raw_exchange(apdu))
        if len(answer) < 2:
            raise Disconnected("The Ledger sent a truncated answer: reconnect it.")
        return answer

    def _exchange(self, apdu: bytes, wanted_app: str = ETH_APP) -> bytes:
        answer = self._raw(apdu)
        sw = int.from_bytes(answer[-2:], "big")
        if sw != SW_OK:
            raise _status_error(sw, wanted_app)
        return answer[:-2]

    def _apdu(self, ins: int, p1: int, p2: int, data: bytes) -> bytes:
        return self._exchange(bytes([CLA, ins, p1, p2, len(data)]) + data)

    def current_app(self) -> tuple[str, str]:
        """(name, version) of the open app; 'BOLOS' is the dashboard."""
        body = self._exchange(bytes([0xB0, 0x01, 0x00, 0x00, 0x00]), wanted_app=ETH_APP)
        if not body or body[0] != 1:
            raise LedgerStatus("The Ledger's app information is not in a known format.")
        n = body[1]
        name = body[2 : 2 + n].decode("ascii", "replace")
        m = body[2 + n]
        version = body[3 + n : 3 + n + m].decode("ascii", "replace")
        return name, version

    def _require_app(self, wanted: str) -> None:
        name, _ = self.current_app()
        if name != wanted:
            raise WrongApp(wanted, current=name)

    def capabilities(self) -> frozenset[Capability]:
        return frozenset(
            {
                Capability.ETH_ADDRESS,
                Capability.ETH_SIGN_TX,
                Capability.ETH_SIGN_TYPED_DATA,
                Capability.ETH_SIGN_MESSAGE,
                Capability.BTC_ADDRESS,
                Capability.BTC_SIGN_PSBT,
                Capability.BTC_SIGN_MESSAGE,
                Capability.DISPLAY_ADDRESS,
            }
        )

    def _btc(self) -> Any:
        if self._btc_half is None:
            from devices.ledger_btc import LedgerBitcoin

            self._btc_half = LedgerBitcoin(
                self._raw, self.current_app, _status_error, self._interaction, self.info.model
            )
        return self._btc_half

    def get_xpub(self, path: str) -> str:
        """An extended public key: from the Ethereum app for m/44'/60'/... paths (its public
        key and chain code), from the Bitcoin app otherwise."""
        steps = _path_bytes(path)
        if len(steps) >= 9 and steps[5:9] == (0x8000003C).to_bytes(4, "big"):
            return self._eth_xpub(path)
        from devices.ledger_btc import chain_of_app

        return str(self._btc().get_xpub(path, chain_of_app(self.current_app()[0], path)))

    def taproot_refusal(self) -> str | None:
        """Why the open Bitcoin-family app cannot sign taproot (None when it can, or when no
        Bitcoin-family app is open): the Bitcoin app before 2.1 and the Litecoin app cannot."""
        from devices.ledger_btc import APP_CHAINS, app_taproot_refusal

        name, version = self.current_app()
        return app_taproot_refusal(name, version) if name in APP_CHAINS else None

    def master_fingerprint(self) -> bytes:
        """The BIP32 master fingerprint: only the Bitcoin app tells it (WrongApp otherwise)."""
        from devices.ledger_btc import chain_of_app

        return bytes(self._btc().fingerprint(chain_of_app(self.current_app()[0])))

    def _eth_key(self, path: str) -> tuple[bytes, bytes]:
        """(compressed public key, chain code) at `path` from the Ethereum app."""
        body = self._apdu(INS_GET_ADDRESS, 0x00, 0x01, _path_bytes(path))
        pub_len = body[0]
        pub = body[1 : 1 + pub_len]
        addr_len = body[1 + pub_len]
        chain_code = body[2 + pub_len + addr_len : 2 + pub_len + addr_len + 32]
        if pub_len != 65 or len(chain_code) != 32:
            raise LedgerStatus("The Ledger's public key answer is not in a known format.")
        return _compress(pub), chain_code

    def _eth_xpub(self, path: str) -> str:
        # BIP32 serialisation needs the parent's fingerprint, so the parent is asked too.
        from embit import bip32, ec, hashes
        from embit.networks import NETWORKS

        parent_path, _, last = path.rpartition("/")
        pub, chain_code = self._eth_key(path)
        parent, _ = self._eth_key(parent_path)
        child = int(last.rstrip("'hH")) | (0x80000000 if last[-1:] in "'hH" else 0)
        node = bip32.HDKey(
            ec.PublicKey.parse(pub),
            chain_code,
            version=NETWORKS["main"]["xpub"],
            depth=path.count("/"),
            fingerprint=hashes.hash160(parent)[:4],
            child_number=child,
        )
        return str(node.to_base58())

    def get_address(self, chain: str, path: str, *, display: bool = False) -> str:
        if chain not in EVM_CHAINS:
            return str(self._btc().get_address(chain, path, display=display))
        ask = display and self._interaction is not None
        if ask:
            # Got silently first so the screen can show what the Ledger is about to show.
            shown = self._address(path, display=False)
            self._interaction.confirm_on_device(  # type: ignore[union-attr]
                DevicePrompt(
                    kind=PromptKind.VERIFY_ADDRESS,
                    device=self.info.model,
                    chain=chain,
                    path=path,
                    address=shown,
                )
            )
        try:
            return self._address(path, display=display)
        finally:
            if ask:
                self._interaction.finished()  # type: ignore[union-attr]

    def _address(self, path: str, *, display: bool) -> str:
        body = self._apdu(INS_GET_ADDRESS, 0x01 if display else 0x00, 0x00, _path_bytes(path))
        pub_len = body[0]
        addr_len = body[1 + pub_len]
        hex_addr = body[2 + pub_len : 2 + pub_len + addr_len].decode("ascii")
        from eth_utils import to_checksum_address

        return str(to_checksum_address("0x" + hex_addr))

    def _vrs(self, body: bytes) -> tuple[int, int, int]:
        if len(body) != 65:
            raise LedgerStatus("The Ledger's signature has the wrong length.")
        return body[0], int.from_bytes(body[1:33], "big"), int.from_bytes(body[33:65], "big")

    def sign_evm_tx(self, path: str, tx: EvmTx) -> EvmSignature:
        from devices.evmtx import assemble, evm_prompt, unsigned_payload

        payload = _path_bytes(path) + unsigned_payload(tx)
        if self._interaction is not None:
            self._interaction.confirm_on_device(evm_prompt(self.info.model, path, tx))
        try:
            body = b""
            for offset in range(0, len(payload), CHUNK):
                p1 = 0x00 if offset == 0 else 0x80
                body = self._apdu(INS_SIGN_TX, p1, 0x00, payload[offset : offset + CHUNK])
        finally:
            if self._interaction is not None:
                self._interaction.finished()
        v_byte, r, s = self._vrs(body)
        if tx.tx_type:  # EIP-2930 and EIP-1559: the app answers the y parity
            v = v_byte & 1
        else:
            # The app returns one byte of EIP-155's v (chain_id * 2 + 35 + parity), truncated
            # for large chain ids; recover the parity from it.
            base = tx.chain_id * 2 + 35
            v = base + ((v_byte - base) & 0xFF)
        return assemble(tx, v, r, s)

    def sign_typed_data(self, path: str, data: dict[str, Any]) -> bytes:
        from devices.evmtx import typed_data_hashes

        domain, message = typed_data_hashes(data)
        if message is None:
            # The hashed-mode command (0x0C) takes a domain hash and a message hash; there is
            # no form of it without the message.
            raise Unsupported(
                Said(
                    "ledger.ledger_ethereum_app_cannot",
                    "The Ledger Ethereum app cannot sign a domain-only EIP-712 "
                    "document (primaryType EIP712Domain); sign it with another "
                    "signer.",
                )
            )
        if self._interaction is not None:
            self._interaction.confirm_on_device(
                DevicePrompt(
                    kind=PromptKind.SIGN_TYPED_DATA,
                    device=self.info.model,
                    path=path,
                    hashes=(domain.hex(), message.hex()),
                )
            )
        try:
            body = self._apdu(
                INS_SIGN_EIP712_HASHED, 0x00, 0x00, _path_bytes(path) + domain + message
            )
        finally:
            if self._interaction is not None:
                self._interaction.finished()
        v, r, s = self._vrs(body)
        return r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes([v])

    def sign_message(self, path: str, message: bytes) -> bytes:
        """EIP-191 personal_sign (SIGN ETH PERSONAL MESSAGE): 65 bytes r || s || v, v 27/28.
        The payload is the path, the message length (4 bytes) and the message, in chunks."""
        from devices.base import shown_message

        payload = _path_bytes(path) + len(message).to_bytes(4, "big") + message
        if self._interaction is not None:
            self._interaction.confirm_on_device(
                DevicePrompt(
                    kind=PromptKind.SIGN_MESSAGE,
                    device=self.info.model,
                    path=path,
                    message=shown_message(message),
                )
            )
        try:
            body = b""
            for offset in range(0, len(payload), CHUNK):
                p1 = 0x00 if offset == 0 else 0x80
                body = self._apdu(
                    INS_SIGN_PERSONAL_MESSAGE, p1, 0x00, payload[offset : offset + CHUNK]
                )
        finally:
            if self._interaction is not None:
                self._interaction.finished()
        v, r, s = self._vrs(body)
        return r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes([v])

    def sign_btc_message(self, chain: str, path: str, message: bytes, fmt: str) -> bytes:
        return bytes(self._btc().sign_message(chain, path, message, fmt))

    def sign_psbt(self, psbt: bytes, chain: str) -> bytes:
        return bytes(self._btc().sign_psbt(psbt, chain))

    def close(self) -> None:
        try:
            self._client.close()
        except OSError:
            pass
