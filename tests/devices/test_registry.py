"""Lazy discovery and selection. The Trezor emulator (when running) is a real device here."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

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


def test_a_trezor_command_loads_no_pydantic():
    """What `termwallet address --device trezor:…` imports before the device answers: pydantic
    (and the software signer's models built on it) cost ~75 ms there."""
    code = (
        "import sys, tui.cli, tui.commands.devices, devices.registry, devices.thread,"
        " devices.trezor;"
        "bad=[m for m in ('pydantic', 'devices.models', 'devices.emulator') if m in sys.modules];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


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


@pytest.fixture
def ports() -> Any:
    """Two TCP ports that accept connections and one nobody listens on (bound, not listening,
    so no other process can take it during the test)."""
    import socket

    socks = [socket.socket() for _ in range(3)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    socks[0].listen()
    socks[1].listen()
    yield [f"127.0.0.1:{s.getsockname()[1]}" for s in socks]
    for s in socks:
        s.close()


def _speculos_ids(found: Discovery) -> list[str]:
    return [d.id for d in found.devices if d.id.startswith("ledger:tcp:")]


def test_speculos_is_listed_only_when_something_listens(
    monkeypatch: pytest.MonkeyPatch, ports: list[str]
):
    _, _, dead = ports
    monkeypatch.delenv("TERMWALLET_SPECULOS_BTC", raising=False)
    monkeypatch.setenv("TERMWALLET_SPECULOS", dead)
    assert _speculos_ids(discover()) == []


def test_each_speculos_in_the_list_and_the_bitcoin_one_is_its_own_entry(
    monkeypatch: pytest.MonkeyPatch, ports: list[str]
):
    eth, btc, dead = ports
    monkeypatch.setenv("TERMWALLET_SPECULOS", f"{eth}, {dead}")
    monkeypatch.setenv("TERMWALLET_SPECULOS_BTC", btc)
    found = discover()
    assert _speculos_ids(found) == [f"ledger:tcp:{eth}", f"ledger:tcp:{btc}"]
    assert find(f"ledger:tcp:{btc}", found).path == f"tcp:{btc}"


def _loaded_by_discover_for(device_id: str, modules: tuple[str, ...]) -> tuple[str, list[str]]:
    """In a fresh interpreter: what discover_for(device_id) found, and which of `modules` it
    imported."""
    code = (
        "import json, sys\n"
        "from devices.registry import discover_for\n"
        f"found = discover_for({device_id!r})\n"
        "print(found.devices, found.problems)\n"
        f"print(json.dumps([m for m in {modules!r} if m in sys.modules]))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    found, loaded = done.stdout.splitlines()
    return found, json.loads(loaded)


def test_an_id_naming_its_kind_loads_only_that_kind():
    """`--device trezor:udp:…` neither imports HWI and the Ledger library nor trezorlib's other
    transports (BLE and Bridge import ~85 ms of libraries); `ledger:…` imports no trezorlib."""
    others = (
        "hwilib",
        "ledgerwallet",
        "trezorlib.transport.ble",
        "trezorlib.transport.bridge",
        "trezorlib.transport.webusb",
    )
    # Nothing answers on port 9: nothing is found, and that is not a problem to report.
    assert _loaded_by_discover_for("trezor:udp:127.0.0.1:9", others) == ("[] []", [])
    assert _loaded_by_discover_for("ledger:tcp:127.0.0.1:9", ("hwilib", "trezorlib")) == (
        "[] []",
        [],
    )
