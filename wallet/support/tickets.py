"""Tickets: the SQLite repository and the use-cases (prepare, submit, deliver, refresh, follow up).

Flow: a draft plus the diagnostics bundle -> `prepare` scrubs every field (SecretRefused when
something must not leave) and flags unofficial links -> the user sees exactly the text that
will be sent -> `submit` stores the ticket with its channel, submitted-at and reply-due time and
puts it in the outbox -> `deliver` sends what is due over the channel's transport, now or later.
The outbox scrubs the body once more right before it leaves.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from said import Said
from wallet.store import Store
from wallet.support.channels import Channel, reply_due
from wallet.support.config import SupportSettings
from wallet.support.diagnostics import Diagnostics
from wallet.support.errors import (
    ChannelRejected,
    ChannelUnavailable,
    InvalidTicket,
    SupportError,
    TicketNotFound,
)
from wallet.support.models import Reply
from wallet.support.outbox import Outbox
from wallet.support.phishing import LinkFlag, find_unofficial
from wallet.support.scrub_detect import normalize_tx_hash
from wallet.support.scrub_findings import Finding, FindingKind, SecretRefused
from wallet.support.scrubber import scan_fields
from wallet.support.transports import Transport, default_transports


class Category(StrEnum):
    LOCKED_OUT = "locked_out"
    ABNORMAL_TRANSACTION = "abnormal_transaction"
    COMPROMISED = "compromised"
    FEES = "fees"
    SWAP = "swap"
    DEVICE = "device"
    OTHER = "other"


class Status(StrEnum):
    QUEUED = "queued"  # stored, waiting in the outbox
    SENT = "sent"  # the channel accepted it
    ANSWERED = "answered"  # support replied
    FAILED = "failed"  # the channel refused it; see last_error
    CLOSED = "closed"


_TX_HASH = re.compile(r"^(?:0x)?[0-9a-fA-F]{64}$")


class TicketDraft(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    category: Category
    subject: str = Field(min_length=1, max_length=150)
    description: str = Field(min_length=1, max_length=8000)
    transactions: tuple[str, ...] = ()
    channel: Channel
    contact: str | None = Field(default=None, max_length=200)  # email or handle to reply to

    @field_validator("transactions")
    @classmethod
    def _hashes(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for h in v:
            if not _TX_HASH.match(h.strip()):
                raise ValueError("each transaction must be a 64-hex transaction hash")
        return tuple(h.strip() for h in v)


@dataclass(frozen=True, slots=True)
class PreparedTicket:
    draft: TicketDraft
    diagnostics: Diagnostics
    body: str  # exactly what is sent
    link_flags: tuple[LinkFlag, ...]
    reply_due_at: datetime


@dataclass(frozen=True, slots=True)
class StoredReply:
    remote_id: str
    author: str
    body: str
    created_at: datetime
    from_requester: bool


@dataclass(frozen=True, slots=True)
class Ticket:
    id: int
    reference: str
    category: Category
    subject: str
    description: str
    transactions: tuple[str, ...]
    diagnostics: str
    channel: Channel
    contact: str | None
    status: Status
    submitted_at: datetime
    reply_due_at: datetime
    sent_at: datetime | None
    remote_id: str | None
    last_error: str | None
    followed_up_at: datetime | None
    replies: tuple[StoredReply, ...] = field(default=())

    def overdue(self, now: datetime) -> bool:
        """Past the promised reply time with no reply: the screen offers a follow-up."""
        return self.status in (Status.QUEUED, Status.SENT) and now > self.reply_due_at


def utcnow() -> datetime:
    return datetime.now(UTC)


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


class TicketRepository:
    def __init__(self, store: Store) -> None:
        self._db = store.db

    def insert(self, prepared: PreparedTicket, reference: str, submitted_at: datetime) -> int:
        d = prepared.draft
        cur = self._db.execute(
            "INSERT INTO support_tickets(reference, category, subject, description, transactions,"
            " diagnostics, channel, contact, status, submitted_at, reply_due_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                reference,
                d.category.value,
                d.subject,
                d.description,
                json.dumps(list(d.transactions)),
                prepared.diagnostics.render(),
                d.channel.value,
                d.contact,
                Status.QUEUED.value,
                submitted_at.isoformat(),
                prepared.reply_due_at.isoformat(),
            ),
        )
        return int(cur.lastrowid or 0)

    def _ticket(self, row: Mapping[str, object]) -> Ticket:
        replies = tuple(
            StoredReply(
                remote_id=r["remote_id"],
                author=r["author"],
                body=r["body"],
                created_at=datetime.fromisoformat(r["created_at"]),
                from_requester=bool(r["from_requester"]),
            )
            for r in self._db.execute(
                "SELECT * FROM support_replies WHERE ticket_id = ? ORDER BY created_at, id",
                (row["id"],),
            ).fetchall()
        )
        return Ticket(
            id=int(row["id"]),  # type: ignore[call-overload]
            reference=str(row["reference"]),
            category=Category(str(row["category"])),
            subject=str(row["subject"]),
            description=str(row["description"]),
            transactions=tuple(json.loads(str(row["transactions"]))),
            diagnostics=str(row["diagnostics"]),
            channel=Channel(str(row["channel"])),
            contact=row["contact"],  # type: ignore[arg-type]
            status=Status(str(row["status"])),
            submitted_at=datetime.fromisoformat(str(row["submitted_at"])),
            reply_due_at=datetime.fromisoformat(str(row["reply_due_at"])),
            sent_at=_dt(row["sent_at"]),  # type: ignore[arg-type]
            remote_id=row["remote_id"],  # type: ignore[arg-type]
            last_error=row["last_error"],  # type: ignore[arg-type]
            followed_up_at=_dt(row["followed_up_at"]),  # type: ignore[arg-type]
            replies=replies,
        )

    def by_id(self, ticket_id: int) -> Ticket:
        row = self._db.execute(
            "SELECT * FROM support_tickets WHERE id = ?", (ticket_id,)
        ).fetchone()
        if row is None:
            raise TicketNotFound(str(ticket_id))
        return self._ticket(row)

    def by_reference(self, reference: str) -> Ticket:
        row = self._db.execute(
            "SELECT * FROM support_tickets WHERE reference = ? COLLATE NOCASE", (reference,)
        ).fetchone()
        if row is None:
            raise TicketNotFound(reference)
        return self._ticket(row)

    def all(self) -> list[Ticket]:
        rows = self._db.execute(
            "SELECT * FROM support_tickets ORDER BY submitted_at DESC, id DESC"
        ).fetchall()
        return [self._ticket(r) for r in rows]

    def set_status(self, ticket_id: int, status: Status, **columns: object) -> None:
        allowed = {"sent_at", "remote_id", "last_error", "followed_up_at"}
        if not set(columns) <= allowed:
            raise ValueError(f"unknown columns {set(columns) - allowed}")
        sets = ["status = ?"] + [f"{c} = ?" for c in columns]
        values = [status.value] + [
            v.isoformat() if isinstance(v, datetime) else v for v in columns.values()
        ]
        self._db.execute(
            f"UPDATE support_tickets SET {', '.join(sets)} WHERE id = ?",  # noqa: S608 (names are whitelisted)
            (*values, ticket_id),
        )

    def add_replies(self, ticket_id: int, replies: Iterable[Reply]) -> int:
        added = 0
        for r in replies:
            cur = self._db.execute(
                "INSERT OR IGNORE INTO support_replies(ticket_id, remote_id, author, body,"
                " created_at, from_requester) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    ticket_id,
                    r.remote_id,
                    r.author,
                    r.body,
                    r.created_at.isoformat(),
                    int(r.from_requester),
                ),
            )
            added += cur.rowcount
        return added


def _vetted(ticket: Ticket) -> set[str]:
    """Hashes `prepare` already allowed for this ticket: its transactions and those quoted in
    its stored description (which passed the scrubber against the user's history)."""
    quoted = re.findall(
        r"(?<![0-9A-Za-z])(?:0[xX])?([0-9a-fA-F]{64})(?![0-9A-Za-z])", ticket.description
    )
    return {normalize_tx_hash(h) for h in (*ticket.transactions, *quoted)}


def render_body(reference: str, draft: TicketDraft, diagnostics: Diagnostics) -> str:
    parts = [
        f"Ticket {reference}",
        f"Category: {draft.category.value}",
        f"Channel: {draft.channel.value}",
    ]
    if draft.contact:
        parts.append(f"Reply to: {draft.contact}")
    parts += ["", draft.description, ""]
    if draft.transactions:
        parts.append("Transactions:")
        parts += [f"  {h}" for h in draft.transactions]
        parts.append("")
    parts += ["-- Diagnostics --", diagnostics.render()]
    return "\n".join(parts)


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    sent: tuple[str, ...] = ()  # references
    retry: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()


def new_reference() -> str:
    """A ticket's reference: random, so it says nothing about the wallet or its other tickets."""
    return "TW-" + secrets.token_hex(3).upper()


def seeded_references(seed: int) -> Callable[[], str]:
    """Repeatable references for pictures and tests (the snapshots, `termwallet screenshots`):
    random.Random on purpose, never for a real wallet's tickets."""
    import random

    rng = random.Random(seed)  # noqa: S311 - repeatable on purpose, see above
    return lambda: f"TW-{rng.getrandbits(24):06X}"


class SupportDesk:
    """The support use-cases. Transports are injected per channel; `default_transports` builds
    the real ones from settings."""

    def __init__(
        self,
        store: Store,
        settings: SupportSettings,
        transports: Mapping[Channel, Transport] | None = None,
        *,
        clock: Callable[[], datetime] = utcnow,
        references: Callable[[], str] = new_reference,
    ) -> None:
        self.settings = settings
        self._references = references
        self.repo = TicketRepository(store)
        self.outbox = Outbox(store)
        self._transports = dict(transports) if transports is not None else None
        self._clock = clock

    def _transport(self, channel: Channel) -> Transport:
        if self._transports is None:
            self._transports = default_transports(self.settings)
        return self._transports[channel]

    # -- prepare / submit -------------------------------------------------------------------

    def prepare(
        self,
        draft: TicketDraft,
        diagnostics: Diagnostics,
        *,
        known_tx_hashes: Iterable[str] | None = None,
        own_addresses: Iterable[str] = (),
    ) -> PreparedTicket:
        """Scrub and render. Raises SecretRefused listing every finding (never the secret).

        `known_tx_hashes`: the user's history, when the caller has it. Then each chosen
        transaction must be one of them, and a 64-hex string elsewhere is allowed only if it is.
        `own_addresses`: the wallet's addresses; a string that derives one is surely a key.
        """
        chosen = {normalize_tx_hash(h) for h in draft.transactions}
        known = (
            chosen if known_tx_hashes is None else {normalize_tx_hash(h) for h in known_tx_hashes}
        )
        fields = {
            "subject": draft.subject,
            "description": draft.description,
            "contact": draft.contact or "",
            "transactions": "\n".join(draft.transactions),
            "diagnostics": diagnostics.render(),
        }
        findings = scan_fields(
            fields, known_tx_hashes=known | chosen, own_addresses=tuple(own_addresses)
        )
        for i, h in enumerate(draft.transactions):
            if normalize_tx_hash(h) not in known:
                findings.append(Finding(FindingKind.HEX_KEY, "transactions", i, i + 1))
        if findings:
            raise SecretRefused(findings)
        flags: list[LinkFlag] = []
        for name in ("subject", "description"):
            flags += find_unofficial(fields[name], self.settings, field=name)
        now = self._clock()
        return PreparedTicket(
            draft=draft,
            diagnostics=diagnostics,
            body=render_body("(new)", draft, diagnostics),
            link_flags=tuple(flags),
            reply_due_at=reply_due(draft.channel, now, self.settings),
        )

    def refuse_secrets(
        self,
        fields: Mapping[str, str],
        *,
        known_tx_hashes: Iterable[str] = (),
        own_addresses: Iterable[str] = (),
    ) -> None:
        """The scrubber alone, on text as typed: raises SecretRefused. Forms run it before any
        other check, so a pasted secret is flagged first; `prepare` checks again in full."""
        findings = scan_fields(
            fields, known_tx_hashes=known_tx_hashes, own_addresses=tuple(own_addresses)
        )
        if findings:
            raise SecretRefused(findings)

    def submit(self, prepared: PreparedTicket) -> Ticket:
        """Store the ticket and queue it. Call `deliver` to send (now, or when back online)."""
        now = self._clock()
        reference = self._references()
        due = reply_due(prepared.draft.channel, now, self.settings)
        prepared = PreparedTicket(
            prepared.draft, prepared.diagnostics, prepared.body, prepared.link_flags, due
        )
        db = self.repo._db
        db.execute("BEGIN IMMEDIATE")
        try:
            ticket_id = self.repo.insert(prepared, reference, now)
            body = render_body(reference, prepared.draft, prepared.diagnostics)
            self.outbox.enqueue(ticket_id, "create", body, now)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return self.repo.by_id(ticket_id)

    # -- delivery ---------------------------------------------------------------------------

    async def deliver(self, *, only_ticket: int | None = None) -> DeliveryReport:
        """Send everything due in the outbox. Temporary failures wait with backoff; refusals
        mark the ticket failed with the reason."""
        now = self._clock()
        sent: list[str] = []
        retry: list[str] = []
        failed: list[str] = []
        for item in self.outbox.due(now):
            if only_ticket is not None and item.ticket_id != only_ticket:
                continue
            ticket = self.repo.by_id(item.ticket_id)
            try:
                # The last guard: nothing leaves that the scrubber would refuse.
                leftover = scan_fields({"body": item.body}, known_tx_hashes=_vetted(ticket))
                if leftover:
                    raise SecretRefused(leftover)
                transport = self._transport(ticket.channel)
                if item.action == "create":
                    remote_id = await transport.create(ticket, item.body)
                    self.repo.set_status(
                        ticket.id,
                        Status.SENT,
                        sent_at=self._clock(),
                        remote_id=remote_id,
                        last_error=None,
                    )
                else:
                    if ticket.remote_id is None:
                        # The ticket itself has not gone out yet: keep the follow-up behind it.
                        raise ChannelUnavailable(
                            Said(
                                "support.tickets.ticket_has_not_been",
                                "the ticket has not been sent yet",
                            )
                        )
                    await transport.follow_up(ticket, item.body)
                    self.repo.set_status(ticket.id, ticket.status, followed_up_at=self._clock())
                self.outbox.done(item.id)
                sent.append(ticket.reference)
            except ChannelUnavailable as exc:
                self.outbox.retry_later(item, f"{exc.code}: {exc}", now)
                if item.action == "create":
                    self.repo.set_status(ticket.id, Status.QUEUED, last_error=f"{exc.code}: {exc}")
                retry.append(ticket.reference)
            except (ChannelRejected, SupportError, SecretRefused) as exc:
                code = getattr(exc, "code", "SUPPORT")
                self.outbox.give_up(item, f"{code}: {exc}")
                if item.action == "create":
                    self.repo.set_status(ticket.id, Status.FAILED, last_error=f"{code}: {exc}")
                failed.append(ticket.reference)
        return DeliveryReport(tuple(sent), tuple(retry), tuple(failed))

    async def refresh(self, reference: str) -> Ticket:
        """Fetch support's replies for one ticket and store the new ones."""
        ticket = self.repo.by_reference(reference)
        if ticket.remote_id is None:
            return ticket
        replies = await self._transport(ticket.channel).replies(ticket)
        self.repo.add_replies(ticket.id, replies)
        if ticket.status is Status.SENT and any(not r.from_requester for r in replies):
            self.repo.set_status(ticket.id, Status.ANSWERED)
        return self.repo.by_id(ticket.id)

    def follow_up(self, reference: str, text: str) -> Ticket:
        """Queue a follow-up on a ticket (scrubbed like the ticket itself)."""
        ticket = self.repo.by_reference(reference)
        body = text.strip()
        # The secret check first: a pasted phrase is flagged whatever else is wrong.
        findings = scan_fields({"follow_up": body}, known_tx_hashes=_vetted(ticket))
        if findings:
            raise SecretRefused(findings)
        if ticket.status in (Status.FAILED, Status.CLOSED):
            raise InvalidTicket(
                Said(
                    "support.tickets.ticket_write_new_ticket",
                    "Ticket {reference} is {status}: write a new ticket instead.",
                    reference=reference,
                    status=ticket.status.value,
                )
            )
        if not body:
            raise InvalidTicket(
                Said("support.tickets.follow_up_needs_some", "A follow-up needs some text.")
            )
        self.outbox.enqueue(ticket.id, "follow_up", f"[{reference}] {body}", self._clock())
        return ticket

    # -- reading ----------------------------------------------------------------------------

    def list(self) -> list[Ticket]:
        return self.repo.all()

    def get(self, reference: str) -> Ticket:
        return self.repo.by_reference(reference)

    def now(self) -> datetime:
        return self._clock()


def desk_for(session: Any, settings: SupportSettings) -> SupportDesk:
    """The desk of an open session. A demo session may bring its own clock and references
    (wallet/demo.py DemoSession: fixed ones make the snapshots repeatable); others use the
    real clock and random references."""
    return SupportDesk(
        session.store,
        settings,
        clock=getattr(session, "support_clock", None) or utcnow,
        references=getattr(session, "ticket_references", None) or new_reference,
    )
