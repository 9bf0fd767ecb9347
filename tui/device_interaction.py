"""devices.base.Interaction for the Textual app: what a device asks of the human, as modals.

Every method is called FROM THE DEVICE THREAD (devices/thread.py), never from the UI thread.
PIN and passphrase block that thread until the user answers: the screen is pushed on the UI
thread with `App.call_from_thread`, and the device thread waits on a threading.Event that the
screen's dismiss callback sets. "Confirm on your device" does not block: the device thread must
go on reading the device's answer; `finished` closes the screen.

If the app exits while the device thread waits, the wait ends with UserCancelled, so the
device thread (and trezorlib, which sends Cancel to the device) is never left hanging.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from textual.app import App
from textual.screen import Screen

from devices.base import DevicePrompt, OnDevice, PinKind
from devices.errors import UserCancelled
from tui.errors import sentence, user_message
from tui.i18n import catalog, t
from tui.screens.device_confirm import DeviceConfirmScreen
from tui.screens.device_passphrase import DevicePassphraseScreen
from tui.screens.device_pin import DevicePinScreen

R = TypeVar("R")


class DeviceInteraction:
    """One per device connection; `device` names the model in the prompts ("Trezor One")."""

    def __init__(self, app: App[Any], device: str = "Trezor", *, poll: float = 0.2) -> None:
        self._app = app
        self.device = device
        self._poll = poll
        self._confirm: DeviceConfirmScreen | None = None

    # -- the blocking bridge -------------------------------------------------------------------

    def _ask(self, make: Callable[[], Screen[R]]) -> R:
        done = threading.Event()
        box: list[R] = []

        def answered(result: R | None) -> None:
            box.append(result)  # type: ignore[arg-type]
            done.set()

        def push() -> None:
            self._app.push_screen(make(), callback=answered)

        try:
            self._app.call_from_thread(push)
        except RuntimeError:
            # Not running (closing), or called from the UI thread, which would wait on itself.
            raise UserCancelled("The app could not ask for the device's input.") from None
        while not done.wait(self._poll):
            if not self._app.is_running:
                raise UserCancelled("The app closed before the device got its answer.")
        return box[0]

    # -- Interaction ---------------------------------------------------------------------------

    def get_pin(self, kind: PinKind) -> str:
        positions = self._ask(lambda: DevicePinScreen(kind, self.device))
        if positions is None:
            raise UserCancelled("You cancelled the PIN entry.")
        return positions

    def get_passphrase(self, *, on_device_ok: bool) -> str | OnDevice:
        answer = self._ask(
            lambda: DevicePassphraseScreen(on_device_ok=on_device_ok, device=self.device)
        )
        if answer is None:
            raise UserCancelled("You cancelled the passphrase entry.")
        return answer

    def confirm_on_device(self, prompt: DevicePrompt) -> None:
        def show() -> None:
            screen = self._confirm
            if screen is not None and screen in self._app.screen_stack and not screen.closing:
                screen.update(prompt)
                return
            self._confirm = DeviceConfirmScreen(prompt)
            self._app.push_screen(self._confirm)

        self._on_ui(show)

    def finished(self) -> None:
        def close() -> None:
            screen, self._confirm = self._confirm, None
            if screen is not None and screen in self._app.screen_stack:
                screen.close()

        self._on_ui(close)

    def _on_ui(self, fn: Callable[[], None]) -> None:
        try:
            self._app.call_from_thread(fn)
        except RuntimeError:
            pass  # the app is gone: nothing is left to show or close


def device_error_text(exc: BaseException, device: str) -> str:
    """A device error in the user's language, naming the device ("Open the Ethereum app on your
    Ledger"); errors with no device-specific text fall back to tui.errors.user_message."""
    code = getattr(exc, "code", None)
    key = f"devices.error.{code}"
    if not isinstance(code, str) or key not in catalog("en"):
        return user_message(exc)
    details = getattr(exc, "details", {}) or {}
    values = {
        "device": device,
        "wanted": getattr(exc, "wanted", details.get("wanted", "?")),
        "sw": details.get("sw", "?"),
        "app": details.get("app", "?"),
        "version": details.get("version", "?"),
        "detail": sentence(exc),
    }
    return t(key, **values)
