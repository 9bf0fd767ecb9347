"""The passphrase for a device's hidden wallet: typed here (masked), or on the device itself
when the device can take it (then this computer never sees it).

Dismisses with the passphrase (empty: the standard wallet), ON_DEVICE, or None when cancelled.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Static

from devices.base import OnDevice
from tui.bindings import translate_bindings
from tui.i18n import t

ON_DEVICE = OnDevice()


class DevicePassphraseScreen(ModalScreen[str | OnDevice | None]):
    CSS_PATH = "../styles/devices.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "bind.device_cancel", show=True, priority=True),
        Binding("ctrl+d", "on_device", "bind.device_on_device", show=True, priority=True),
    ]

    def __init__(self, *, on_device_ok: bool, device: str = "Trezor") -> None:
        super().__init__()
        self.on_device_ok = on_device_ok
        self.device = device

    def compose(self) -> ComposeResult:
        with Vertical(id="device-box"):
            yield Static(
                Text(t("devices.passphrase.title", device=self.device)), classes="device-title"
            )
            yield Static(t("devices.passphrase.hint"), classes="device-hint")
            yield Input(
                password=True, placeholder=t("devices.passphrase.placeholder"), id="passphrase"
            )
            if self.on_device_ok:
                yield Static(
                    Text(t("devices.passphrase.on_device_hint", device=self.device)),
                    classes="device-hint",
                )
        yield Footer()

    def on_mount(self) -> None:
        translate_bindings(self)
        self.query_one("#passphrase", Input).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "on_device":
            return self.on_device_ok
        return True

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        box = self.query_one("#passphrase", Input)
        value, box.value = box.value, ""  # do not keep the secret in the widget
        self.dismiss(value)

    def action_on_device(self) -> None:
        if self.on_device_ok:
            self.query_one("#passphrase", Input).value = ""
            self.dismiss(ON_DEVICE)

    def action_cancel(self) -> None:
        self.query_one("#passphrase", Input).value = ""
        self.dismiss(None)
