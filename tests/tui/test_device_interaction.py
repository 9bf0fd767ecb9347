"""The TUI's Interaction: modal screens driven with keys (App.run_test + Pilot), called from a
real DeviceThread (devices/thread.py) the way an adapter calls them. The "device" is our own
code on that thread (no device library is needed to ask a human for a PIN), except in the last
tests, where the real Trezor adapter replays the emulator's recorded rejection."""

from __future__ import annotations

import asyncio
import html
import re
from concurrent.futures import Future
from dataclasses import replace
from typing import Any

import pytest
from textual.app import App

from devices.base import DevicePrompt, OnDevice, PinKind, PromptAmount, PromptKind, PromptOutput
from devices.errors import (
    DeviceLocked,
    Disconnected,
    FirmwareOutdated,
    UserCancelled,
    WrongApp,
)
from devices.thread import DeviceThread
from tui import i18n
from tui.device_interaction import DeviceInteraction, device_error_text
from tui.screens.device_confirm import DeviceConfirmScreen
from tui.screens.device_passphrase import DevicePassphraseScreen
from tui.screens.device_pin import DevicePinScreen


class Host(App[None]):
    pass


def screen_text(app: App[Any]) -> str:
    svg = app.export_screenshot()
    return html.unescape(re.sub(r"<[^>]+>", "", svg)).replace("\xa0", " ")


@pytest.fixture
def thread():
    t = DeviceThread()
    yield t
    t.shutdown()


async def wait_for(pilot: Any, cond: Any, what: str) -> None:
    for _ in range(200):
        if cond():
            return
        await pilot.pause(0.01)
    raise AssertionError(f"timed out waiting for {what}")


async def wait_text(pilot: Any, app: App[Any], text: str) -> str:
    """The screen's text once it shows `text` (a pushed screen renders a moment later)."""
    await wait_for(pilot, lambda: text in screen_text(app), repr(text))
    return screen_text(app)


async def result(fut: Future[Any]) -> Any:
    return await asyncio.wait_for(asyncio.wrap_future(fut), 5)


TX_PROMPT = DevicePrompt(
    kind=PromptKind.SIGN_TX,
    device="Trezor One",
    chain_id=1,
    path="m/44'/60'/0'/0/0",
    address="0x3535353535353535353535353535353535353535",
    amount=PromptAmount(value=10**15, decimals=18, symbol="ETH"),
    fee=PromptAmount(value=42_000 * 10**9, decimals=18, symbol="ETH"),
)


# --- PIN matrix ---------------------------------------------------------------------------------


async def test_pin_matrix_returns_positions_and_shows_only_dots(thread: DeviceThread):
    app = Host()
    async with app.run_test() as pilot:
        ui = DeviceInteraction(app, "Trezor One")
        fut = thread.submit(ui.get_pin, PinKind.CURRENT)
        await wait_for(pilot, lambda: isinstance(app.screen, DevicePinScreen), "the PIN matrix")
        # Nine blank buttons in keypad order: no digit on any of them.
        labels = [str(b.label) for b in app.screen.query(".pin-key")]
        assert labels == ["•"] * 9
        assert [b.id for b in app.screen.query(".pin-key")][:3] == ["pin-7", "pin-8", "pin-9"]
        for key in ("7", "4", "1", "5"):
            await pilot.press(key)
        entered = str(app.screen.query_one("#pin-entered").render())
        assert "●●●●" in entered and not any(d in entered for d in "123456789")
        assert "7415" not in await wait_text(pilot, app, "●●●●")
        await pilot.press("backspace")
        await pilot.click("#pin-9")  # a click counts as its position too
        assert not fut.done(), "the device thread must wait until the user submits"
        await pilot.press("enter")
        assert await result(fut) == "7419"
        await wait_for(pilot, lambda: not isinstance(app.screen, DevicePinScreen), "close")


async def test_pin_cancel_raises_user_cancelled_on_the_device_thread(thread: DeviceThread):
    app = Host()
    async with app.run_test() as pilot:
        ui = DeviceInteraction(app, "Trezor One")
        fut = thread.submit(ui.get_pin, PinKind.NEW_FIRST)
        await wait_for(pilot, lambda: isinstance(app.screen, DevicePinScreen), "the PIN matrix")
        await wait_text(pilot, app, "Choose a new PIN for your Trezor One")
        await pilot.press("enter")  # nothing typed: enter does nothing
        assert isinstance(app.screen, DevicePinScreen)
        await pilot.press("escape")
        with pytest.raises(UserCancelled):
            await result(fut)


async def test_a_device_thread_waiting_when_the_app_exits_is_released(thread: DeviceThread):
    app = Host()
    async with app.run_test() as pilot:
        ui = DeviceInteraction(app, "Trezor One", poll=0.05)
        fut = thread.submit(ui.get_pin, PinKind.CURRENT)
        await wait_for(pilot, lambda: isinstance(app.screen, DevicePinScreen), "the PIN matrix")
        app.exit()
    with pytest.raises(UserCancelled):
        await result(fut)


# --- passphrase ---------------------------------------------------------------------------------


async def test_passphrase_is_masked_and_returned(thread: DeviceThread):
    secret = "canary-Passphrase-9f2c"
    app = Host()
    async with app.run_test() as pilot:
        ui = DeviceInteraction(app, "Trezor T")
        fut = thread.submit(lambda: ui.get_passphrase(on_device_ok=False))
        await wait_for(
            pilot, lambda: isinstance(app.screen, DevicePassphraseScreen), "the passphrase"
        )
        await pilot.press("ctrl+d")  # not offered: the device cannot take it
        assert isinstance(app.screen, DevicePassphraseScreen) and not fut.done()
        await pilot.press(*secret)
        assert secret not in await wait_text(pilot, app, "•" * len(secret))
        await pilot.press("enter")
        assert await result(fut) == secret
        assert secret not in screen_text(app)


async def test_passphrase_on_device(thread: DeviceThread):
    app = Host()
    async with app.run_test() as pilot:
        ui = DeviceInteraction(app, "Trezor T")
        fut = thread.submit(lambda: ui.get_passphrase(on_device_ok=True))
        await wait_for(
            pilot, lambda: isinstance(app.screen, DevicePassphraseScreen), "the passphrase"
        )
        await wait_text(pilot, app, "Ctrl+D")
        await pilot.press("ctrl+d")
        assert isinstance(await result(fut), OnDevice)


async def test_passphrase_cancel(thread: DeviceThread):
    app = Host()
    async with app.run_test() as pilot:
        ui = DeviceInteraction(app, "Trezor T")
        fut = thread.submit(lambda: ui.get_passphrase(on_device_ok=True))
        await wait_for(
            pilot, lambda: isinstance(app.screen, DevicePassphraseScreen), "the passphrase"
        )
        await pilot.press("escape")
        with pytest.raises(UserCancelled):
            await result(fut)


# --- confirm on device --------------------------------------------------------------------------


async def test_confirm_shows_the_device_fields_without_blocking(thread: DeviceThread):
    app = Host()
    async with app.run_test() as pilot:
        ui = DeviceInteraction(app, "Trezor One")
        # Returns at once: the device thread goes on to read the device's answer.
        await result(thread.submit(ui.confirm_on_device, TX_PROMPT))
        await wait_for(pilot, lambda: isinstance(app.screen, DeviceConfirmScreen), "confirm")
        text = await wait_text(pilot, app, "Check and confirm on your Trezor One")
        assert "0x3535353535353535353535353535353535353535" in text
        assert "0.001 ETH" in text and "0.000042 ETH" in text
        assert "Chain ID" in text
        depth = len(app.screen_stack)
        # The next screen of the same request updates it in place.
        nxt = replace(TX_PROMPT, amount=PromptAmount(value=5, decimals=0, symbol="wei"))
        await result(thread.submit(ui.confirm_on_device, nxt))
        await wait_for(pilot, lambda: "5 wei" in screen_text(app), "the update")
        assert len(app.screen_stack) == depth
        await pilot.press("escape", "enter")  # the device decides: keys do not close it
        assert isinstance(app.screen, DeviceConfirmScreen)
        await result(thread.submit(ui.finished))
        await wait_for(pilot, lambda: not isinstance(app.screen, DeviceConfirmScreen), "close")


async def test_verify_address_and_psbt_prompts_in_chinese(thread: DeviceThread):
    i18n.set_language("zh-CN")
    try:
        app = Host()
        async with app.run_test(size=(100, 30)) as pilot:
            ui = DeviceInteraction(app, "Trezor One")
            verify = DevicePrompt(
                kind=PromptKind.VERIFY_ADDRESS,
                device="Trezor One",
                chain="btc",
                path="m/84'/0'/0'/0/1",
                address="bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g",
            )
            await result(thread.submit(ui.confirm_on_device, verify))
            await wait_for(pilot, lambda: isinstance(app.screen, DeviceConfirmScreen), "verify")
            text = await wait_text(pilot, app, "请在您的 Trezor One 上核对地址")
            assert "bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g" in text
            await result(thread.submit(ui.finished))
            psbt = DevicePrompt(
                kind=PromptKind.SIGN_PSBT,
                device="Trezor One",
                chain="ltc",
                outputs=(
                    PromptOutput(
                        address="ltc1qstranger",
                        amount=PromptAmount(value=60_000, decimals=8, symbol="LTC"),
                    ),
                ),
                fee=PromptAmount(value=2_000, decimals=8, symbol="LTC"),
            )
            await result(thread.submit(ui.confirm_on_device, psbt))
            await wait_for(pilot, lambda: "付款给" in screen_text(app), "the PSBT prompt")
            text = screen_text(app)
            assert "0.0006 LTC" in text and "0.00002 LTC" in text and "网络手续费" in text
    finally:
        i18n.set_language("en")


# --- errors -------------------------------------------------------------------------------------


def test_each_device_error_has_its_own_message_in_both_languages():
    errors = [
        WrongApp("Ethereum", current="Bitcoin"),
        DeviceLocked("locked"),
        Disconnected("gone"),
        UserCancelled("no"),
        FirmwareOutdated("old"),
    ]
    for lang in ("en", "zh-CN"):
        i18n.set_language(lang)
        try:
            texts = [device_error_text(e, "Ledger") for e in errors]
        finally:
            i18n.set_language("en")
        assert len(set(texts)) == len(texts), texts
        assert all("Ledger" in x for x in texts)
        assert "Ethereum" in texts[0]
    assert device_error_text(errors[0], "Ledger") == (
        "Open the Ethereum app on your Ledger, then try again."
    )


def test_what_an_app_version_cannot_sign_is_said_in_both_languages():
    """The refusal devices/ledger_btc_psbt.py raises for a taproot input on the Bitcoin app
    2.0.2 (the recorded app) names the app and its version on the user's screen."""
    from devices.errors import AppCannotSign
    from devices.ledger_btc_psbt import check_psbt
    from devices.psbt import _psbt_class
    from tests.devices.emulator_seed import recorded_seed
    from tests.devices.test_trezor_psbt import build_psbt, software_keys
    from tui.errors import user_message

    seed = recorded_seed("ledger_btc_scenario.json")
    keys = software_keys(seed, 0, taproot=True)
    psbt = _psbt_class().parse(build_psbt(0, keys)[0])
    with pytest.raises(AppCannotSign) as info:
        check_psbt(
            psbt,
            "btc",
            keys.fingerprint,
            "Ledger",
            app="Bitcoin",
            version="2.0.2",
            taproot_ok=False,
        )
    texts = {}
    for lang in ("en", "zh-CN"):
        i18n.set_language(lang)
        try:
            texts[lang] = (device_error_text(info.value, "Ledger"), user_message(info.value))
        finally:
            i18n.set_language("en")
    assert texts["en"][0].startswith("The Bitcoin app 2.0.2 on your Ledger cannot sign taproot")
    assert "2.1 or later" in texts["en"][0] and "2.1 or later" in texts["en"][1]
    assert "Bitcoin 应用 2.0.2 无法签署 taproot" in texts["zh-CN"][0]
    assert "2.1" in texts["zh-CN"][1] and texts["zh-CN"][1] != texts["en"][1]


def test_an_unknown_error_does_not_leak_its_text():
    canary = "abandon abandon abandon canary"
    assert canary not in device_error_text(RuntimeError(canary), "Trezor One")


# --- the real Trezor adapter over the recorded emulator, with the TUI as its human -----------


class Watching(DeviceInteraction):
    """The app's Interaction, keeping what it was asked to show."""

    def __init__(self, app: Any, device: str) -> None:
        super().__init__(app, device)
        self.shown: list[DevicePrompt] = []

    def confirm_on_device(self, prompt: DevicePrompt) -> None:
        self.shown.append(prompt)
        super().confirm_on_device(prompt)


async def test_trezor_replay_reject_through_the_tui(thread: DeviceThread):
    from tests.devices.test_trezor import LEGACY_TX, _replay_signer

    app = Host()
    async with app.run_test() as pilot:
        ui = Watching(app, "Trezor One")
        shown = ui.shown

        def sign() -> Any:
            signer, _ = _replay_signer("trezor_one_reject.json", ui)
            return signer.sign_evm_tx("m/44'/60'/0'/0/0", LEGACY_TX)

        with pytest.raises(UserCancelled) as info:
            await result(thread.submit(sign))
        await wait_for(pilot, lambda: not isinstance(app.screen, DeviceConfirmScreen), "close")
        assert shown and shown[0].kind is PromptKind.SIGN_TX
        assert shown[0].amount is not None and shown[0].amount.value == LEGACY_TX.value
        assert device_error_text(info.value, "Trezor One") == (
            "Rejected on your Trezor One. Nothing was signed."
        )


def test_a_wrong_pin_is_not_reported_as_a_locked_device():
    """The emulator's recorded answer to a wrong PIN (Failure PinInvalid), through the adapter,
    in the user's words: it says the PIN was wrong, not "unlock it with its PIN"."""
    from devices.errors import DeviceError
    from tests.devices.test_trezor import ETH_PATH, PinEntry, _replay_signer

    signer, _ = _replay_signer("trezor_one_wrong_pin_entry.json", PinEntry())
    with pytest.raises(DeviceError) as info:
        signer.get_address("eth", ETH_PATH)
    assert device_error_text(info.value, "Trezor One") == (
        "The PIN was wrong: your Trezor One stays locked. Enter it again; the digits are in a "
        "new order each time."
    )
    i18n.set_language("zh-CN")
    try:
        text = device_error_text(info.value, "Trezor One")
    finally:
        i18n.set_language("en")
    assert text.startswith("PIN 码错误") and "Trezor One" in text


async def test_trezor_replay_passphrase_confirm_screen_closes(thread: DeviceThread):
    """The passphrase typed in the app, then the Trezor One's "Access hidden wallet?" and "Use
    this passphrase?" on screen as "Check and confirm": that screen closes once the session is
    open, instead of staying over the app for good."""
    from tests.devices.test_trezor import ETH_PATH, PASSPHRASE, _replay_signer

    app = Host()
    async with app.run_test() as pilot:
        ui = Watching(app, "Trezor One")
        shown = ui.shown

        def address() -> str:
            signer, _ = _replay_signer("trezor_one_passphrase.json", ui)
            try:
                return str(signer.get_address("eth", ETH_PATH))
            finally:
                signer.close()

        fut = thread.submit(address)
        await wait_for(
            pilot, lambda: isinstance(app.screen, DevicePassphraseScreen), "the passphrase"
        )
        await pilot.press(*PASSPHRASE, "enter")
        assert (await result(fut)).startswith("0x")
        assert [p.kind for p in shown] == [PromptKind.CONFIRM, PromptKind.CONFIRM]
        await wait_for(pilot, lambda: not isinstance(app.screen, DeviceConfirmScreen), "close")
        assert not any(isinstance(s, DeviceConfirmScreen) for s in app.screen_stack)


def test_confirm_texts_name_the_device_by_its_model():
    """What the confirm screen (and the CLI) says names the model throughout, never "your
    device", in both languages."""
    from tui.screens.device_confirm import prompt_text

    prompts = [
        replace(TX_PROMPT, has_data=True),
        DevicePrompt(kind=PromptKind.CONFIRM, device="Trezor One"),
        DevicePrompt(
            kind=PromptKind.VERIFY_ADDRESS, device="Trezor One", chain="btc", address="bc1q"
        ),
    ]
    for lang, generic in (("en", "device"), ("zh-CN", "设备")):
        i18n.set_language(lang)
        try:
            texts = [prompt_text(p) for p in prompts]
        finally:
            i18n.set_language("en")
        for text in texts:
            assert generic not in text.lower() and "Trezor One" in text, text


async def test_the_on_device_passphrase_hint_names_the_model(thread: DeviceThread):
    app = Host()
    async with app.run_test() as pilot:
        ui = DeviceInteraction(app, "Trezor T")
        fut = thread.submit(lambda: ui.get_passphrase(on_device_ok=True))
        text = await wait_text(pilot, app, "Ctrl+D")
        assert "type it on your Trezor T" in text and "on the device" not in text
        await pilot.press("escape")
        with pytest.raises(UserCancelled):
            await result(fut)
