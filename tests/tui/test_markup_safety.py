"""Text from outside the app is shown as text, never read as Textual markup.

Textual reads a plain str as markup in Static, Label, notify, DataTable cells, Select and
OptionList prompts: "[/]" there raised MarkupError and closed the app, and "[@click=...]" could
have bound an action. Each test puts CANARY where a user or an outsider can: a history label and
note, an address-book label, a ticket's subject and description and the helpdesk's reply, the
helpdesk address quoted in a delivery error, a FAQ search, a hardware wallet's model and detail,
and a token's symbol; then drives the real app (App.run_test + Pilot) and checks it still runs
and shows CANARY exactly as written.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from textual.widgets import Input, OptionList, Select, TextArea

from tests.fixtures.devnet import Devnet
from tests.tui.helpers import screen_text as _text
from tests.tui.helpers import until as _until
from tests.wallet.support.conftest import (  # noqa: F401 (helpdesk is a fixture)
    HELPDESK_EMAIL,
    HELPDESK_TOKEN,
    Helpdesk,
    helpdesk,
)
from tui.app import TermwalletApp, make_app
from tui.screenshots import settle
from wallet.settings import Settings

CANARY = "[/]x[b]y[/b][@click=app.quit]z"
ACCOUNT = "0x9858EfFD232B4033E47d90003D41EC34EcaEda94"
CONTACT = "0x00000000000000000000000000000000C0FFEE01"


def _services(tmp_path: Path, support: Any = None) -> Any:
    """bench/history.py's services: a watch-only devnet account whose node does not answer;
    with `support`, the user's Settings hold those support settings (as UserServices' do)."""
    from bench.history import _Services

    services = _Services(tmp_path / "w.sqlite3", ACCOUNT)
    if support is not None:
        services.settings = Settings(support=support)  # type: ignore[attr-defined]
    return services


# -- the user's own words -------------------------------------------------------------------


async def test_a_history_label_and_note_are_shown_as_text(tmp_path: Path) -> None:
    from bench.history import fill
    from wallet.history.model import HistoryQuery
    from wallet.history.store import HistoryStore
    from wallet.store import Store

    store = Store(tmp_path / "w.sqlite3")
    fill(store, 3, ACCOUNT)
    history = HistoryStore(store)
    newest = history.page(HistoryQuery(), 0, 1)[0]
    history.set_label(newest.network, newest.tx_hash, CANARY, CANARY + " note")
    store.close()
    app = make_app(Settings(language="en"), _services(tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        assert app.is_running
        assert CANARY in _text(app)  # the label stands for the counterparty in the list
        await pilot.press("enter")
        await settle(pilot)
        assert app.is_running
        assert app.screen.query_one("#details-label", Input).value == CANARY
        assert app.screen.query_one("#details-note", TextArea).text == CANARY + " note"
        assert CANARY in _text(app) and CANARY + " note" in _text(app)


async def test_an_address_book_label_is_shown_as_text(tmp_path: Path) -> None:
    from tui.screens.send import SendScreen
    from wallet.addressbook import AddressBook
    from wallet.store import Store

    store = Store(tmp_path / "w.sqlite3")
    AddressBook(store).add("devnet", CONTACT, CANARY)
    store.close()
    app = make_app(Settings(language="en"), _services(tmp_path))
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        app.push_screen(SendScreen())
        await settle(pilot)
        contacts = app.screen.query_one("#send-contact", Select)
        contacts.focus()
        await pilot.press("enter")  # open the list of contacts
        await settle(pilot)
        assert app.is_running
        assert CANARY in _text(app)
        await pilot.press("down", "enter")  # pick it: the recipient is filled in, the label shown
        await settle(pilot)
        assert app.is_running
        assert app.screen.query_one("#send-to", Input).value.lower() == CONTACT.lower()
        assert CANARY in _text(app)


async def test_a_faq_search_is_shown_as_text(tmp_path: Path) -> None:
    app = make_app(Settings(language="en"), _services(tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("4")
        await settle(pilot)
        await pilot.press("slash")
        app.screen.query_one("#faq-search", Input).value = CANARY  # matches no question
        # The search runs on a thread; its answer names what was searched for.
        await _until(pilot, lambda: not app.is_running or "No question matches" in _text(app))
        await settle(pilot)
        assert app.is_running
        assert app.screen.query_one("#faq-list", OptionList).option_count == 0
        assert CANARY in _text(app)


# -- the support desk -----------------------------------------------------------------------


def _support(url: str) -> Any:
    from wallet.support.config import SupportSettings

    return SupportSettings(
        helpdesk_url=url, helpdesk_email=HELPDESK_EMAIL, helpdesk_token=SecretStr(HELPDESK_TOKEN)
    )


async def _delivered_ticket(tmp_path: Path, helpdesk: Helpdesk, subject: str) -> Any:  # noqa: F811
    """A ticket written and sent to the local helpdesk before the app opens."""
    from wallet.store import Store
    from wallet.support.channels import Channel
    from wallet.support.diagnostics import gather
    from wallet.support.tickets import Category, SupportDesk, TicketDraft

    store = Store(tmp_path / "w.sqlite3")
    try:
        desk = SupportDesk(store, _support(helpdesk.url))
        draft = TicketDraft(category=Category.FEES, subject=subject, channel=Channel.LIVE,
                            description=subject + " description")  # fmt: skip
        diag = gather(app_version="0.1.0", environ={"TERM": "xterm"}, os_name="Linux")
        ticket = desk.submit(desk.prepare(draft, diag))
        await desk.deliver()
        ticket = desk.get(ticket.reference)
        assert ticket.remote_id is not None
        return ticket
    finally:
        store.close()


async def _ticket_list(app: TermwalletApp, pilot: Any) -> None:
    await settle(pilot)
    await pilot.press("4")
    await settle(pilot)
    await pilot.press("t")
    await settle(pilot)
    assert app.is_running


async def _open_ticket(app: TermwalletApp, pilot: Any) -> None:
    from tui.screens.support_ticket import TicketScreen

    await _ticket_list(app, pilot)
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(app.screen, TicketScreen)


async def test_a_tickets_subject_description_and_reply_are_shown_as_text(
    tmp_path: Path,
    helpdesk: Helpdesk,  # noqa: F811
) -> None:
    ticket = await _delivered_ticket(tmp_path, helpdesk, CANARY)
    helpdesk.agent_reply(int(ticket.remote_id), CANARY + " reply")
    app = make_app(Settings(language="en"), _services(tmp_path, _support(helpdesk.url)))
    async with app.run_test(size=(100, 30)) as pilot:
        await _ticket_list(app, pilot)
        assert CANARY in _text(app)  # the subject, in the ticket list
        await pilot.press("enter")
        await settle(pilot)
        await _until(pilot, lambda: CANARY + " reply" in _text(app))  # fetched from the desk
        assert app.is_running
        text = _text(app)
        assert CANARY in text and CANARY + " description" in text


async def test_why_replies_could_not_be_fetched_is_shown_as_written(
    tmp_path: Path,
    helpdesk: Helpdesk,  # noqa: F811
) -> None:
    """The helpdesk is no longer in the settings: the reason quotes "[support]", which was
    read as a markup tag and dropped from the sentence."""
    await _delivered_ticket(tmp_path, helpdesk, "Fee question")
    app = make_app(Settings(language="en"), _services(tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        await _open_ticket(app, pilot)
        await _until(pilot, lambda: "Could not fetch replies" in _text(app))
        assert app.is_running
        assert "is missing in the [support] settings" in re.sub(r"\s+", " ", _text(app))


async def test_the_helpdesk_address_quoted_in_a_delivery_error_is_shown_as_text(
    tmp_path: Path,
) -> None:
    """The address comes from the user's settings; nothing listens there (port 9), so the
    delivery fails and the error, which quotes it, is shown above the list and notified."""
    from tui.screens.support import SupportScreen
    from tui.screens.support_review import ReviewTicketScreen

    support = _support("http://127.0.0.1:9/" + CANARY)
    app = make_app(Settings(language="en"), _services(tmp_path, support))
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.press("4")
        await settle(pilot)
        await _until(pilot, lambda: getattr(app.screen, "desk", None) is not None)
        await pilot.press("n")
        await settle(pilot)
        app.screen.query_one("#ticket-subject", Input).value = "Fee question"
        app.screen.query_one("#ticket-description", TextArea).text = "The fee looked high."
        await _until(pilot, lambda: getattr(app.screen, "diagnostics", None) is not None)
        await pilot.press("ctrl+s")
        await _until(pilot, lambda: isinstance(app.screen, ReviewTicketScreen))
        await pilot.press("ctrl+s")
        await _until(pilot, lambda: isinstance(app.screen, SupportScreen))
        # Before the fix the worker writing the note died on the markup: no note, no toast.
        await _until(pilot, lambda: not app.is_running or "127.0.0.1:9" in _text(app))
        await settle(pilot)
        assert app.is_running
        assert "http://127.0.0.1:9/" + CANARY in re.sub(r"\s+", "", _text(app))


# -- hardware wallets -----------------------------------------------------------------------


async def test_a_devices_model_and_detail_are_shown_as_text(tmp_path: Path) -> None:
    from devices.base import DevicePrompt, PinKind, PromptKind, SignerKind
    from devices.registry import DeviceEntry, Discovery
    from tui.screens.device_choose import DeviceChooseScreen
    from tui.screens.device_confirm import DeviceConfirmScreen
    from tui.screens.device_passphrase import DevicePassphraseScreen
    from tui.screens.device_pin import DevicePinScreen
    from wallet.session import SessionStatus

    found = Discovery(devices=[DeviceEntry("hwi:x:1", SignerKind.HWI, CANARY, "1", CANARY + "!")])
    app = make_app(Settings(language="en"), _services(tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.push_screen(DeviceChooseScreen(found, CANARY))
        await settle(pilot)
        assert app.is_running
        text = _text(app)
        assert CANARY + "  hwi:x:1" in text and CANARY + "!" in text  # the list
        assert text.count(CANARY) >= 3  # and the current signer in the hint
        await pilot.press("escape")
        prompt = DevicePrompt(kind=PromptKind.VERIFY_ADDRESS, device=CANARY, address=CONTACT)
        for screen in (DeviceConfirmScreen(prompt), DevicePinScreen(PinKind.CURRENT, CANARY),
                       DevicePassphraseScreen(on_device_ok=True, device=CANARY)):  # fmt: skip
            app.push_screen(screen)
            await settle(pilot)
            assert app.is_running, type(screen).__name__
            assert CANARY in _text(app), type(screen).__name__
            app.pop_screen()
            await settle(pilot)
        # The header names the signer by the device's model once it signs.
        app.status = SessionStatus(network="devnet", network_name="Devnet", signer=CANARY,  # type: ignore[attr-defined]
                                   locked=None)  # fmt: skip
        await settle(pilot)
        assert app.is_running
        assert CANARY in _text(app)


# -- a token's symbol, from its contract ----------------------------------------------------


@pytest.mark.devnet
async def test_a_token_symbol_is_shown_as_text_in_send_and_its_review(
    devnet_snapshot: Devnet, tmp_path: Path
) -> None:
    from tui.screens.send import SendScreen
    from tui.screens.send_review import SendReviewScreen
    from tui.services import AttachedDemoServices

    class Services(AttachedDemoServices):
        async def open_session(self):  # type: ignore[no-untyped-def]
            session = await super().open_session()
            session.assets = tuple(
                a.model_copy(update={"symbol": CANARY, "name": CANARY + " token"})
                if a.symbol == "DUSD" else a for a in session.assets
            )  # fmt: skip
            return session

    services = Services(devnet_snapshot.deployment, devnet_snapshot.demo_address, tmp_path)
    app = make_app(Settings(language="en"), services)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        app.push_screen(SendScreen())
        await settle(pilot)
        assert isinstance(app.screen, SendScreen)
        token = next(a for a in app.session.assets if a.symbol == CANARY)  # type: ignore[attr-defined]
        app.screen.query_one("#send-asset", Select).value = token.key
        await settle(pilot)
        assert app.is_running
        assert CANARY + "  " + CANARY + " token" in _text(app)  # the asset picked
        app.screen.query_one("#send-to", Input).value = CONTACT
        app.screen.query_one("#send-amount", Input).value = "1.5"
        await pilot.press("ctrl+r")
        await _until(pilot, lambda: isinstance(app.screen, SendReviewScreen))
        await settle(pilot)
        assert app.is_running
        assert "1.5 " + CANARY in _text(app)
