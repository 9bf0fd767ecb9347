"""`termwallet devices [--json]`: the signing devices termwallet can see, and why not others."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "devices",
        help="list connected Trezor, Ledger and other hardware wallets",
        description="List hardware wallets (and emulators) with the id that --device takes. "
        "Device libraries that cannot load are reported with what to install.",
    )
    p.add_argument("--json", action="store_true", help="print JSON for scripts")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from devices.registry import discover
    from devices.thread import device_thread
    from tui.i18n import t

    found = device_thread().run(discover)
    if args.json:
        print(json.dumps(found.to_json(), indent=2))
        return 0
    if not found.devices:
        print(t("devices.cli.none_found"), file=sys.stderr)
    for d in found.devices:
        print(f"{d.id:40} {d.model:20} {d.detail}".rstrip())
    for p in found.problems:
        # The message is the device library's own (data, as the app shows it too).
        msg = t("devices.cli.problem", brand=p.kind.brand, message=p.message, code=p.code)
        print(msg, file=sys.stderr)
    return 0


class CliInteraction:
    """devices.base.Interaction for the command line: prompts on stderr, secrets through
    getpass (never echoed, never from argv). Without a terminal, a PIN or passphrase cannot be
    asked: the device call fails with a message saying to unlock it first."""

    def __init__(self, device: str, *, stream: Any = None, interactive: bool | None = None):
        self.device = device
        self._err = stream or sys.stderr
        self._tty = sys.stdin.isatty() if interactive is None else interactive
        self._last: Any = None

    def _no_terminal(self, what: str) -> Any:
        from devices.errors import DeviceLocked
        from tui.i18n import t

        return DeviceLocked(t(f"devices.cli.no_terminal_{what}", device=self.device))

    def get_pin(self, kind: Any) -> str:
        from tui.i18n import t

        if not self._tty:
            raise self._no_terminal("pin")
        import getpass

        print(t(f"devices.pin.title_{kind.value}", device=self.device), file=self._err)
        print(t("devices.pin.hint", device=self.device), file=self._err)
        print("  7 8 9\n  4 5 6\n  1 2 3", file=self._err)  # the positions, not the digits
        return getpass.getpass("PIN: ").strip()

    def get_passphrase(self, *, on_device_ok: bool) -> Any:
        from devices.base import OnDevice
        from tui.i18n import t

        if not self._tty:
            raise self._no_terminal("passphrase")
        import getpass

        print(t("devices.passphrase.title", device=self.device), file=self._err)
        print(t("devices.passphrase.hint"), file=self._err)
        ask = t("devices.passphrase.on_device_ask", device=self.device)
        if on_device_ok and input(ask).strip().lower() == "y":
            return OnDevice()
        return getpass.getpass(t("devices.passphrase.placeholder") + ": ")

    def confirm_on_device(self, prompt: Any) -> None:
        from tui.screens.device_confirm import prompt_text

        if prompt != self._last:  # one print per screen, not per button request
            self._last = prompt
            print(prompt_text(prompt), file=self._err, flush=True)

    def finished(self) -> None:
        self._last = None


def open_device(device_id: str, *, interaction: Any = None) -> Any:
    """The signer for `--device ID` (see `termwallet devices`), running on the device thread.
    Raises CliError with a clear message when it is missing, locked, or its library is not
    installed. The software signer is not opened here ('software' needs the keystore)."""
    from devices.errors import DeviceError, Disconnected, Unsupported
    from devices.registry import discover_for, find, select
    from devices.thread import OnDeviceThread, device_thread
    from tui.cli_errors import CliError
    from tui.i18n import t

    def no_software() -> Any:
        raise CliError(t("devices.cli.no_software"))

    found = device_thread().run(discover_for, device_id)
    try:
        entry = find(device_id, found)
    except Disconnected:
        problems = "".join(f"\n  {p.kind.brand}: {p.message}" for p in found.problems)
        raise CliError(t("devices.cli.not_found", id=device_id) + problems) from None
    except Unsupported:
        ids = ", ".join(d.id for d in found.devices if d.id.startswith(device_id))
        raise CliError(t("devices.cli.ambiguous", id=device_id, ids=ids)) from None
    # Until the device says which model it is, it is named as listed ("Trezor", "Ledger"):
    # never by its id, which is no name.
    ui = interaction or CliInteraction(entry.model)
    try:
        sel = device_thread().run(
            select, device_id, interaction=ui, software=no_software, discovery=found
        )
    except DeviceError as exc:
        raise CliError(device_failure(exc, entry.model)) from None
    if isinstance(ui, CliInteraction):
        ui.device = sel.signer.info.model
    return OnDeviceThread(sel.signer)


def device_failure(exc: BaseException, device: str) -> str:
    from tui.device_interaction import device_error_text

    return device_error_text(exc, device)


class CliWait:
    """wallet.device_wallet.DeviceWait for the command line: says once what to plug in, then
    waits (up to `timeout` seconds) while the device wallet looks for its device. Without a
    terminal nobody can plug anything in: it does not wait."""

    def __init__(
        self, *, timeout: float = 300.0, stream: Any = None, interactive: bool | None = None
    ) -> None:
        self._timeout = timeout
        self._err = stream or sys.stderr
        self._tty = sys.stdin.isatty() if interactive is None else interactive
        self._since: float | None = None

    def waiting(self, message: str) -> bool:
        import time

        from tui.i18n import t
        from tui.text import plain

        if not self._tty:
            return False
        if self._since is None:
            self._since = time.monotonic()
            print(t("devices.cli.waiting", message=plain(message)), file=self._err)
        return time.monotonic() - self._since < self._timeout

    def connected(self) -> None:
        from tui.i18n import t

        if self._since is not None:
            print(t("devices.cli.found"), file=self._err)
        self._since = None


def cli_wallet_signer(device: Any) -> Any:
    """A device wallet's signer (wallet/device_wallet.py) with the CLI's prompts, on the device
    thread."""
    from devices.thread import OnDeviceThread

    device.interaction = CliInteraction(device.info.model)
    device.wait = CliWait()
    return OnDeviceThread(device)
