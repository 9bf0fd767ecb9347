"""The demo's own helpdesk and mail sink (wallet/demo_support.py), driven through the real
SupportDesk, helpdesk client and SMTP sender: a ticket's whole life on 127.0.0.1."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from email import message_from_bytes

import pytest
from pydantic import SecretStr

from wallet.demo_support import DEMO_AGENT, DemoSupport
from wallet.paths import Paths
from wallet.store import Store
from wallet.support.channels import Channel
from wallet.support.diagnostics import gather
from wallet.support.errors import ChannelRejected
from wallet.support.helpdesk import HelpdeskClient
from wallet.support.tickets import Category, Status, SupportDesk, TicketDraft


@pytest.fixture
def store(termwallet_home):
    s = Store(Paths.under(termwallet_home).ensure().database)
    yield s
    s.close()


def _diag():
    return gather(app_version="0.1.0", environ={"TERM": "xterm"}, os_name="Linux")


def _draft(channel: Channel = Channel.LIVE) -> TicketDraft:
    return TicketDraft(
        category=Category.FEES,
        subject="Fee question",
        description="Why was the network fee so high?",
        channel=channel,
    )


def _refused(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(2)
        return s.connect_ex(("127.0.0.1", port)) != 0


async def test_send_overdue_follow_up_and_a_labelled_demo_reply(store) -> None:
    support = DemoSupport(first_reply_seconds=3600).start()  # no reply unless followed up
    try:
        settings = support.settings
        assert all(settings.channel_ready(c) for c in ("live", "email", "social"))
        assert settings.helpdesk_url.startswith("http://127.0.0.1:")
        desk = SupportDesk(store, settings)
        ticket = desk.submit(desk.prepare(_draft(), _diag()))
        report = await desk.deliver()
        assert report.sent == (ticket.reference,)
        ticket = await desk.refresh(ticket.reference)
        assert ticket.status is Status.SENT and ticket.replies[0].from_requester
        assert not [r for r in ticket.replies if not r.from_requester]  # not answered yet
        # The demo's live promise is one minute: two minutes on, the ticket is overdue.
        later = SupportDesk(store, settings, clock=lambda: datetime.now(UTC) + timedelta(minutes=2))
        assert ticket.reply_due_at - ticket.submitted_at == timedelta(minutes=1)
        assert later.get(ticket.reference).overdue(later.now())

        desk.follow_up(ticket.reference, "Any news?")
        assert (await desk.deliver()).sent == (ticket.reference,)
        ticket = await desk.refresh(ticket.reference)
        [reply] = [r for r in ticket.replies if not r.from_requester]
        assert ticket.status is Status.ANSWERED
        assert reply.author == DEMO_AGENT
        assert reply.body.startswith("[DEMO REPLY") and ticket.reference in reply.body
        assert "no person read your ticket" in reply.body and "演示回复" in reply.body
    finally:
        support.stop()


async def test_an_unanswered_ticket_gets_the_demo_reply_by_itself(store) -> None:
    support = DemoSupport(first_reply_seconds=0).start()
    try:
        desk = SupportDesk(store, support.settings)
        ticket = desk.submit(desk.prepare(_draft(Channel.SOCIAL), _diag()))
        await desk.deliver()
        ticket = await desk.refresh(ticket.reference)
        assert ticket.status is Status.ANSWERED
        assert [r.author for r in ticket.replies if not r.from_requester] == [DEMO_AGENT]
        # Fetching again adds nothing twice.
        ticket = await desk.refresh(ticket.reference)
        assert len([r for r in ticket.replies if not r.from_requester]) == 1
    finally:
        support.stop()


async def test_email_tickets_land_in_the_mail_sink(store) -> None:
    support = DemoSupport().start()
    try:
        desk = SupportDesk(store, support.settings)
        ticket = desk.submit(desk.prepare(_draft(Channel.EMAIL), _diag()))
        assert (await desk.deliver()).sent == (ticket.reference,)
        [raw] = support.mail.messages
        mail = message_from_bytes(raw)
        assert mail["Subject"] == f"[{ticket.reference}] Fee question"
        assert "Why was the network fee so high?" in mail.get_payload()
        assert desk.get(ticket.reference).status is Status.SENT
    finally:
        support.stop()


async def test_the_helpdesk_checks_its_token_and_both_servers_stop() -> None:
    support = DemoSupport().start()
    settings = support.settings
    ports = [int(settings.helpdesk_url.rsplit(":", 1)[1]), settings.smtp_port]
    try:
        wrong = settings.model_copy(update={"helpdesk_token": SecretStr("not-the-token")})
        async with HelpdeskClient(wrong) as client:
            with pytest.raises(ChannelRejected):
                await client.create_request("x", "y", [])
        assert support.helpdesk.requests == {}
        assert not any(_refused(p) for p in ports)
    finally:
        support.stop()
    assert all(_refused(p) for p in ports)
    support.stop()  # safe twice


async def test_a_follow_up_is_checked_for_secrets_before_anything_else(store) -> None:
    from wallet.support.scrubber import SecretRefused

    support = DemoSupport().start()
    try:
        desk = SupportDesk(store, support.settings)
        ticket = desk.submit(desk.prepare(_draft(), _diag()))
        desk.repo.set_status(ticket.id, Status.FAILED, last_error="test")
        phrase = "legal winner thank year wave sausage worth useful legal winner thank yellow"
        with pytest.raises(SecretRefused):  # not InvalidTicket for the failed ticket
            desk.follow_up(ticket.reference, f"my words: {phrase}")
    finally:
        support.stop()
