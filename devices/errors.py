"""Typed device errors. Each says what the user can do and has a stable code for tickets."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


class DeviceError(Exception):
    code = "DEVICE"

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.details = details


class DeviceLocked(DeviceError):
    code = "DEVICE_LOCKED"


class WrongPin(DeviceError):
    """The device refused the PIN just entered. Not DeviceLocked: "unlock it with its PIN"
    would tell the user to do what they just did. No count of tries left: no device we drive
    reports one (the Trezor One's Failure says only "PIN invalid" and Features has no counter),
    and a guessed number about a wipe is worse than none."""

    code = "WRONG_PIN"


class WrongApp(DeviceError):
    code = "WRONG_APP"

    def __init__(self, wanted: str, current: str | None = None) -> None:
        super().__init__(f"Open the {wanted} app on the device", wanted=wanted, current=current)
        self.wanted = wanted


class UserCancelled(DeviceError):
    code = "USER_CANCELLED"


class Disconnected(DeviceError):
    code = "DISCONNECTED"


class FirmwareOutdated(DeviceError):
    code = "FIRMWARE_OUTDATED"


class LibraryMissing(DeviceError):
    """A device library or libusb is not installed: the device kind cannot be used."""

    code = "LIBRARY_MISSING"


class Unsupported(DeviceError):
    code = "UNSUPPORTED"


class AppCannotSign(Unsupported):
    """The open device app, at its version, cannot sign this kind of coin (a Ledger Bitcoin
    app before 2.1, or the Litecoin app, and taproot): details name `app` and `version`."""

    code = "APP_CANNOT_SIGN"


class WrongDevice(DeviceError):
    """A device that holds another wallet than the one being used (another seed, or another
    passphrase): refused by name, never signed with."""

    code = "WRONG_DEVICE"


# --- one table-driven mapper for the device libraries' exceptions -----------------------------
#
# Each adapter (trezor, ledger, ledger_btc, hwi) lists its library's exceptions as rules, in the
# order they are tried; `mapped` / `call_mapped` run a call and turn what it raises into ours. A
# DeviceError passes untouched, an exception no rule names propagates as it was (a bug, not a
# device answer), and a mapped one is raised `from None` so no library text (which could carry
# request data) rides along in the chain. The tables live with their adapters: only they import
# their libraries, lazily.


@dataclass(frozen=True)
class ErrorRule:
    """Exceptions of `catch` for which `when` holds become `error(message)`.

    `message` may name {kind} (the library exception's class name) and {detail} (the
    table's `detail` of it, e.g. the device's own first line). `make` replaces error/message
    where the error depends on the exception (a Ledger status word)."""

    catch: type[BaseException] | tuple[type[BaseException], ...]
    error: type[DeviceError] = DeviceError
    message: str = ""
    when: Callable[[Any], bool] | None = None
    make: Callable[[Any], DeviceError] | None = None


@dataclass(frozen=True)
class ErrorTable:
    rules: Sequence[ErrorRule]
    detail: Callable[[Any], str] = str

    def translate(self, exc: BaseException) -> DeviceError | None:
        """Our error for `exc`, or None when no rule names it."""
        for rule in self.rules:
            if isinstance(exc, rule.catch) and (rule.when is None or rule.when(exc)):
                if rule.make is not None:
                    return rule.make(exc)
                text = rule.message
                if "{detail}" in text or "{kind}" in text:
                    detail = self.detail(exc) if "{detail}" in text else ""
                    text = text.format(kind=type(exc).__name__, detail=detail)
                return rule.error(text)
        return None


def call_mapped(table: ErrorTable, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """fn(*args, **kwargs) with its library's exceptions turned into ours by `table`."""
    try:
        return fn(*args, **kwargs)
    except DeviceError:
        raise
    except Exception as exc:
        mapped_error = table.translate(exc)
        if mapped_error is None:
            raise
        raise mapped_error from None


def mapped(table: Callable[[], ErrorTable]) -> Callable[[Callable[P, T]], Callable[P, T]]:
    """Decorator form of call_mapped. `table` builds the rules (importing the library) when
    the call is made, never at import time: device libraries stay off the start-up path."""

    def decorate(fn: Callable[P, T]) -> Callable[P, T]:
        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
            return call_mapped(table(), fn, *args, **kwargs)

        return wrapper

    return decorate
