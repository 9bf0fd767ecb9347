"""trezorlib's exceptions -> ours (one table for devices/errors.py's mapper), and the check that
trezorlib is installed at all. Every Trezor call goes through `map_errors`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from devices.errors import (
    DeviceError,
    DeviceLocked,
    Disconnected,
    ErrorRule,
    ErrorTable,
    FirmwareOutdated,
    LibraryMissing,
    UserCancelled,
    WrongPin,
    mapped,
)
from said import Said


def require_trezorlib() -> Any:
    try:
        import trezorlib
    except ImportError as exc:
        raise LibraryMissing(
            Said(
                "trezor_errors.trezor_library_trezorlib_not",
                "The Trezor library (trezorlib) is not installed: reinstall "
                "termwallet with its device dependencies",
            ),
            library="trezor",
        ) from exc
    return trezorlib


def _refusal(e: Any) -> str:
    # The device's own message names the problem (e.g. "Forbidden key path"); it never holds
    # a secret, but keep only the first line.
    return str(e.message or "request refused").splitlines()[0][:200]


@functools.cache
def _trezor_errors() -> ErrorTable:
    """trezorlib's exceptions -> ours, each telling the user what to do; tried in order."""
    from trezorlib import exceptions as exc
    from trezorlib import messages as m
    from trezorlib.transport import TransportException

    f = m.FailureType

    def pin(*codes: object) -> Callable[[Any], bool]:
        # trezorlib raises PinException with the Failure's code for the answer to the PIN matrix
        return lambda e: (e.args[0] if e.args else None) in codes

    def failure(*codes: object) -> Callable[[Any], bool]:
        return lambda e: e.code in codes

    cancelled = "You rejected the request on the Trezor."
    locked = "Unlock the Trezor with its PIN and try again."
    wrong_pin = "The PIN was wrong; the Trezor stays locked. Try again."
    return ErrorTable(
        detail=_refusal,
        rules=(
            ErrorRule(exc.Cancelled, UserCancelled, cancelled),
            ErrorRule(
                exc.PinException,
                UserCancelled,
                "You cancelled the PIN entry on the Trezor.",
                when=pin(f.PinCancelled),
            ),
            ErrorRule(exc.PinException, DeviceLocked, locked, when=pin(f.PinExpected)),
            ErrorRule(exc.PinException, WrongPin, wrong_pin),
            ErrorRule(
                exc.OutdatedFirmwareError,
                FirmwareOutdated,
                "The Trezor's firmware is too old for termwallet: update it with Trezor Suite.",
            ),
            ErrorRule(exc.TrezorFailure, WrongPin, wrong_pin, when=failure(f.PinInvalid)),
            ErrorRule(exc.TrezorFailure, DeviceLocked, locked, when=failure(f.PinExpected)),
            ErrorRule(
                exc.TrezorFailure,
                DeviceError,
                "The Trezor has no wallet yet: set it up with Trezor Suite first.",
                when=failure(f.NotInitialized),
            ),
            ErrorRule(
                exc.TrezorFailure,
                UserCancelled,
                cancelled,
                when=failure(f.ActionCancelled, f.PinCancelled),
            ),
            ErrorRule(exc.TrezorFailure, DeviceError, "The Trezor refused the request: {detail}"),
            ErrorRule(
                (TransportException, OSError, ConnectionError),
                Disconnected,
                "The Trezor was disconnected ({kind}): plug it in and try again.",
            ),
        ),
    )


map_errors = mapped(_trezor_errors)
