"""Two-factor authentication in the app: the palette entry opens the setup modal, which turns
it on; then a send asks for a code before anything is signed (a wrong code and a cancel sign
nothing; the right code sends). The real app over UserServices, a keystore and SQLite store in
TERMWALLET_HOME, the devnet (anvil) for the send, and the app's log file at DEBUG level."""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path

import pyotp
import pytest
from textual.widgets import Static

from tests.fixtures.devnet import Devnet
from tests.tui.test_send_cli_signers import ADDRESS, _wallet_on
from tui.app import TermwalletApp, make_app
from tui.screens.send_review import SendReviewScreen
from tui.screens.totp_prompt import TotpPromptScreen
from tui.screens.totp_setup import TotpSetupScreen
from tui.screenshots import settle
from tui.services import UserServices
from wallet.lockout import Lockout
from wallet.logs import setup_logging
from wallet.totp import totp_status

pytestmark = pytest.mark.devnet
PASSWORD = "the right password"
TO = "0x00000000000000000000000000000000C0FFEE01"


def _static(app: TermwalletApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


def _nonce(devnet: Devnet) -> int:
    return int(devnet.rpc("eth_getTransactionCount", [ADDRESS, "latest"]), 16)


@pytest.fixture
def app_log(termwallet_home: Path):  # type: ignore[no-untyped-def]
    root = logging.getLogger()
    level = root.level
    path = setup_logging(termwallet_home / "logs", logging.DEBUG)
    yield path
    for h in [h for h in root.handlers if getattr(h, "_termwallet", False)]:
        root.removeHandler(h)
        h.close()
    root.setLevel(level)


async def test_palette_turns_it_on_and_a_send_asks_for_the_code(
    termwallet_home: Path, devnet_snapshot: Devnet, tmp_path: Path, app_log: Path
) -> None:
    from eth_utils import to_checksum_address

    from chains.fees import FeeTier
    from wallet.send import SendDraft

    paths = _wallet_on(devnet_snapshot)
    services = UserServices(paths)
    app = make_app(services=services, language="en")
    async with app.run_test(size=(100, 50)) as pilot:
        await settle(pilot)
        await pilot.press(*PASSWORD, "enter")
        for _ in range(5):
            await settle(pilot)
        assert services.wallet is not None and services.wallet.unlocked is not None

        # The palette entry, found by typing its name.
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"Two-factor")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TotpSetupScreen)
        uri = _static(app, "#totp-uri")
        m = re.search(r"secret=([A-Z2-7]+)", uri)
        assert m is not None and uri.startswith("otpauth://totp/")
        secret = m.group(1)
        assert "\u2580" in _static(app, "#totp-qr") or "\u2584" in _static(app, "#totp-qr")
        # A screen that shows the secret is never written to a screenshot file.
        app.action_screenshot("shot.svg", str(tmp_path))
        await settle(pilot)
        assert not (tmp_path / "shot.svg").exists()

        await pilot.press(*"12345", "enter")  # never a valid 6-digit code
        await settle(pilot)
        assert "does not match" in _static(app, "#totp-setup-status")
        assert not totp_status(services.wallet.store).enabled
        # The previous step (clock skew allowance), leaving the current one for the send.
        await pilot.press(*pyotp.TOTP(secret).at(time.time() - 30), "enter")
        await settle(pilot)
        info = _static(app, "#totp-info")
        assert "is on" in info
        assert len(re.findall(r"[a-z2-9]{5}-[a-z2-9]{5}", info)) == 10
        assert "secret=" not in _static(app, "#totp-uri")  # the secret is off the screen
        assert totp_status(services.wallet.store).for_sending
        await pilot.press("escape")
        await settle(pilot)

        # A send: the review, then ctrl+s asks for the code before signing.
        session = app.session
        assert session is not None
        draft = SendDraft(
            recipient=to_checksum_address(TO.lower()),
            amount=10**15,
            asset=session.assets[0],
            fee=FeeTier.NORMAL,
        )
        review = await session.sender().prepare(draft, ADDRESS, "m/44'/60'/0'/0/0")
        app.push_screen(SendReviewScreen(review))
        await settle(pilot)
        before = _nonce(devnet_snapshot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, TotpPromptScreen)
        await pilot.press(*"12345", "enter")
        await settle(pilot)
        assert isinstance(app.screen, TotpPromptScreen)
        assert "wrong or was already used" in _static(app, "#totp-prompt-status")
        assert Lockout(services.wallet.store, "totp").failures == 1
        await pilot.press("escape")  # cancelled: nothing is signed
        await settle(pilot)
        assert isinstance(app.screen, SendReviewScreen) and app.screen.phase == "idle"
        assert _nonce(devnet_snapshot) == before

        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, TotpPromptScreen)
        await pilot.press(*pyotp.TOTP(secret).at(time.time()), "enter")
        for _ in range(20):
            await settle(pilot)
            if isinstance(app.screen, SendReviewScreen) and "Confirmed in block" in _static(
                app, "#review-status"
            ):
                break
        assert isinstance(app.screen, SendReviewScreen)
        assert "Confirmed in block" in _static(app, "#review-status")
        assert _nonce(devnet_snapshot) == before + 1

    # Neither the secret nor its URI reached the log, the store or any other file.
    on_disk = b"".join(p.read_bytes() for p in termwallet_home.rglob("*") if p.is_file())
    assert secret.encode() not in on_disk and b"otpauth" not in on_disk
    assert app_log.exists()
