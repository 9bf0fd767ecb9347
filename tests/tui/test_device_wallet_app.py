"""A hardware-only wallet in the app, on the live Trezor One emulator: first run -> "Use a
hardware wallet" -> the emulator -> its addresses shown on its screen -> saved; then an ETH send
on the devnet signed on the device, with "confirm on your Trezor One" on screen meanwhile.

The emulator is not in any registry: these run only where one listens on UDP 127.0.0.1:21324
(skipped with that reason elsewhere; see tests/tui/test_device_wallet_cli.py). Its seed is
whatever it holds: expectations come from the device's own answers and from the chain.
DebugLink presses the device's buttons where the person would.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Button, Input

from tests.devices.test_trezor import (
    EMU,
    debuglink,  # noqa: F401  (fixture)
)
from tests.fixtures.devnet import Devnet
from tests.tui.test_device_wallet_cli import _device_address
from tui.app import make_app
from tui.screenshots import settle
from tui.services import UserServices
from wallet.paths import Paths

pytestmark = [pytest.mark.emulator, pytest.mark.devnet]
TO = "0x00000000000000000000000000000000C0FFEE01"


@pytest.fixture
def pressed(debuglink: Any, monkeypatch: pytest.MonkeyPatch) -> list[Any]:  # noqa: F811
    """What the app showed as "confirm on your device"; DebugLink presses yes after each."""
    from tui.device_interaction import DeviceInteraction

    shown: list[Any] = []
    original = DeviceInteraction.confirm_on_device

    def confirm(self: DeviceInteraction, prompt: Any) -> None:
        shown.append(prompt)
        original(self, prompt)
        debuglink.press_yes()

    monkeypatch.setattr(DeviceInteraction, "confirm_on_device", confirm)
    return shown


async def _until(pilot: Any, cond: Any, steps: int = 60) -> None:
    for _ in range(steps):
        if cond():
            return
        await settle(pilot)
    raise AssertionError("timed out")


async def test_device_wallet_made_in_the_app_then_sends_on_the_device(
    devnet_snapshot: Devnet, pressed: list[Any], termwallet_home: Path
) -> None:
    from eth_utils import to_checksum_address

    from devices.base import PromptKind
    from tui.screens.device_setup import DeviceSetupScreen
    from tui.screens.send_review import SendReviewScreen

    paths = Paths.default().ensure()
    paths.config_file.write_text(
        f'network = "devnet"\nutxo_networks = []\n'
        f'rpc_urls = {{ devnet = ["{devnet_snapshot.rpc_url}"] }}\n'
    )
    me = _device_address("m/44'/60'/0'/0/0")
    devnet_snapshot.rpc("anvil_setBalance", [me, hex(2 * 10**18)])
    to = to_checksum_address(TO.lower())
    app = make_app(services=UserServices(paths), language="en")
    async with app.run_test(size=(100, 36)) as pilot:
        await settle(pilot)
        await pilot.press("down", "down", "enter")  # "Use a hardware wallet"
        await _until(pilot, lambda: isinstance(app.screen, DeviceSetupScreen))
        screen = app.screen
        await _until(pilot, lambda: screen._found is not None)
        assert any(d.id == f"trezor:udp:{EMU[0]}:{EMU[1]}" for d in screen._found.devices)
        await pilot.press("enter")
        await _until(pilot, lambda: screen.keys is not None)
        keys = screen.keys
        from wallet.keys import ScriptKind

        assert keys.first_address("eth", ScriptKind.ETH)[1] == me
        btc = keys.first_address("btc", ScriptKind.P2WPKH)[1]
        screen.query_one("#dev-show", Button).press()
        await _until(
            pilot, lambda: "same addresses" in str(screen.query_one("#dev-status").render())
        )
        verified = [p.address for p in pressed if p.kind is PromptKind.VERIFY_ADDRESS]
        assert me in verified and btc in verified
        screen.query_one("#dev-save", Button).press()
        await _until(pilot, lambda: app.session is not None and app.session.wallet is not None)
        await _until(pilot, lambda: app.session.addresses == (me,))
        assert app.status is not None and app.status.signer == "Trezor One"

        await pilot.press("s")
        await settle(pilot)
        app.screen.query_one("#send-to", Input).value = to
        app.screen.query_one("#send-amount", Input).value = "0.75"
        await pilot.press("ctrl+r")
        await _until(pilot, lambda: isinstance(app.screen, SendReviewScreen))
        await pilot.press("ctrl+s")
        status = app.screen.query_one("#review-status")
        await _until(pilot, lambda: "Confirmed in block" in str(status.render()), steps=120)
        signed = [p for p in pressed if p.kind is PromptKind.SIGN_TX]
        assert signed[-1].address == to and signed[-1].amount.value == 75 * 10**16
        # The header follows the device: in use now.
        await _until(pilot, lambda: app.status is not None and app.status.connected is True)
        await pilot.press("escape", "escape")
        await settle(pilot)
        assert "(connected)" in str(app.screen.query_one("#hdr-signer").render())
    assert int(devnet_snapshot.rpc("eth_getBalance", [to, "latest"]), 16) == 75 * 10**16
    assert not (paths.data_dir / "keystore.json").exists()
