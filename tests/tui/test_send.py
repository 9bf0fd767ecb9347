"""The Send flow driven with keys on the demo devnet: Assets -> s -> form -> review -> sign ->
tracked until mined, and the in-place messages for refused sends."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from textual.widgets import Input, Select, Static

from tests.fixtures.devnet import Devnet
from tui.app import TermwalletApp, make_app
from tui.screens.send import SendScreen
from tui.screens.send_review import SendReviewScreen
from tui.screenshots import settle
from tui.services import AttachedDemoServices
from wallet.settings import Settings

pytestmark = pytest.mark.devnet
TO = "0x00000000000000000000000000000000C0FFEE01"


def _text(app: TermwalletApp) -> str:
    svg = app.export_screenshot()
    body = svg[svg.find('<g class="terminal-') :]
    return html.unescape(re.sub(r"<[^>]+>", "", body)).replace("\xa0", " ")


def _note(app: TermwalletApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def _fill(pilot, to: str, amount: str) -> None:  # type: ignore[no-untyped-def]
    app = pilot.app
    app.screen.query_one("#send-to", Input).value = to
    app.screen.query_one("#send-amount", Input).value = amount
    await pilot.press("ctrl+r")
    await settle(pilot)


async def test_send_eth_from_the_assets_screen(devnet_snapshot: Devnet, tmp_path: Path) -> None:
    from eth_utils import to_checksum_address

    to = to_checksum_address(TO.lower())
    services = AttachedDemoServices(
        devnet_snapshot.deployment, devnet_snapshot.demo_address, tmp_path
    )
    app = make_app(Settings(), services)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, SendScreen)
        assert "gwei" in _note(app, "#send-fee-line")
        app.screen.query_one("#send-save-as", Input).value = "Coffee shop"
        await _fill(pilot, to, "1.5")
        assert isinstance(app.screen, SendReviewScreen)
        text = _text(app)
        assert "1.5 ETH" in text and to in text
        assert "likely" in text
        # The demo's fiat line: its pool's price, in Demo Dollars, and it says so.
        assert "DUSD" in text and "demo: the devnet pool's price" in text
        assert "not sent to this address before" in text
        await pilot.press("ctrl+s")
        for _ in range(20):
            await settle(pilot)
            if "Confirmed in block" in _note(app, "#review-status"):
                break
        status = _note(app, "#review-status")
        assert "Confirmed in block" in status
        # What the signer was asked to sign is on screen: recipient and amount.
        device = _note(app, "#review-device")
        assert to in device and "1.5 ETH" in device
        # Saved to the address book on sending: the next send offers it as a contact.
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        contact = app.screen.query_one("#send-contact", Select)
        contact.value = to  # picking the contact fills the recipient
        await settle(pilot)
        assert app.screen.query_one("#send-to", Input).value == to
        from wallet.addressbook import AddressBook

        saved = AddressBook(app.session.store).find("devnet", to)  # type: ignore[union-attr]
        assert saved is not None and saved.label == "Coffee shop"
    bal = int(devnet_snapshot.rpc("eth_getBalance", [to, "latest"]), 16)
    assert bal == 1_500_000_000_000_000_000


async def test_too_much_and_a_bad_checksum_are_refused_in_place(
    devnet_snapshot: Devnet, tmp_path: Path
) -> None:
    services = AttachedDemoServices(
        devnet_snapshot.deployment, devnet_snapshot.demo_address, tmp_path
    )
    app = make_app(Settings(), services)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        await _fill(pilot, TO.lower(), "12.5")  # the whole balance: no room for the fee
        assert isinstance(app.screen, SendScreen)
        note = _note(app, "#send-note")
        assert "Not enough ETH" in note and "12.5 ETH" in note and "Nothing was sent" in note
        await _fill(pilot, "0x00000000000000000000000000000000C0FFee01", "1")
        assert "checksum" in _note(app, "#send-note")
        assert list(app.recent_errors)[-2:] == ["INSUFFICIENT_FUNDS", "BAD_RECIPIENT"]
        await pilot.press("escape")
        await settle(pilot)
        assert app.current_mode == "assets" and not isinstance(app.screen, SendScreen)
    assert (
        int(
            devnet_snapshot.rpc(
                "eth_getTransactionCount", [devnet_snapshot.demo_address, "latest"]
            ),
            16,
        )
        == 0
    )


async def test_the_send_screen_speaks_chinese(devnet: Devnet, tmp_path: Path) -> None:
    services = AttachedDemoServices(devnet.deployment, devnet.demo_address, tmp_path)
    app = make_app(Settings(language="zh-CN"), services)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        text = _text(app)
        assert "在 Devnet 上转账" in text and "收款地址" in text and "网络费" in text
