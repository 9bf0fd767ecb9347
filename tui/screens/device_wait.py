"""'Connect your Trezor One (wallet ...)': shown while a device wallet waits for its device.
Dismissed by the waiter when the device is found (True), or by Escape (None: stop waiting)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.i18n import t


class DeviceWaitScreen(ModalScreen[bool | None]):
    DEFAULT_CSS = """
    DeviceWaitScreen { align: center middle; }
    #device-wait-box {
        width: 70; max-width: 100%; height: auto;
        padding: 1 2; border: round $warning; background: $surface;
    }
    #device-wait-hint { color: $text-muted; padding: 1 0 0 0; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "stop", show=False)]

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message

    def compose(self) -> ComposeResult:
        with Vertical(id="device-wait-box"):
            yield Static(Text(self.message), id="device-wait-text")
            yield Static(t("devices.wait.hint"), id="device-wait-hint")

    def action_stop(self) -> None:
        self.dismiss(None)
