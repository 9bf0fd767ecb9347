"""The offline queue: every message to support is written here first and sent from here, so a
ticket written without network (or while the helpdesk is down) goes out later by itself.

Temporary failures are retried with exponential backoff (30 s doubling, capped at one hour,
with jitter so many wallets do not retry in step); a refusal by the server stops retries.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from wallet.store import Store

BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)


def backoff(attempts: int, rand: Callable[[], float] = random.random) -> timedelta:
    """Delay before the next try after `attempts` failed ones: full base*2^(n-1), capped, plus
    up to 10% jitter."""
    base = min(BACKOFF_CAP, BACKOFF_BASE * (2 ** max(0, attempts - 1)))
    return base + base * (0.1 * rand())


@dataclass(frozen=True, slots=True)
class OutboxItem:
    id: int
    ticket_id: int
    action: str  # 'create' | 'follow_up'
    body: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    state: str


def _row(r: object) -> OutboxItem:
    row = dict(r)  # type: ignore[call-overload]
    return OutboxItem(
        id=row["id"],
        ticket_id=row["ticket_id"],
        action=row["action"],
        body=row["body"],
        attempts=row["attempts"],
        next_attempt_at=datetime.fromisoformat(row["next_attempt_at"]),
        last_error=row["last_error"],
        state=row["state"],
    )


class Outbox:
    def __init__(self, store: Store, rand: Callable[[], float] = random.random) -> None:
        self._db = store.db
        self._rand = rand

    def enqueue(self, ticket_id: int, action: str, body: str, now: datetime) -> int:
        cur = self._db.execute(
            "INSERT INTO support_outbox(ticket_id, action, body, next_attempt_at) "
            "VALUES (?, ?, ?, ?)",
            (ticket_id, action, body, now.isoformat()),
        )
        return int(cur.lastrowid or 0)

    def due(self, now: datetime) -> list[OutboxItem]:
        # ISO strings of UTC datetimes sort as time; the fetched rows are compared in Python
        # too, so a row written with another offset is still handled right.
        rows = self._db.execute(
            "SELECT * FROM support_outbox WHERE state = 'pending' ORDER BY id"
        ).fetchall()
        return [i for i in map(_row, rows) if i.next_attempt_at <= now]

    def pending(self, ticket_id: int | None = None) -> list[OutboxItem]:
        sql = "SELECT * FROM support_outbox WHERE state = 'pending'"
        args: tuple[int, ...] = ()
        if ticket_id is not None:
            sql += " AND ticket_id = ?"
            args = (ticket_id,)
        return [_row(r) for r in self._db.execute(sql + " ORDER BY id", args).fetchall()]

    def done(self, item_id: int) -> None:
        self._db.execute("UPDATE support_outbox SET state = 'done' WHERE id = ?", (item_id,))

    def retry_later(self, item: OutboxItem, error: str, now: datetime) -> datetime:
        attempts = item.attempts + 1
        when = now + backoff(attempts, self._rand)
        self._db.execute(
            "UPDATE support_outbox SET attempts = ?, next_attempt_at = ?, last_error = ? "
            "WHERE id = ?",
            (attempts, when.isoformat(), error, item.id),
        )
        return when

    def give_up(self, item: OutboxItem, error: str) -> None:
        self._db.execute(
            "UPDATE support_outbox SET state = 'failed', attempts = attempts + 1, last_error = ? "
            "WHERE id = ?",
            (error, item.id),
        )
