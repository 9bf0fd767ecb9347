"""The device libraries work together on one protobuf, as overrides.txt claims.

hwi 3.2.0 declares protobuf<5 but ledgerwallet needs >=5.28; the install overrides hwi's cap.
These tests keep that override honest: if a protobuf release broke hwilib, they fail.
"""

import importlib.metadata as md

from packaging.version import Version


def test_one_protobuf_satisfies_ledgerwallet() -> None:
    assert Version("5.28") <= Version(md.version("protobuf")) < Version("6")


def test_hwilib_imports_and_enumerates_on_that_protobuf() -> None:
    from hwilib import commands

    devices = commands.enumerate()  # no devices here; the call must still work (needs libusb)
    assert isinstance(devices, list)
    for d in devices:  # a machine with a device plugged in must not fail this test
        assert "type" in d


def test_pinned_device_library_versions() -> None:
    assert md.version("hwi") == "3.2.0"
    assert md.version("trezor") == "0.20.2"
    import ledgerwallet.client  # noqa: F401
    import trezorlib.client  # noqa: F401
