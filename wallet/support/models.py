"""Value objects shared by the channels and the ticket store (no I/O, no network imports)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class Reply(BaseModel):
    """One public message on a ticket, as a channel reports it."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    remote_id: str
    author: str
    body: str
    created_at: datetime
    from_requester: bool
