"""The "Sign or verify a message" screen, from the command palette, on the demo wallet (the
devnet's anvil, the software signer): a message signed there recovers to the account with
eth-account, verifies on the screen, and a changed message does not."""

from __future__ import annotations

from pathlib import Path

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct
from textual.widgets import Input, Static, TextArea

from tests.fixtures.devnet import Devnet
from tui.app import make_app
from tui.screens.message import MessageScreen
from tui.screenshots import settle
from tui.services import AttachedDemoServices
from wallet.settings import Settings

pytestmark = pytest.mark.devnet


def _status(screen: MessageScreen) -> str:
    return str(screen.query_one("#message-status", Static).render())


@pytest.mark.parametrize("language", ["en", "zh-CN"])
async def test_sign_then_verify_on_the_screen(
    fresh_devnet: Devnet, tmp_path: Path, language: str
) -> None:
    services = AttachedDemoServices(fresh_devnet.deployment, fresh_devnet.demo_address, tmp_path)
    app = make_app(Settings(language=language), services)  # type: ignore[arg-type]
    async with app.run_test(size=(100, 36)) as pilot:
        await settle(pilot)
        commands = [c.title for c in app.get_system_commands(app.screen)]
        assert any("message" in c or "消息" in c for c in commands)
        app.action_messages()
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, MessageScreen)
        assert [o.address for o in screen.own] == [fresh_devnet.demo_address]
        screen.query_one("#message-text", TextArea).text = "I own this address"
        await pilot.press("ctrl+s")
        await settle(pilot)
        signature = screen.query_one("#message-signature", TextArea).text
        assert signature.startswith("0x") and len(signature) == 132, _status(screen)
        recovered = Account.recover_message(
            encode_defunct(text="I own this address"), signature=bytes.fromhex(signature[2:])
        )
        assert recovered == fresh_devnet.demo_address
        assert "valid" in screen.query_one("#message-status").classes

        await pilot.press("ctrl+r")
        await settle(pilot)
        assert "valid" in screen.query_one("#message-status").classes
        assert fresh_devnet.demo_address in _status(screen)

        screen.query_one("#message-text", TextArea).text = "I own that address"
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert "error" in screen.query_one("#message-status").classes

        # An address typed in the field that is not this wallet's is refused, nothing signed.
        screen.query_one("#message-signature", TextArea).text = ""
        screen.query_one("#message-address", Input).value = "0x" + "11" * 20
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "error" in screen.query_one("#message-status").classes
        assert screen.query_one("#message-signature", TextArea).text == ""
        assert "0x" + "11" * 20 in _status(screen)

        screen.query_one("#message-text", TextArea).text = ""
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "error" in screen.query_one("#message-status").classes
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, MessageScreen)
