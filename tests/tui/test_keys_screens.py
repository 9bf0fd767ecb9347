"""Unlock and first-run screens driven with keys (App.run_test + Pilot), on a real keystore
(cheap Argon2id parameters, passed explicitly) and a real SQLite store."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pyotp
import pytest
from textual.app import App
from textual.widgets import Input

from tui import i18n
from tui.screens.onboarding import OnboardingScreen
from tui.screens.unlock import UnlockScreen
from wallet.accounts import AccountBook
from wallet.keystore import KdfParams, Keystore, UnlockedWallet
from wallet.lockout import Lockout
from wallet.store import Store
from wallet.totp import TotpGuard

PHRASE = "legal winner thank year wave sausage worth useful legal winner thank yellow"
PASSWORD = "the right password"


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


class Host(App[None]):
    """Shows one screen and keeps what it dismissed with."""

    def __init__(self, screen_factory) -> None:
        super().__init__()
        self._factory = screen_factory
        self.results: list[object] = []

    def on_mount(self) -> None:
        self.push_screen(self._factory(), callback=self.results.append)


def screen_text(app: App) -> str:
    svg = app.export_screenshot()
    return html.unescape(re.sub(r"<[^>]+>", "", svg)).replace("\xa0", " ")


@pytest.fixture
def parts(tmp_path: Path):
    ks = Keystore(tmp_path / "keystore.json", kdf=KdfParams.cheap_for_tests())
    store = Store(tmp_path / "db.sqlite3")
    yield ks, store
    store.close()


async def settle(pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def test_unlock_counts_failures_waits_then_unlocks(parts):
    ks, store = parts
    ks.create(PHRASE, PASSWORD)
    clock = Clock()
    lockout = Lockout(store, clock=clock)
    app = Host(lambda: UnlockScreen(ks, lockout))
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(3):
            await pilot.press(*"wrong guess", "enter")
            await settle(pilot)
        text = screen_text(app)
        assert "Try again in 30 s" in text
        assert app.screen.query_one("#unlock-password", Input).disabled
        assert "Unlock" in text  # the footer shows the key
        clock.now += 31
        await pilot.pause(1.2)  # the screen re-reads the lockout every second
        box = app.screen.query_one("#unlock-password", Input)
        assert not box.disabled
        box.focus()
        await pilot.press(*PASSWORD, "enter")
        await settle(pilot)
    assert len(app.results) == 1 and isinstance(app.results[0], UnlockedWallet)
    assert app.results[0].mnemonic == PHRASE
    assert lockout.failures == 0


async def test_unlock_with_totp(parts):
    ks, store = parts
    unlocked = ks.create(PHRASE, PASSWORD)
    clock = Clock()
    guard = TotpGuard(store, unlocked, clock=clock)
    secret = guard.begin_setup()
    guard.finish_setup(secret, pyotp.TOTP(secret).at(clock.now))
    clock.now += 60
    app = Host(
        lambda: UnlockScreen(
            ks, Lockout(store, clock=clock), totp=lambda u: TotpGuard(store, u, clock=clock)
        )
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*PASSWORD, "enter")
        await settle(pilot)
        assert not app.results
        assert "authenticator" in screen_text(app)
        await pilot.press(*"12345", "enter")
        await pilot.pause()
        assert "wrong" in screen_text(app)
        await pilot.press(*pyotp.TOTP(secret).at(clock.now), "enter")
        await pilot.pause()
    assert isinstance(app.results[0], UnlockedWallet)


async def test_restore_flow_masks_the_phrase(parts):
    ks, store = parts
    app = Host(lambda: OnboardingScreen(ks, store))
    async with app.run_test(size=(80, 30)) as pilot:
        await pilot.press("down", "enter")  # "Restore from a recovery phrase"
        await pilot.pause()
        await pilot.press(*PHRASE)
        await pilot.pause()
        shot = screen_text(app)
        assert "legal" not in shot and "yellow" not in shot  # typed, but masked
        await pilot.press("enter", "enter")  # phrase, then the empty passphrase
        await pilot.pause()
        await pilot.press(*"short", "enter", *"short", "enter")
        await pilot.pause()
        assert "at least 8" in screen_text(app)
        await pilot.press(*PASSWORD, "enter", *PASSWORD, "enter")
        await settle(pilot)
    assert isinstance(app.results[0], UnlockedWallet)
    assert ks.unlock(PASSWORD).mnemonic == PHRASE
    assert any(a.family == "btc" for a in AccountBook(store).list())


async def test_restore_names_the_bad_word(parts):
    ks, store = parts
    app = Host(lambda: OnboardingScreen(ks, store))
    async with app.run_test(size=(80, 30)) as pilot:
        await pilot.press("down", "enter")
        await pilot.press(*PHRASE.replace("wave", "wavy"), "enter", "enter")
        await pilot.pause()
        text = screen_text(app)
        assert "Word 5 is not in the BIP39 word list" in text and "wavy" not in text
    assert not ks.exists()


async def test_create_flow_checks_three_words(parts):
    ks, store = parts
    app = Host(lambda: OnboardingScreen(ks, store, words=12))
    async with app.run_test(size=(80, 30)) as pilot:
        await pilot.press("enter")  # "Create a new wallet"
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, OnboardingScreen) and screen.shows_secret
        words = screen._mnemonic.split()
        assert all(w in screen_text(app) for w in words)
        await pilot.press("enter")  # "I have written them down"
        await pilot.pause()
        assert not screen.shows_secret
        first = screen._to_check[0]
        wrong = "zoo" if words[first] != "zoo" else "abandon"
        await pilot.press(*wrong, "enter")
        await pilot.pause()
        assert f"Word {first + 1} does not match" in screen_text(app)
        while screen._to_check:
            await pilot.press(*words[screen._to_check[0]], "enter")
            await pilot.pause()
        await pilot.press(*PASSWORD, "enter", *PASSWORD, "enter")
        await settle(pilot)
    assert ks.unlock(PASSWORD).mnemonic == " ".join(words)
    assert screen._mnemonic == ""  # forgotten once written


async def test_device_choice_reads_the_device_and_goes_back(parts):
    """ "Use a hardware wallet" opens the device setup (no more "arrives in its own update"):
    it lists the devices found; Escape comes back to the three choices."""
    from types import SimpleNamespace

    from tests.wallet.test_device_wallet import Registry, StandIn
    from wallet.keys import generate_mnemonic

    ks, store = parts
    app = Host(lambda: OnboardingScreen(ks, store))
    app.services = SimpleNamespace(device_registry=Registry([StandIn(generate_mnemonic(12))]))
    async with app.run_test(size=(80, 30)) as pilot:
        await pilot.press("down", "down", "enter")
        await settle(pilot)
        text = screen_text(app)
        assert "Add a hardware wallet" in text and "trezor:stand-in:0" in text
        assert "own update" not in text
        await pilot.press("escape")
        await pilot.pause()
        assert "Create a new wallet" in screen_text(app)


async def test_screens_speak_chinese(parts):
    ks, store = parts
    i18n.set_language("zh-CN")
    try:
        app = Host(lambda: OnboardingScreen(ks, store))
        async with app.run_test(size=(80, 30)) as pilot:
            await pilot.pause()
            assert "欢迎使用" in screen_text(app)
    finally:
        i18n.set_language("en")
