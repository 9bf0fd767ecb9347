"""How a ticket leaves: one transport per support channel (the helpdesk's Requests API for
live and social tickets, SMTP for email). SupportDesk takes them injected, so tests and other
channels plug in here."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from wallet.support.channels import Channel
from wallet.support.config import SupportSettings
from wallet.support.models import Reply

if TYPE_CHECKING:
    from wallet.support.tickets import Ticket


class Transport(Protocol):
    async def create(self, ticket: Ticket, body: str) -> str:
        """Send a new ticket; returns the remote id (helpdesk request id, email Message-ID)."""
        ...

    async def follow_up(self, ticket: Ticket, body: str) -> None: ...

    async def replies(self, ticket: Ticket) -> list[Reply]:
        """Support's replies so far; [] for a channel whose replies arrive elsewhere."""
        ...


class HelpdeskTransport:
    """Live and social tickets: a request in the helpdesk (Zendesk Requests API)."""

    def __init__(self, settings: SupportSettings, http_transport: object | None = None) -> None:
        self._settings = settings
        self._http_transport = http_transport

    def _client(self):  # type: ignore[no-untyped-def]
        from wallet.support.helpdesk import HelpdeskClient

        return HelpdeskClient(self._settings, transport=self._http_transport)  # type: ignore[arg-type]

    async def create(self, ticket: Ticket, body: str) -> str:
        tags = ["termwallet", f"category_{ticket.category.value}", f"via_{ticket.channel.value}"]
        async with self._client() as c:
            req = await c.create_request(f"[{ticket.reference}] {ticket.subject}", body, tags)
        return str(req.id)

    async def follow_up(self, ticket: Ticket, body: str) -> None:
        async with self._client() as c:
            await c.add_comment(str(ticket.remote_id), body)

    async def replies(self, ticket: Ticket) -> list[Reply]:
        async with self._client() as c:
            return await c.comments(str(ticket.remote_id))


class EmailTransport:
    """Email tickets over SMTP. Replies arrive in the user's mailbox, not here."""

    def __init__(self, settings: SupportSettings) -> None:
        self._settings = settings

    async def create(self, ticket: Ticket, body: str) -> str:
        from wallet.support import smtp

        msg = smtp.build_message(
            self._settings,
            subject=ticket.subject,
            body=body,
            reference=ticket.reference,
            in_reply_to=None,
        )
        return await smtp.send(self._settings, msg)

    async def follow_up(self, ticket: Ticket, body: str) -> None:
        from wallet.support import smtp

        msg = smtp.build_message(
            self._settings,
            subject=f"Follow-up: {ticket.subject}",
            body=body,
            reference=ticket.reference,
            in_reply_to=ticket.remote_id,
        )
        await smtp.send(self._settings, msg)

    async def replies(self, ticket: Ticket) -> list[Reply]:
        return []


def default_transports(settings: SupportSettings) -> dict[Channel, Transport]:
    helpdesk = HelpdeskTransport(settings)
    return {
        Channel.LIVE: helpdesk,
        Channel.SOCIAL: helpdesk,
        Channel.EMAIL: EmailTransport(settings),
    }
