"""A hardware-only wallet from the command line, on the live Trezor One emulator: `init
--device` reads its account keys (its phrase never reaches termwallet), then ETH, a token and a
swap on the devnet are signed on that device, and `address --show-on-device` shows the address
there. Another device is refused by name.

The emulator (UDP 127.0.0.1:21324, DebugLink :21325) is not in any registry, so these tests
run only where one is started (see /work/shared/emulators.md) and skip with that reason
elsewhere; CI covers the same device wallet code through recordings (tests/devices) and the
stand-in device of tests/wallet/test_device_wallet.py. The seed is whatever the emulator holds:
every expectation comes from the device's own answers (trezorlib get_address) or the chain.
DebugLink presses the device's buttons where a person would.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.devices.test_trezor import EMU, debuglink  # noqa: F401  (fixture)
from tests.fixtures.cli import run_cli as run
from tests.fixtures.devnet import Devnet

pytestmark = [pytest.mark.emulator, pytest.mark.devnet]
TO = "0x" + "11" * 20
ETH_PATH = "m/44'/60'/0'/0/0"


@pytest.fixture
def pressing(debuglink: Any, monkeypatch: pytest.MonkeyPatch) -> list[Any]:  # noqa: F811
    """The CLI's Interaction, with DebugLink pressing "yes" where the person would."""
    from tui.commands import devices

    shown: list[Any] = []

    class Pressing(devices.CliInteraction):
        def __init__(self, device: str, **kw: Any) -> None:
            super().__init__(device, interactive=False, **kw)

        def confirm_on_device(self, prompt: Any) -> None:
            shown.append(prompt)
            super().confirm_on_device(prompt)
            debuglink.press_yes()

    monkeypatch.setattr(devices, "CliInteraction", Pressing)
    return shown


def _device_address(path: str) -> str:
    """The address the device itself gives (the real adapter, its own connection)."""
    from devices.trezor import TrezorSigner

    signer = TrezorSigner.open(f"udp:{EMU[0]}:{EMU[1]}")
    try:
        return signer.get_address("eth", path)
    finally:
        signer.close()


def _json_tail(out: str) -> Any:
    """The result of a send or swap: with --json it prints one document, review and result."""
    return json.loads(out)["result"]


def test_device_wallet_sends_eth_token_and_swap_on_the_device(
    devnet_snapshot: Devnet,
    pressing: list[Any],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from devices.base import PromptKind

    monkeypatch.setenv("TERMWALLET_RPC_URLS", json.dumps({"devnet": [devnet_snapshot.rpc_url]}))
    monkeypatch.setenv("TERMWALLET_UTXO_NETWORKS", "[]")
    rc, out, err = run(["init", "--device", "trezor:udp", "--json"], capsys)
    assert rc == 0, err
    made = json.loads(out)
    eth = next(a for a in made["accounts"] if a["family"] == "eth")
    me = _device_address(ETH_PATH)
    assert eth["address"] == me
    assert made["wallet"]["kind"] == "device" and made["wallet"]["model"] == "Trezor One"
    assert len(made["wallet"]["fingerprint"]) == 8

    # The keystore was never written: this wallet's keys are on the device only.
    from wallet.paths import Paths

    assert not (Paths.default().data_dir / "keystore.json").exists()

    devnet_snapshot.rpc("anvil_setBalance", [me, hex(3 * 10**18)])
    dusd = devnet_snapshot.deployment.token("DUSD")
    demo = devnet_snapshot.demo_address
    devnet_snapshot.rpc("anvil_impersonateAccount", [demo])
    data = "0xa9059cbb" + me[2:].lower().rjust(64, "0") + hex(50 * 10**6)[2:].rjust(64, "0")
    devnet_snapshot.rpc("eth_sendTransaction", [{"from": demo, "to": dusd.address, "data": data}])

    rc, out, err = run(["send", "devnet", TO, "0.25", "--yes", "--json"], capsys)
    assert rc == 0, err
    sent = _json_tail(out)
    tx = devnet_snapshot.rpc("eth_getTransactionByHash", [sent["tx_hash"]])
    assert tx["from"].lower() == me.lower() and int(tx["value"], 16) == 25 * 10**16
    signed = [p for p in pressing if p.kind is PromptKind.SIGN_TX]
    assert signed and signed[-1].amount.value == 25 * 10**16 and signed[-1].address == TO

    rc, out, err = run(
        ["send", "devnet", TO, "12.5", "--asset", dusd.address, "--yes", "--json"], capsys
    )
    assert rc == 0, err
    receipt = devnet_snapshot.rpc("eth_getTransactionReceipt", [_json_tail(out)["tx_hash"]])
    assert receipt["from"].lower() == me.lower() and int(receipt["status"], 16) == 1

    args = ["swap", "ETH", dusd.address, "0.5", "--network", "devnet", "--slippage", "1"]
    rc, out, err = run([*args, "--yes", "--json"], capsys)
    assert rc == 0, err
    result = _json_tail(out)
    assert result["state"] == "done"
    swap = devnet_snapshot.rpc("eth_getTransactionByHash", [result["swap_tx"]])
    assert swap["from"].lower() == me.lower()


def test_address_shown_on_the_wallets_device(
    pressing: list[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    from devices.base import PromptKind

    rc, out, err = run(["init", "--device", "trezor:udp", "--json"], capsys)
    assert rc == 0, err
    rc, out, err = run(["address", "btc", "--show-on-device"], capsys)
    assert rc == 0, err
    from devices.trezor import TrezorSigner

    signer = TrezorSigner.open(f"udp:{EMU[0]}:{EMU[1]}")
    try:
        expected = signer.get_address("btc", "m/84'/0'/0'/0/0")
    finally:
        signer.close()
    assert out.strip() == expected
    shown = [p for p in pressing if p.kind is PromptKind.VERIFY_ADDRESS]
    assert [p.address for p in shown] == [expected]
    assert "Shown on the Trezor One" in err


def test_another_device_is_refused_by_name(
    pressing: list[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    """A wallet whose fingerprint is not the connected device's: refused, naming both."""
    rc, out, err = run(["init", "--device", "trezor:udp", "--json"], capsys)
    assert rc == 0, err
    real = json.loads(out)["wallet"]["fingerprint"]
    from wallet.paths import Paths
    from wallet.store import Store

    store = Store(Paths.default().database)
    store.db.execute("UPDATE wallets SET fingerprint = 'feedbeef'")
    store.close()
    rc, out, err = run(["address", "eth", "--show-on-device"], capsys)
    assert rc == 2
    assert real in err and "feedbeef" in err and "Trezor One" in err
    assert not pressing  # nothing was shown on (or signed by) the other device
