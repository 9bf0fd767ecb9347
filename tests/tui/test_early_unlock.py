"""The unlock prompt of an existing wallet comes before the session opens (settings, chain
libraries: about a second), and the password typed meanwhile unlocks the session that then
opens. Through the real app, UserServices, keystore (Argon2id) and store; the session's opening
is held back by the test so "before" is a fact, not a race."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.fixtures.cli import run_cli
from tests.tui.test_app_gate import PASSWORD, PHRASE, _configure
from tui.app import make_app
from tui.screens.unlock import UnlockScreen
from tui.screenshots import settle
from tui.services import UserServices
from wallet.session import WalletSession


class HeldServices(UserServices):
    """UserServices whose session opens only when the test says so (the real opening, later)."""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.release = asyncio.Event()
        self.opened = 0

    async def open_session(self) -> WalletSession:
        await self.release.wait()
        self.opened += 1
        return await super().open_session()


@pytest.fixture
def wallet_home(termwallet_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    paths = _configure(termwallet_home)
    (tmp_path / "phrase").write_text(PHRASE + "\n")
    (tmp_path / "password").write_text(PASSWORD + "\n")
    rc, _, err = run_cli(
        ["init", "--restore", "--mnemonic-file", str(tmp_path / "phrase"),
         "--password-file", str(tmp_path / "password")],
        capsys,
    )  # fmt: skip
    assert rc == 0, err
    return paths


def _unlock_screens(app) -> list[UnlockScreen]:  # type: ignore[no-untyped-def]
    return [s for s in app.screen_stack if isinstance(s, UnlockScreen)]


async def test_the_prompt_comes_before_the_session_and_takes_the_password_meanwhile(
    wallet_home,  # type: ignore[no-untyped-def]
) -> None:
    services = HeldServices(wallet_home)
    app = make_app(services=services, language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(5):
            await pilot.pause()
        assert isinstance(app.screen, UnlockScreen)
        assert app.session is None and services.opened == 0  # the session has not opened
        await pilot.press(*PASSWORD, "enter")
        for _ in range(100):  # the KDF runs in a thread
            await pilot.pause(0.05)
            if not isinstance(app.screen, UnlockScreen):
                break
        assert not isinstance(app.screen, UnlockScreen)
        assert app.session is None
        services.release.set()
        for _ in range(3):
            await settle(pilot)
        assert app.session is not None and app.session.locked is False
        assert app.status is not None and app.status.locked is False
        assert not _unlock_screens(app)  # not asked a second time


async def test_the_session_opening_first_asks_once(wallet_home) -> None:  # type: ignore[no-untyped-def]
    services = HeldServices(wallet_home)
    app = make_app(services=services, language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        services.release.set()
        for _ in range(3):
            await settle(pilot)
        assert app.session is not None
        assert len(_unlock_screens(app)) == 1
        await pilot.press(*PASSWORD, "enter")
        for _ in range(3):
            await settle(pilot)
        assert not _unlock_screens(app)
        assert app.session is not None and app.session.locked is False
