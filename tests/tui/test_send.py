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
        note = _note(app, "#send-amount-error")
        assert "Not enough ETH" in note and "12.5 ETH" in note and "Nothing was sent" in note
        await _fill(pilot, "0x00000000000000000000000000000000C0FFee01", "1")
        assert "checksum" in _note(app, "#send-to-error")
        assert _note(app, "#send-amount-error") == ""  # the last attempt's only
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


async def test_assets_read_again_once_a_send_is_mined(
    devnet_snapshot: Devnet, tmp_path: Path
) -> None:
    """Issue 17: Assets kept the balance from before a confirmed send until ctrl+r or its
    periodic read (30 s)."""
    d = devnet_snapshot
    app = make_app(Settings(), AttachedDemoServices(d.deployment, d.demo_address, tmp_path))

    def eth_shown() -> int | None:
        view = getattr(app.screen, "view", None)
        return None if view is None else view.holdings[0].amount

    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        for _ in range(100):
            if eth_shown() is not None:
                break
            await pilot.pause(0.05)
        before = eth_shown()
        assert before == int(d.rpc("eth_getBalance", [d.demo_address, "latest"]), 16)
        await pilot.press("s")
        await settle(pilot)
        await _fill(pilot, TO.lower(), "1.5")
        await pilot.press("ctrl+s")
        for _ in range(20):
            await settle(pilot)
            if "Confirmed in block" in _note(app, "#review-status"):
                break
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        after = int(d.rpc("eth_getBalance", [d.demo_address, "latest"]), 16)
        assert after < before - 15 * 10**17
        for _ in range(200):
            if eth_shown() == after:
                break
            await pilot.pause(0.05)
        assert eth_shown() == after


def _seen(app: TermwalletApp, selector: str) -> str:
    """The text of a field's error line, asserting it is on screen (not below the fold)."""
    line = app.screen.query_one(selector)
    body = app.screen.query_one("#send-body")
    assert line.region.height > 0 and body.region.contains_region(line.region), (
        selector, line.region, body.region)  # fmt: skip
    return str(line.render())


@pytest.mark.parametrize(
    ("amount", "says"),
    [
        ("0.1234567890123456789", "has 19 decimal places; ETH has at most 18"),
        ("1e3", "exponent"),
        ("-1", "negative"),
        ("0", "more than 0 ETH"),
    ],
)
async def test_a_bad_amount_says_why_next_to_the_field_at_80x24(
    devnet: Devnet, tmp_path: Path, amount: str, says: str
) -> None:
    """Issue 17: at 80x24 the form's one note was below the fold (ctrl+r seemed to do
    nothing), and 19 decimals, 1e3 and -1 all said "That amount is not valid."; 0 said
    "Nothing left to send once the network fee is paid."."""
    services = AttachedDemoServices(devnet.deployment, devnet.demo_address, tmp_path)
    app = make_app(Settings(), services)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        await _fill(pilot, TO.lower(), amount)
        assert isinstance(app.screen, SendScreen)
        text = _seen(app, "#send-amount-error")
        assert says in text, text
        assert "not valid" not in text and "Nothing left" not in text
        assert app.screen.focused is app.screen.query_one("#send-amount")


async def test_a_bad_custom_fee_is_a_fee_error_not_an_amount_error(
    devnet: Devnet, tmp_path: Path
) -> None:
    from textual.widgets import RadioButton

    services = AttachedDemoServices(devnet.deployment, devnet.demo_address, tmp_path)
    app = make_app(Settings(language="zh-CN"), services)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        app.screen.query_one("#fee-custom", RadioButton).value = True
        await settle(pilot)
        app.screen.query_one("#send-custom-max", Input).value = "abc"
        app.screen.query_one("#send-custom-tip", Input).value = "1"
        await _fill(pilot, TO.lower(), "1")
        text = _seen(app, "#send-fee-error")
        assert "自定义费用无效" in text and "“abc”不是数字" in text, text
        assert _note(app, "#send-amount-error") == ""
        app.screen.query_one("#send-custom-max", Input).value = "1"
        app.screen.query_one("#send-custom-tip", Input).value = "2"
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert "优先费不能高于最高费用" in _seen(app, "#send-fee-error")
        app.screen.query_one("#send-custom-tip", Input).value = "-1"
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert "负数" in _seen(app, "#send-fee-error")


async def test_the_fee_cursor_starts_on_the_selected_tier(devnet: Devnet, tmp_path: Path) -> None:
    from textual.widgets import RadioSet

    services = AttachedDemoServices(devnet.deployment, devnet.demo_address, tmp_path)
    app = make_app(Settings(), services)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        fee = app.screen.query_one("#send-fee", RadioSet)
        assert fee.pressed_button is not None and fee.pressed_button.id == "fee-normal"
        fee.focus()
        await settle(pilot)
        # The highlighted button is the selected one: enter keeps Normal, down goes to Fast.
        highlighted = fee.query(".-selected")
        assert [b.id for b in highlighted] == ["fee-normal"]
        await pilot.press("enter")
        await settle(pilot)
        assert fee.pressed_button.id == "fee-normal"
        await pilot.press("down", "enter")
        await settle(pilot)
        assert fee.pressed_button.id == "fee-fast"
