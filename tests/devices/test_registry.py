"""Lazy discovery and selection. The Trezor emulator (when running) is a real device here."""

from __future__ import annotations

import subprocess
import sys

import pytest

from devices.base import SignerKind
from devices.errors import Disconnected, Unsupported
from devices.registry import DeviceEntry, Discovery, discover, find, select


def test_importing_the_registry_loads_no_device_library():
    code = (
        "import sys, devices.registry, devices.thread;"
        "bad=[m for m in ('trezorlib','ledgerwallet','hwilib','hid') if m in sys.modules];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0


def test_discover_reports_devices_or_problems_never_raises():
    found = discover()
    body = found.to_json()
    assert set(body) == {"devices", "problems"}
    for d in found.devices:
        assert d.id.startswith(f"{d.kind}:")


def test_missing_library_becomes_a_problem(monkeypatch: pytest.MonkeyPatch):
    import builtins

    real = builtins.__import__

    def no_trezorlib(name: str, *a: object, **k: object) -> object:
        if name.startswith("trezorlib"):
            raise ImportError("No module named 'trezorlib'")
        return real(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", no_trezorlib)
    found = discover()
    assert any(p.kind is SignerKind.TREZOR and p.code == "LIBRARY_MISSING" for p in found.problems)


def _disc(*ids: str) -> Discovery:
    return Discovery(
        devices=[DeviceEntry(i, SignerKind.TREZOR, "Trezor", i.split(":", 1)[1]) for i in ids]
    )


def test_find_by_unique_prefix_and_clear_errors():
    d = _disc("trezor:udp:127.0.0.1:21324", "trezor:webusb:001:4")
    assert find("trezor:udp", d).id == "trezor:udp:127.0.0.1:21324"
    with pytest.raises(Unsupported, match="matches 2 devices"):
        find("trezor", d)
    with pytest.raises(Disconnected, match="termwallet devices"):
        find("ledger", d)


def test_select_without_a_device_is_the_software_fallback():
    sel = select(None, interaction=None, software=lambda: "SW", discovery=_disc())
    assert sel.fallback and sel.signer == "SW" and sel.entry.id == "software"


def test_devices_command_json(capsys: pytest.CaptureFixture[str]):
    import json

    from tui.cli import main

    assert main(["devices", "--json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert set(body) == {"devices", "problems"}
