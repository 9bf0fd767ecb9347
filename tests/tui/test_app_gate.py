"""First run, unlock and auto-lock through the real app and UserServices: the production
keystore (Argon2id at its real cost), a SQLite store in TERMWALLET_HOME, no devnet needed
(the configured network is unreachable here and the app must say so, not invent balances)."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from tests.tui.helpers import settle_keep_toasts
from tui.app import TermwalletApp, make_app
from tui.screens.onboarding import OnboardingScreen
from tui.screens.unlock import UnlockScreen
from tui.screenshots import settle
from tui.services import UserServices
from wallet.paths import Paths

PHRASE = "legal winner thank year wave sausage worth useful legal winner thank yellow"
ADDRESS = "0x58A57ed9d8d624cBD12e2C467D34787555bB1b25"  # PHRASE at m/44'/60'/0'/0/0
PASSWORD = "correct horse battery"


def _text(app: TermwalletApp) -> str:
    svg = app.export_screenshot()
    return html.unescape(re.sub(r"<[^>]+>", "", svg)).replace("\xa0", " ")


def _configure(home: Path, **lines: str) -> Paths:
    paths = Paths.default().ensure()
    # A network whose node cannot answer: nothing here may reach the internet.
    text = 'network = "eth"\nutxo_networks = []\nrpc_urls = { eth = ["http://127.0.0.1:9"] }\n'
    text += "".join(f"{k} = {v}\n" for k, v in lines.items())
    paths.config_file.write_text(text)
    return paths


async def _restore(pilot) -> None:  # type: ignore[no-untyped-def]
    await pilot.press("down", "enter")  # "Restore from a recovery phrase"
    await pilot.pause()
    await pilot.press(*PHRASE, "enter", "enter")  # the phrase, then no passphrase
    await pilot.pause()
    await pilot.press(*PASSWORD, "enter", *PASSWORD, "enter")
    for _ in range(5):
        await settle(pilot)


async def test_first_run_restores_then_restart_asks_for_the_password(termwallet_home: Path) -> None:
    paths = _configure(termwallet_home)
    app = make_app(services=UserServices(paths), language="en")
    async with app.run_test(size=(80, 30)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, OnboardingScreen)
        await _restore(pilot)
        assert not isinstance(app.screen, OnboardingScreen)
        assert app.status is not None
        assert app.status.signer == "software" and app.status.locked is False
        assert app.session is not None and ADDRESS in app.session.addresses
        text = _text(app)
        assert ADDRESS in text
        assert "127.0.0.1:9" in text  # the node is down and the screen says which one
        assert "12.5" not in text

    app = make_app(services=UserServices(paths), language="en")
    async with app.run_test(size=(80, 30)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, UnlockScreen)
        assert app.status is not None and app.status.locked is True
        await pilot.press(*"wrong password", "enter")
        await settle(pilot)
        assert isinstance(app.screen, UnlockScreen)
        await pilot.press(*PASSWORD, "enter")
        for _ in range(3):
            await settle(pilot)
        assert not isinstance(app.screen, UnlockScreen)
        assert app.status is not None and app.status.locked is False
        assert PHRASE.split()[0] not in _text(app)


async def test_idle_wallet_locks_itself(
    termwallet_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = _configure(termwallet_home, auto_lock_minutes="1")
    services = UserServices(paths)
    app = make_app(services=services, language="en")
    async with app.run_test(size=(80, 30)) as pilot:
        await settle(pilot)
        await _restore(pilot)
        assert services.wallet is not None and services.wallet.unlocked is not None
        # Time passes: the idle timer's clock is moved rather than waiting a minute.
        assert app._idle is not None
        app._idle._last -= 61
        app._check_idle()
        await settle(pilot)
        assert isinstance(app.screen, UnlockScreen)
        assert services.wallet.unlocked is None
        assert app.status is not None and app.status.locked is True
        assert "Locked after 1 minute without" in _text(app)


async def test_no_screenshot_while_a_new_phrase_is_shown(
    termwallet_home: Path, tmp_path: Path
) -> None:
    paths = _configure(termwallet_home)
    app = make_app(services=UserServices(paths), language="en")
    async with app.run_test(size=(80, 30)) as pilot:
        await settle(pilot)
        await pilot.press("enter")  # "Create a new wallet": the phrase is on screen
        await pilot.pause()
        assert getattr(app.screen, "shows_secret", False)
        app.action_screenshot("shot.svg", str(tmp_path))
        await pilot.pause()
        assert not (tmp_path / "shot.svg").exists()


async def test_first_run_with_a_hardware_wallet(termwallet_home: Path) -> None:
    """First run -> "Use a hardware wallet" -> the device's accounts -> saved: the wallet opens
    with no keystore and no password, the header names it and says its device is not in use
    yet. The device is a stand-in (tests/wallet/test_device_wallet.py says why); its phrase is
    random and only the stand-in knows it."""
    from tests.wallet.test_device_wallet import Registry, StandIn, _expected
    from tui.screens.device_setup import DeviceSetupScreen
    from wallet.keys import generate_mnemonic

    paths = _configure(termwallet_home)
    mnemonic = generate_mnemonic(12)
    services = UserServices(paths)
    services.device_registry = Registry([StandIn(mnemonic)])  # type: ignore[attr-defined]
    app = make_app(services=services, language="en")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("down", "down", "enter")  # "Use a hardware wallet"
        await settle(pilot)
        assert isinstance(app.screen, DeviceSetupScreen)
        await pilot.press("enter")  # the one device listed
        for _ in range(3):
            await settle(pilot)
        text = _text(app)
        eth = _expected(mnemonic, "", "eth")
        assert eth in text and _expected(mnemonic, "", "btc84") in text
        assert "Master fingerprint" in text
        await pilot.press("enter")  # "Save this wallet" has the focus
        for _ in range(5):
            await settle(pilot)
        assert not isinstance(app.screen, (DeviceSetupScreen, OnboardingScreen))
        assert app.session is not None and app.session.addresses == (eth,)
        assert app.status is not None and app.status.signer == "Trezor One"
        assert app.status.locked is False and app.status.connected is False
        assert "(not connected)" in _text(app)
    assert not (paths.data_dir / "keystore.json").exists()

    # Started again: the device wallet opens at once, nothing to unlock.
    app = make_app(services=UserServices(paths), language="en")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert not isinstance(app.screen, (UnlockScreen, OnboardingScreen))
        assert app.session is not None and app.session.addresses == (eth,)


async def test_a_config_file_that_is_never_read_is_named_in_a_notification(
    termwallet_home: Path,
) -> None:
    paths = _configure(termwallet_home)
    stray = termwallet_home / "config.toml"
    stray.write_text('language = "zh-CN"\n')
    app = make_app(services=UserServices(paths), language="en")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle_keep_toasts(pilot)
        toasts = [n for n in app._notifications if str(stray) in n.message]
        assert len(toasts) == 1 and toasts[0].severity == "warning"
        assert str(paths.config_file) in toasts[0].message


async def test_several_wallets_are_offered_at_start(termwallet_home: Path) -> None:
    """Two hardware wallets in the store (stand-ins, random phrases): the app starts with the
    picker, the one chosen opens, and the palette's "Switch wallet" goes back to the other."""
    from tests.wallet.test_device_wallet import Registry, StandIn, _expected
    from tui.screens.wallet_pick import WalletPickScreen
    from wallet.device_wallet import read_device_keys, store_device_wallet
    from wallet.keys import generate_mnemonic
    from wallet.store import Store

    paths = _configure(termwallet_home)
    one, two = generate_mnemonic(12), generate_mnemonic(12)
    store = Store(paths.database)
    store_device_wallet(store, read_device_keys(StandIn(one)), "First")
    store_device_wallet(store, read_device_keys(StandIn(two)), "Second")
    store.close()
    services = UserServices(paths)
    services.device_registry = Registry([])  # type: ignore[attr-defined]
    app = make_app(services=services, language="en")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, WalletPickScreen)
        text = _text(app)
        assert "● Second" in text and "First" in text  # the last added opens by default
        await pilot.press("home", "enter")  # "First"
        for _ in range(3):
            await settle(pilot)
        assert not isinstance(app.screen, WalletPickScreen)
        assert app.session is not None and app.session.addresses == (_expected(one, "", "eth"),)
        assert app.status is not None and app.status.wallet == "First"
        app.action_switch_wallet()
        await settle(pilot)
        assert isinstance(app.screen, WalletPickScreen)
        await pilot.press("down", "enter")  # "Second"
        for _ in range(3):
            await settle(pilot)
        assert app.session.addresses == (_expected(two, "", "eth"),)
        assert "Second" in _text(app)


async def test_locked_out_unlock_screen_takes_every_key(termwallet_home: Path) -> None:
    """While the wait lasts the password box is disabled; what is typed then must reach nothing
    behind the screen: not Support (4) and a new ticket (n), not quit (q), not the palette."""
    from textual.command import CommandPalette

    from wallet.lockout import Lockout
    from wallet.store import Store

    paths = _configure(termwallet_home)
    app = make_app(services=UserServices(paths), language="en")
    async with app.run_test(size=(80, 30)) as pilot:
        await settle(pilot)
        await _restore(pilot)
    store = Store(paths.database)
    lockout = Lockout(store)
    for _ in range(3):
        lockout.record_failure()
    store.close()

    app = make_app(services=UserServices(paths), language="en")
    async with app.run_test(size=(80, 30)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, UnlockScreen)
        assert "Try again in" in _text(app)
        mode = app.current_mode
        for keys in ("wrongpass4", "4n", "123", "abcq"):
            await pilot.press(*keys, "enter")
            await settle(pilot)
            assert isinstance(app.screen, UnlockScreen), keys
            assert app.current_mode == mode and app.is_running, keys
        await pilot.press("ctrl+p")
        await settle(pilot)
        assert not isinstance(app.screen, CommandPalette)
        assert isinstance(app.screen, UnlockScreen)
        assert app.status is not None and app.status.locked is True
        await pilot.press("ctrl+q")  # the screen's own quit still works
        await pilot.pause()
        assert not app.is_running
