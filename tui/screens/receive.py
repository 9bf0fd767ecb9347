"""Receive: on a Bitcoin/Litecoin account the first unused address, its QR code (a BIP21 URI,
wallet/qr.py); on an Ethereum account (the coin or any of its tokens: one address) the
account's address and an EIP-681 QR (wallet/evm_receive.py). A copy through the clipboard
guard. Pushed from Assets (`r`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from tui.bindings import translate_bindings
from tui.errors import error_code, user_message
from tui.i18n import t

if TYPE_CHECKING:
    from wallet.utxo_portfolio import ReceiveInfo


class AppClipboard:
    """The terminal's clipboard (OSC 52) through Textual. It cannot be read back, so the
    guard's clearing empties it whatever it holds then."""

    def __init__(self, app: object) -> None:
        self._app = app

    def set_text(self, text: str) -> None:
        self._app.copy_to_clipboard(text)  # type: ignore[attr-defined]

    def get_text(self) -> str | None:
        return None


class ReceiveScreen(Screen[None]):
    DEFAULT_CSS = """
    #receive-body { padding: 0 1; height: 1fr; }
    #receive-row { height: auto; }
    #receive-qr { width: auto; height: auto; }
    #receive-address { height: auto; }
    #receive-note { width: 1fr; height: auto; padding: 0 0 0 2; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "copy", "bind.copy_address"),
        Binding("d", "show_on_device", "bind.show_on_device"),
        Binding("escape", "back", "bind.send_back"),
    ]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "show_on_device":
            # Only a device wallet has a device to show the address on.
            session = getattr(self.app, "session", None)
            return getattr(session, "device", None) is not None and self.info is not None
        return True

    def __init__(self, key: str) -> None:
        super().__init__()
        self.key = key
        self.info: ReceiveInfo | None = None
        self._error: BaseException | None = None

    def _read(self) -> ReceiveInfo:
        session = self.app.session  # type: ignore[attr-defined]
        utxo = getattr(session, "utxo", None)
        if utxo and self.key in utxo.keys():
            return utxo.receive(self.key)  # type: ignore[no-any-return]
        from wallet.evm_receive import evm_receive

        asset = next(a for a in session.assets if a.key == self.key)
        address = session.addresses[0]
        try:
            path: str | None = session.path_of(address)
        except LookupError:  # a watched account: no key, nothing to show on a device
            path = None
        return evm_receive(session.network, asset, address, path)

    def compose(self) -> ComposeResult:
        try:
            self.info = self._read()
        except Exception as exc:
            if error_code(exc) is None:
                raise
            self._error = exc
        with VerticalScroll(id="receive-body"):
            if self.info is None:
                yield Static(t("utxo.receive.title_plain"), classes="title")
                assert self._error is not None
                yield Static(Text(user_message(self._error)), classes="warning")
            else:
                i = self.info
                if i.script:
                    kind = t(f"utxo.script_{i.script}")
                    title = t("utxo.receive.title", symbol=i.symbol, network=i.network_name,
                              kind=kind)  # fmt: skip
                else:
                    title = t("receive.title_evm", symbol=i.symbol, network=i.network_name)
                # Text: a token's symbol is whatever its contract says (markup, escapes).
                yield Static(Text(title), classes="title")
                address = Text(t("utxo.receive.address") + "  ", style="bold")
                address.append(i.address)
                yield Static(address, id="receive-address")
                note = t("utxo.receive.hint", uri=i.uri)
                if not i.script:
                    coin = self.app.session.network.native_symbol  # type: ignore[attr-defined]
                    note = t("receive.same_address", network=i.network_name, coin=coin) + (
                        "\n" + note
                    )
                if not i.checked:
                    note = t("utxo.receive.unchecked") + "\n" + note
                # Beside the QR, not below it: at 80x24 the code fills the screen's height,
                # and the note (send only this network's assets) must be seen without
                # scrolling (issue 17).
                with Horizontal(id="receive-row"):
                    yield Static("\n".join(i.qr.lines), id="receive-qr")
                    yield Static(Text(note), id="receive-note", classes="muted")
        yield Footer()

    def on_mount(self) -> None:
        translate_bindings(self)

    def action_copy(self) -> None:
        from wallet.clipboard import ClipboardGuard

        if self.info is None:
            return
        # Not sensitive: an address is meant to be shared, so it is not cleared later.
        ClipboardGuard(AppClipboard(self.app)).copy(self.info.address, sensitive=False)
        # OSC 52 has no answer: whether the terminal took it cannot be known, so say so.
        self.notify(t("utxo.receive.copied"), timeout=8)

    def action_show_on_device(self) -> None:
        """The wallet's device shows the same address (the confirm screen shows ours beside
        it): a device that shows another is reported, and the address must not be used."""
        if self.info is None or self.info.path is None:
            return
        self._show_on_device(self.info.chain, self.info.path, self.info.address)

    @work(thread=True, exclusive=True, group="receive-device", exit_on_error=False)
    def _show_on_device(self, chain: str, path: str, address: str) -> None:
        from devices.errors import DeviceError
        from tui.device_interaction import device_error_text

        signer = self.app.session.active_signer  # type: ignore[attr-defined]
        model = signer.info.model
        try:
            shown = str(signer.get_address(chain, path, display=True))
        except DeviceError as exc:
            text = device_error_text(exc, model)
            self.app.call_from_thread(self.notify, text, severity="error", markup=False)
            return
        if shown != address:
            text = t("utxo.receive.device_differs", device=model, shown=shown)
            self.app.call_from_thread(self.notify, text, severity="error", timeout=30, markup=False)
            return
        text = t("utxo.receive.device_same", device=model)
        self.app.call_from_thread(self.notify, text, markup=False)

    def action_back(self) -> None:
        self.app.pop_screen()
