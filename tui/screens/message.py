"""Sign or verify a message (issue 20), from the command palette: one of this wallet's
addresses signs (BIP322 or legacy for Bitcoin/Litecoin, EIP-191 for EVM), or any address's
signature is checked. Signing runs in a worker: a hardware wallet asks for its buttons through
the app's device screens; verifying needs no signer and no network.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Input, Select, Static, TextArea

from tui.bindings import translate_bindings
from tui.errors import sentence
from tui.i18n import t


@dataclass(frozen=True)
class OwnAddress:
    chain: str
    address: str
    path: str | None  # None: watch-only, verify only


def own_addresses(session: object) -> list[OwnAddress]:
    """The addresses this wallet can sign for: its EVM accounts and each Bitcoin/Litecoin
    account's receiving address."""
    out: list[OwnAddress] = []
    if session is None:
        return out
    network = session.network  # type: ignore[attr-defined]
    if getattr(network.kind, "value", "") == "evm":
        for address in session.addresses:  # type: ignore[attr-defined]
            try:
                path: str | None = session.path_of(address)  # type: ignore[attr-defined]
            except LookupError:
                path = None
            out.append(OwnAddress(network.id, address, path))
    utxo = getattr(session, "utxo", None)
    for key in utxo.keys() if utxo else ():
        try:
            info = utxo.receive(key)
        except ValueError:  # a watched single address, or an account that does not parse
            continue
        out.append(OwnAddress(info.chain, info.address, info.path))
    return out


def _utxo_formats() -> list[tuple[str, str]]:
    return [(t("message.format_bip322"), "bip322"), (t("message.format_legacy"), "legacy")]


class MessageScreen(Screen[None]):
    CSS_PATH = "../styles/message.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "sign", "bind.message_sign", priority=True),
        Binding("ctrl+r", "verify", "bind.message_verify", priority=True),
        Binding("ctrl+y", "copy", "bind.message_copy", priority=True),
        Binding("escape", "close", "bind.message_close"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.own = own_addresses(getattr(self.app, "session", None))

    def compose(self) -> ComposeResult:
        options = [(f"{o.chain}  {o.address}", i) for i, o in enumerate(self.own)]
        with VerticalScroll(id="message-body"):
            yield Static(t("message.title"), id="message-title")
            yield Static(t("message.intro"), id="message-intro")
            yield Static(t("message.address"), classes="message-label")
            yield Select(options, id="message-own", allow_blank=not options, prompt="-")
            yield Input(placeholder=t("message.address"), id="message-address")
            yield Static(t("message.format"), classes="message-label")
            yield Select(
                _utxo_formats(),
                value="bip322",
                allow_blank=False,
                id="message-format",
            )
            yield Static(t("message.message"), classes="message-label")
            yield TextArea(id="message-text", soft_wrap=True)
            yield Static(t("message.signature"), classes="message-label")
            yield TextArea(id="message-signature", soft_wrap=True)
            yield Static("", id="message-status")
        yield Footer()

    def on_mount(self) -> None:
        translate_bindings(self)
        if self.own:
            self._choose(0)
        else:
            self._status(t("message.no_signer"))

    def _choose(self, index: int) -> None:
        own = self.own[index]
        self.query_one("#message-address", Input).value = own.address
        from wallet.messages import is_evm

        # EVM messages have one format (EIP-191): the choice is for Bitcoin and Litecoin.
        fmt = self.query_one("#message-format", Select)
        if is_evm(own.chain):
            fmt.set_options([(t("message.format_eip191"), "eip191")])
            fmt.value = "eip191"
        else:
            fmt.set_options(_utxo_formats())
            fmt.value = "bip322"

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "message-own" and isinstance(event.value, int):
            self._choose(event.value)

    def _selected(self) -> OwnAddress | None:
        value = self.query_one("#message-own", Select).value
        return self.own[value] if isinstance(value, int) else None

    def _message(self) -> bytes | None:
        text = self.query_one("#message-text", TextArea).text
        if not text:
            self._status(t("message.empty_message"), "error")
            return None
        return text.encode("utf-8")

    def _status(self, text: str, kind: str = "") -> None:
        status = self.query_one("#message-status", Static)
        status.update(Text(text))  # outside text (addresses, signatures): never markup
        status.set_classes(kind)

    # -- sign ----------------------------------------------------------------------------------

    def action_sign(self) -> None:
        own = self._selected()
        message = self._message()
        if own is None or message is None:
            return
        session = getattr(self.app, "session", None)
        signer = getattr(session, "active_signer", None)
        if own.path is None or signer is None:
            self._status(t("message.no_signer"), "error")
            return
        fmt = str(self.query_one("#message-format", Select).value)
        typed = self.query_one("#message-address", Input).value.strip()
        self._status(t("message.signing"))
        self._sign(signer, own, typed or own.address, message, fmt)

    def _resolve(self, own: OwnAddress, typed: str) -> OwnAddress:
        """The address typed in the field, when it is another of this wallet's (looked up
        among its accounts: wallet/messages.find_address), else the one selected."""
        same = typed.lower() == own.address.lower()
        if same:
            return own
        from wallet.accounts import AccountBook
        from wallet.messages import find_address, signing_path

        session = self.app.session  # type: ignore[attr-defined]
        wallet = getattr(session, "wallet", None)
        book = AccountBook(session.store, None if wallet is None else wallet.id)
        spot = find_address(book, own.chain, typed)
        path = signing_path(own.chain, spot.script, spot.account, spot.index, change=spot.change)
        return OwnAddress(own.chain, typed, path)

    @work(thread=True, exclusive=True, group="message-sign", exit_on_error=False)
    def _sign(self, signer: object, own: OwnAddress, typed: str, message: bytes, fmt: str) -> None:
        from devices.errors import DeviceError
        from tui.device_interaction import device_error_text
        from wallet.messages import MessageError, is_evm, sign

        try:
            own = self._resolve(own, typed)
            signed = sign(
                signer, own.chain, own.address, own.path or "", message,
                None if is_evm(own.chain) else fmt,
            )  # fmt: skip
        except DeviceError as exc:
            model = getattr(getattr(signer, "info", None), "model", "device")
            text = t("message.failed", reason=device_error_text(exc, model))
            self.app.call_from_thread(self._status, text, "error")
            return
        except (MessageError, ValueError) as exc:  # ValueError: AccountError, a bad path
            self.app.call_from_thread(
                self._status, t("message.failed", reason=sentence(exc)), "error"
            )
            return
        self.app.call_from_thread(self._signed, signed.signature, own.address, signed.format)

    def _signed(self, signature: str, address: str, fmt: str) -> None:
        self.query_one("#message-signature", TextArea).text = signature
        self._status(t("message.signed", address=address, format=fmt), "valid")

    # -- verify --------------------------------------------------------------------------------

    def action_verify(self) -> None:
        message = self._message()
        if message is None:
            return
        own = self._selected()
        address = self.query_one("#message-address", Input).value.strip()
        signature = self.query_one("#message-signature", TextArea).text.strip()
        chain = own.chain if own is not None else ""
        self._verify(chain, address, message, signature)

    @work(thread=True, exclusive=True, group="message-verify", exit_on_error=False)
    def _verify(self, chain: str, address: str, message: bytes, signature: str) -> None:
        from wallet.messages import MessageError, verify

        try:
            result = verify(chain, address, message, signature)
        except (MessageError, ValueError) as exc:
            text = t("message.check_failed", reason=sentence(exc))
            self.app.call_from_thread(self._status, text, "error")
            return
        if result.valid:
            text = t("message.valid", address=address, format=result.format)
            self.app.call_from_thread(self._status, text, "valid")
        else:
            self.app.call_from_thread(self._status, t("message.invalid", address=address), "error")

    # -- other ---------------------------------------------------------------------------------

    def action_copy(self) -> None:
        from tui.screens.receive import AppClipboard
        from wallet.clipboard import ClipboardGuard

        signature = self.query_one("#message-signature", TextArea).text.strip()
        if signature:
            # A signature is meant to be shared: not cleared later, like an address.
            ClipboardGuard(AppClipboard(self.app)).copy(signature, sensitive=False)
            self.notify(t("message.copied"), timeout=4)

    def action_close(self) -> None:
        self.app.pop_screen()
