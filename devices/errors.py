"""Typed device errors. Each says what the user can do and has a stable code for tickets."""

from __future__ import annotations


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


class WrongDevice(DeviceError):
    """A device that holds another wallet than the one being used (another seed, or another
    passphrase): refused by name, never signed with."""

    code = "WRONG_DEVICE"
