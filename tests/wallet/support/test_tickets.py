"""End to end over real parts: SQLite on disk, a local Zendesk-shaped helpdesk, aiosmtpd."""

from __future__ import annotations

import logging
import socket
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr

from tests.wallet.support.conftest import (
    HELPDESK_EMAIL,
    HELPDESK_TOKEN,
    SMTP_PASSWORD,
    SMTP_USER,
)
from wallet.paths import Paths
from wallet.store import Store
from wallet.support.channels import Channel
from wallet.support.config import SupportSettings
from wallet.support.diagnostics import gather
from wallet.support.scrubber import SecretRefused
from wallet.support.tickets import Category, Status, SupportDesk, TicketDraft

TX = "ab" * 32


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)  # a Monday

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def store(termwallet_home):
    s = Store(Paths.under(termwallet_home).database)
    yield s
    s.close()


def diag():
    return gather(
        app_version="0.1.0", log_lines=["started"], environ={"TERM": "xterm"}, os_name="Linux"
    )


def draft(channel=Channel.LIVE, **kw):
    base = dict(
        category=Category.ABNORMAL_TRANSACTION,
        subject="Transfer not arrived",
        description="I sent ETH two hours ago and it is still pending.",
        transactions=(TX,),
        channel=channel,
    )
    base.update(kw)
    return TicketDraft(**base)


def helpdesk_settings(url: str, token: str = HELPDESK_TOKEN) -> SupportSettings:
    return SupportSettings(
        helpdesk_url=url, helpdesk_email=HELPDESK_EMAIL, helpdesk_token=SecretStr(token)
    )


async def test_live_ticket_roundtrip(store, helpdesk, caplog):
    caplog.set_level(logging.DEBUG)
    clock = Clock()
    desk = SupportDesk(store, helpdesk_settings(helpdesk.url), clock=clock)
    prepared = desk.prepare(draft(), diag(), known_tx_hashes=[TX])
    assert "I sent ETH" in prepared.body and "-- Diagnostics --" in prepared.body
    ticket = desk.submit(prepared)
    assert ticket.status is Status.QUEUED
    assert ticket.reply_due_at == clock.now + timedelta(minutes=15)

    report = await desk.deliver()
    assert report.sent == (ticket.reference,)
    sent = desk.get(ticket.reference)
    assert sent.status is Status.SENT and sent.remote_id is not None
    remote = helpdesk.requests[int(sent.remote_id)]
    assert remote["subject"] == f"[{ticket.reference}] Transfer not arrived"
    assert TX in remote["comment"]["body"] and "termwallet" in remote["tags"]

    # No reply yet: the user's own first comment is not an answer.
    assert (await desk.refresh(ticket.reference)).status is Status.SENT
    clock.now += timedelta(minutes=16)
    assert desk.get(ticket.reference).overdue(clock.now)

    desk.follow_up(ticket.reference, "Any news?")
    assert (await desk.deliver()).sent == (ticket.reference,)
    assert helpdesk.comments[int(sent.remote_id)][-1]["body"].endswith("Any news?")
    assert desk.get(ticket.reference).followed_up_at == clock.now

    helpdesk.agent_reply(int(sent.remote_id), "Your transaction confirmed in block 123.")
    answered = await desk.refresh(ticket.reference)
    assert answered.status is Status.ANSWERED and not answered.overdue(clock.now)
    agent = [r for r in answered.replies if not r.from_requester]
    assert [r.body for r in agent] == ["Your transaction confirmed in block 123."]
    assert agent[0].author == "Ada (termwallet support)"
    # Refreshing again does not duplicate replies.
    assert len((await desk.refresh(ticket.reference)).replies) == len(answered.replies)
    assert HELPDESK_TOKEN not in caplog.text


async def test_offline_queue_retries_with_backoff(store, helpdesk):
    clock = Clock()
    desk = SupportDesk(store, helpdesk_settings(helpdesk.url), clock=clock)
    ticket = desk.submit(desk.prepare(draft(), diag()))
    helpdesk.fail_next = 1
    report = await desk.deliver()
    assert report.retry == (ticket.reference,)
    queued = desk.get(ticket.reference)
    assert queued.status is Status.QUEUED and "SUPPORT_CHANNEL_UNAVAILABLE" in (
        queued.last_error or ""
    )
    item = desk.outbox.pending()[0]
    assert item.attempts == 1 and clock.now + timedelta(seconds=30) <= item.next_attempt_at
    # Not due yet: nothing is sent.
    assert await desk.deliver() == type(report)()
    clock.now = item.next_attempt_at
    assert (await desk.deliver()).sent == (ticket.reference,)
    assert desk.get(ticket.reference).status is Status.SENT and desk.outbox.pending() == []


async def test_unreachable_helpdesk_keeps_ticket_queued(store):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    desk = SupportDesk(store, helpdesk_settings(f"http://127.0.0.1:{port}"), clock=Clock())
    ticket = desk.submit(desk.prepare(draft(), diag()))
    assert (await desk.deliver()).retry == (ticket.reference,)
    assert desk.get(ticket.reference).status is Status.QUEUED


async def test_wrong_token_fails_without_retry(store, helpdesk):
    desk = SupportDesk(store, helpdesk_settings(helpdesk.url, token="wrong"), clock=Clock())
    ticket = desk.submit(desk.prepare(draft(), diag()))
    assert (await desk.deliver()).failed == (ticket.reference,)
    failed = desk.get(ticket.reference)
    assert failed.status is Status.FAILED and "SUPPORT_CHANNEL_REJECTED" in (
        failed.last_error or ""
    )
    assert helpdesk.unauthorised == 1 and desk.outbox.pending() == []
    assert "wrong" not in (failed.last_error or "")


def smtp_settings(server, password: str = SMTP_PASSWORD) -> SupportSettings:
    return SupportSettings(
        smtp_host=server.host,
        smtp_port=server.port,
        smtp_user=SMTP_USER,
        smtp_password=SecretStr(password),
        smtp_ca_file=str(server.cafile),
        support_email="help@termwallet.example",
        from_email="me@example.org",
        smtp_timeout_seconds=3,  # aiosmtpd goes quiet after a refused AUTH mechanism
    )


async def test_email_ticket_over_starttls_and_auth(store, smtp_server):
    clock = Clock()
    desk = SupportDesk(store, smtp_settings(smtp_server), clock=clock)
    ticket = desk.submit(desk.prepare(draft(Channel.EMAIL, category=Category.FEES), diag()))
    assert ticket.reply_due_at == datetime(2025, 6, 4, 9, 0, tzinfo=UTC)  # 2 business days
    assert (await desk.deliver()).sent == (ticket.reference,)
    assert smtp_server.logins == [SMTP_USER]
    [env] = smtp_server.messages
    assert env.rcpt_tos == ["help@termwallet.example"]
    content = env.content.decode()
    assert f"[{ticket.reference}] Transfer not arrived" in content and TX in content
    sent = desk.get(ticket.reference)
    desk.follow_up(ticket.reference, "Still waiting.")
    await desk.deliver()
    assert f"In-Reply-To: {sent.remote_id}" in smtp_server.messages[1].content.decode()
    dump = "\n".join(str(tuple(r)) for r in store.db.execute("SELECT * FROM support_tickets"))
    assert SMTP_PASSWORD not in dump


async def test_email_wrong_password_is_refused(store, smtp_server):
    desk = SupportDesk(store, smtp_settings(smtp_server, password="nope"), clock=Clock())
    ticket = desk.submit(desk.prepare(draft(Channel.EMAIL), diag()))
    report = await desk.deliver()
    assert report.failed == (ticket.reference,), desk.get(ticket.reference).last_error
    assert smtp_server.messages == []


async def test_email_untrusted_certificate_is_refused(store, smtp_server):
    s = smtp_settings(smtp_server).model_copy(update={"smtp_ca_file": None})
    desk = SupportDesk(store, s, clock=Clock())
    ticket = desk.submit(desk.prepare(draft(Channel.EMAIL), diag()))
    assert (await desk.deliver()).failed == (ticket.reference,)
    assert smtp_server.logins == []


def test_secret_in_ticket_is_refused_and_nothing_stored(store):
    desk = SupportDesk(store, SupportSettings(), transports={}, clock=Clock())
    canary = "legal winner thank year wave sausage worth useful legal winner thank yellow"
    with pytest.raises(SecretRefused):
        desk.prepare(draft(description=f"my words are {canary}"), diag())
    # A transaction that is not in the user's history is refused when the history is known.
    with pytest.raises(SecretRefused):
        desk.prepare(draft(), diag(), known_tx_hashes=["cd" * 32])
    # A known hash may be quoted in the description.
    desk.prepare(
        draft(description=f"also see {'ef' * 32}"), diag(), known_tx_hashes=[TX, "ef" * 32]
    )
    assert desk.list() == []


def test_follow_up_is_scrubbed(store):
    desk = SupportDesk(store, SupportSettings(), transports={}, clock=Clock())
    t = desk.submit(desk.prepare(draft(), diag()))
    with pytest.raises(SecretRefused):
        desk.follow_up(t.reference, "here is my key " + "12" * 32)
    assert desk.outbox.pending(t.id)[0].action == "create"


def test_seeded_references_repeat_and_the_desk_takes_them(store):
    """The snapshots inject a seeded reference generator and a fixed clock through the desk
    (wallet/support/tickets.py desk_for): the same seed gives the same references, each a
    well-formed one; without them a reference is random."""
    from wallet.support.tickets import new_reference, seeded_references

    first, again = seeded_references(17), seeded_references(17)
    refs = [first() for _ in range(3)]
    assert refs == [again() for _ in range(3)] and len(set(refs)) == 3
    when = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)
    desk = SupportDesk(
        store, helpdesk_settings("http://127.0.0.1:9"), clock=lambda: when,
        references=seeded_references(17),
    )  # fmt: skip
    ticket = desk.submit(desk.prepare(draft(), diag(), known_tx_hashes=[TX]))
    assert ticket.reference == refs[0] and ticket.submitted_at == when
    assert new_reference() != new_reference()  # 1 in 16.7 million to be the same
    assert all(r.startswith("TW-") and len(r) == 9 for r in (*refs, new_reference()))
