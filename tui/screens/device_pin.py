"""The Trezor One PIN matrix: the device shows the digits 1-9 scrambled on a 3x3 grid; the user
enters the POSITIONS here, laid out like a numeric keypad (7 8 9 / 4 5 6 / 1 2 3). This screen
never shows a digit: the buttons are blank and the entry is dots, so neither the screen nor a
screenshot of it reveals the PIN.

Dismisses with the positions typed ("7415"), or None when cancelled.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Static

from devices.base import PinKind
from tui.bindings import translate_bindings
from tui.i18n import t

# Row by row, as on a keypad: the top row is 7 8 9.
LAYOUT = ("7", "8", "9", "4", "5", "6", "1", "2", "3")
MAX_LEN = 50  # trezor-firmware's MAX_PIN_LEN (newer firmware; the One's older limit is 9)


class DevicePinScreen(ModalScreen[str | None]):
    CSS_PATH = "../styles/devices.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "submit", "bind.device_submit", show=True, priority=True),
        Binding("backspace", "delete", "bind.device_delete", show=True, priority=True),
        Binding("escape", "cancel", "bind.device_cancel", show=True, priority=True),
    ]

    def __init__(self, kind: PinKind, device: str = "Trezor") -> None:
        super().__init__()
        self.kind = kind
        self.device = device
        self._positions = ""

    def compose(self) -> ComposeResult:
        with Vertical(id="device-box"):
            yield Static(
                Text(t(f"devices.pin.title_{self.kind.value}", device=self.device)),
                classes="device-title",
            )
            yield Static(Text(t("devices.pin.hint", device=self.device)), classes="device-hint")
            with Grid(id="pin-grid"):
                for pos in LAYOUT:
                    yield Button("•", id=f"pin-{pos}", classes="pin-key")
            yield Static(t("devices.pin.empty"), id="pin-entered")
        yield Footer()

    def on_mount(self) -> None:
        translate_bindings(self)
        self.query_one("#pin-grid").focus()

    @property
    def entered(self) -> int:
        """How many positions are entered (what the screen may show)."""
        return len(self._positions)

    def _add(self, pos: str) -> None:
        if len(self._positions) < MAX_LEN:
            self._positions += pos
        self._refresh()

    def _refresh(self) -> None:
        text = (
            t("devices.pin.entered", dots="●" * len(self._positions))
            if self._positions
            else t("devices.pin.empty")
        )
        self.query_one("#pin-entered", Static).update(text)

    def on_key(self, event: events.Key) -> None:
        if event.character is not None and event.character in LAYOUT:
            event.stop()
            event.prevent_default()
            self._add(event.character)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id and event.button.id.startswith("pin-"):
            self._add(event.button.id.removeprefix("pin-"))

    def action_delete(self) -> None:
        self._positions = self._positions[:-1]
        self._refresh()

    def action_submit(self) -> None:
        if self._positions:
            positions, self._positions = self._positions, ""
            self.dismiss(positions)

    def action_cancel(self) -> None:
        self._positions = ""
        self.dismiss(None)
