"""`termwallet address --device ID [--show-on-device]`, through tui.cli.main.

Without an emulator (CI) only the refusals run; the live tests (marker `emulator`) ask the
Trezor One emulator (UDP 127.0.0.1:21324, DebugLink pressing its button when the CLI has
printed what to check) and speculos' Ethereum app (TERMWALLET_SPECULOS, automation rules).
The expected addresses come from the seed the emulator holds: DebugLink's state for the
Trezor, TERMWALLET_SPECULOS_SEED (speculos' --seed) for the Ledger."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from devices.emulator import SoftwareSigner
from tests.fixtures.cli import run_cli as run

BIP84_SECOND = "m/84'/0'/0'/0/1"
ETH_ACCOUNT_1 = "m/44'/60'/0'/0/1"  # `--account 1`: MetaMask's second account


def test_show_on_device_needs_a_device(capsys):
    rc, out, err = run(["address", "btc", "--show-on-device"], capsys)
    assert rc == 2 and "--device" in err and not out


def test_an_unknown_device_id_says_how_to_list_devices(capsys):
    rc, out, err = run(["address", "eth", "--device", "no-such-device"], capsys)
    assert rc == 2 and not out
    assert "no-such-device" in err and "termwallet devices" in err


def test_devices_names_each_kind_that_cannot_be_used_by_its_maker(
    capsys, monkeypatch: pytest.MonkeyPatch
):
    import builtins

    real = builtins.__import__

    def no_trezorlib(name: str, *a: Any, **k: Any) -> Any:
        if name.startswith("trezorlib"):
            raise ImportError("No module named 'trezorlib'")
        return real(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", no_trezorlib)
    rc, _, err = run(["devices"], capsys)
    assert rc == 0
    assert "Trezor: trezorlib cannot load" in err and "trezor:" not in err


def test_a_device_failing_as_it_opens_is_named_not_by_its_id(
    capsys, monkeypatch: pytest.MonkeyPatch
):
    """A speculos port that hangs up at once: the message names the Ledger as listed, not
    'your ledger:tcp:127.0.0.1:…'."""
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    address = f"127.0.0.1:{server.getsockname()[1]}"

    def hang_up() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            conn.close()

    threading.Thread(target=hang_up, daemon=True).start()
    monkeypatch.setenv("TERMWALLET_SPECULOS", address)
    monkeypatch.delenv("TERMWALLET_SPECULOS_BTC", raising=False)
    try:
        rc, out, err = run(["address", "eth", "--device", f"ledger:tcp:{address}"], capsys)
    finally:
        server.close()
    assert rc == 2 and not out
    assert "Your Ledger" in err and "ledger:tcp" not in err, err


@pytest.fixture
def trezor_presses(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The CLI's own Interaction, plus DebugLink pressing yes after each prompt it prints
    (where a human would press the device's button)."""
    from tests.devices.test_trezor import _emulator_up

    if not _emulator_up():
        pytest.skip("no Trezor emulator on UDP 127.0.0.1:21324 (it is not in any registry)")
    from trezorlib import models
    from trezorlib.debuglink import DebugLink
    from trezorlib.transport.udp import UdpTransport

    from tui.commands.devices import CliInteraction

    link = DebugLink(UdpTransport("127.0.0.1:21325"))
    link.model = models.T1B1
    real = CliInteraction.confirm_on_device

    def confirm_and_press(self: CliInteraction, prompt: Any) -> None:
        real(self, prompt)
        link.press_yes()

    monkeypatch.setattr(CliInteraction, "confirm_on_device", confirm_and_press)
    yield link
    link.close()


@pytest.fixture
def trezor_seed(trezor_presses: Any) -> str:
    from tests.devices.emulator_seed import trezor_seed

    return trezor_seed(trezor_presses)


@pytest.mark.emulator
def test_live_trezor_shows_the_address_on_the_device(capsys, trezor_seed: str):
    expected = SoftwareSigner.from_mnemonic(trezor_seed).get_address("btc", BIP84_SECOND)
    args = ["address", "btc", "--index", "1", "--device", "trezor:udp", "--show-on-device"]
    rc, out, err = run([*args, "--json"], capsys)
    assert rc == 0, err
    body = json.loads(out)
    assert body["address"] == expected and body["shown_on_device"] is True
    # What the user was told to compare, and with which device.
    assert "Check the address on your Trezor One" in err
    assert expected in err and BIP84_SECOND in err


@pytest.mark.emulator
def test_live_trezor_refuses_when_the_wallet_holds_another_seed(capsys, trezor_seed: str):
    from wallet.keys import generate_mnemonic

    other = generate_mnemonic()  # a software wallet on some other seed than the emulator's
    assert other != trezor_seed
    device_account = SoftwareSigner.from_mnemonic(trezor_seed).get_address("eth", ETH_ACCOUNT_1)
    rc, _, err = run(["init", "--restore"], capsys, f"{other}\npassword one\n")
    assert rc == 0, err
    rc, out, err = run(["address", "eth", "--account", "1", "--device", "trezor:udp"], capsys)
    assert rc == 2 and not out
    assert "another seed" in err and device_account in err


@pytest.mark.emulator
def test_live_ledger_shows_the_address_on_the_device(capsys):
    apdu = os.environ.get("TERMWALLET_SPECULOS")
    if not apdu or not os.environ.get("TERMWALLET_SPECULOS_API"):
        pytest.skip("no speculos: set TERMWALLET_SPECULOS and TERMWALLET_SPECULOS_API")
    from tests.devices.emulator_seed import speculos_seed
    from tests.devices.test_ledger import APPROVE_RULES, _rules

    expected = SoftwareSigner.from_mnemonic(speculos_seed()).get_address("eth", ETH_ACCOUNT_1)

    _rules(os.environ["TERMWALLET_SPECULOS_API"], APPROVE_RULES)
    # The exact id: TERMWALLET_SPECULOS_BTC may list the Bitcoin app's speculos beside it.
    device = f"ledger:tcp:{apdu}"
    args = ["address", "eth", "--account", "1", "--device", device, "--show-on-device"]
    rc, out, err = run(args, capsys)
    assert rc == 0, err
    assert out.strip() == expected
    assert "Check the address on your Ledger" in err and expected in err
