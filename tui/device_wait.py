"""wallet.device_wallet.DeviceWait for the app: while a device wallet looks for its unplugged
device, a modal says what to connect; Escape stops waiting (the flow then fails with
Disconnected and says so). Called from the device thread, like tui/device_interaction.py."""

from __future__ import annotations

import threading
from typing import Any

from textual.app import App

from tui.i18n import t
from tui.screens.device_wait import DeviceWaitScreen


class AppDeviceWait:
    def __init__(self, app: App[Any], device: str, wallet: str) -> None:
        self._app = app
        self._text = t("devices.wait.connect", device=device, wallet=wallet)
        self._screen: DeviceWaitScreen | None = None
        self._stopped = threading.Event()

    def waiting(self, message: str) -> bool:
        if not self._app.is_running:
            return False
        if self._screen is None:
            self._stopped.clear()
            # The wallet layer's `message` is English; the app says the same in its language.
            screen = self._screen = DeviceWaitScreen(self._text)

            def push() -> None:
                self._app.push_screen(screen, lambda _: self._stopped.set())

            try:
                self._app.call_from_thread(push)
            except RuntimeError:
                return False
        if self._stopped.is_set():
            self._screen = None
            return False
        return True

    def connected(self) -> None:
        screen, self._screen = self._screen, None
        if screen is None:
            return

        def close() -> None:
            if screen in self._app.screen_stack:
                screen.dismiss(True)

        try:
            self._app.call_from_thread(close)
        except RuntimeError:
            pass
