"""The app on the "server" signs with a Ledger at the signer agent (issue 18), through the
screens as they are: the device chooser lists the agent's Ledger ("... (via agent on HOST)"),
connecting checks its account, and a send's "confirm on your device" screen appears on the
server while the Ledger (at the agent) waits for its buttons.

The Ledger is tests/tui/test_device_app.py's: speculos' APDU port answering from a recording,
held at the signing APDU. The agent runs in this process on a real Unix socket (the ssh part
is tests/tui/test_agent_ssh.py's); the app finds it through TERMWALLET_AGENT_SOCK.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account

from devices.agent_requests import AgentRequest
from devices.agent_server import AgentConfig, SignerAgent
from devices.thread import DeviceThread
from tests.devices.test_ledger_app_flows import ME, SEND
from tests.devices.test_trezor import EIP1559_TX
from tests.tui.test_device_app import (  # noqa: F401  (speculos is a fixture)
    LedgerSession,
    _header_signer,
    _sign,
    _text,
    _until,
    speculos,
)
from tui.app import make_app
from tui.i18n import t
from tui.screens.device_choose import DeviceChooseScreen
from tui.screens.device_confirm import DeviceConfirmScreen

SECRET = bytes(range(32))


@pytest.fixture
def agent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[AgentRequest]]:
    import devices.agent_client as client

    seen: list[AgentRequest] = []
    # The agent's own device thread: in one process, the app's would wait on the agent.
    thread = DeviceThread()
    config = AgentConfig(
        secret=SECRET, directory=tmp_path / "agent", announce=seen.append, thread=thread
    )
    with SignerAgent(config) as running:
        monkeypatch.setattr(client, "_secret", None)
        monkeypatch.setenv("TERMWALLET_AGENT_SOCK", str(running.socket_path))
        monkeypatch.setenv("TERMWALLET_AGENT_SECRET", SECRET.hex())
        yield seen
    thread.shutdown()


async def test_the_app_signs_a_send_on_the_agents_ledger(
    speculos: Any,  # noqa: F811
    agent: list[AgentRequest],
    tmp_path: Path,
) -> None:
    server = speculos(SEND, hold=True)
    app = make_app(None, LedgerSession(tmp_path / "home"))
    async with app.run_test(size=(110, 36)) as pilot:
        await _until(pilot, lambda: app.session is not None, "the session")
        await pilot.press("h")
        await _until(pilot, lambda: isinstance(app.screen, DeviceChooseScreen), "the list")
        ids = [d.id for d in app.screen.found.devices]
        via = f"agent:ledger:tcp:{server.address}"
        # This process sees the speculos port too (one machine plays both): the agent's entry
        # comes after the local one.
        assert ids == [f"ledger:tcp:{server.address}", via]
        assert f"Ledger (speculos) (via agent on {socket.gethostname()})" in _text(app)
        await pilot.press("down", "enter")
        await _until(pilot, lambda: _header_signer(app).endswith("Ledger"), "the header")
        assert app.session.active_signer.info.path.startswith("agent:")

        screen = await _sign(pilot, app)
        await _until(pilot, server.waiting.is_set, "the signing request at the agent's Ledger")
        await _until(pilot, lambda: isinstance(app.screen, DeviceConfirmScreen), "confirm")
        text = _text(app)
        assert t("devices.confirm.title", device="Ledger") in text
        assert EIP1559_TX.to in text and "0.000000000000012345 ETH" in text
        server.release.set()
        await _until(pilot, lambda: app.screen is screen, "the confirm screen to close")
        await _until(pilot, lambda: screen.phase != "signing", "the send to finish")
        assert not server.errors and server.cursor.finished
        row = app.session.store.db.execute("SELECT raw_tx FROM outbox").fetchone()
        raw = row["raw_tx"]
        raw = bytes.fromhex(raw.removeprefix("0x")) if isinstance(raw, str) else bytes(raw)
        assert Account.recover_transaction(raw) == ME
    told = [r for r in agent if r.method == "sign_evm_tx"]
    assert told and told[0].prompt is not None and told[0].prompt.address == EIP1559_TX.to
