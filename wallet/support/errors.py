"""Errors of the support desk. Each says what the user can do and has a stable code."""

from __future__ import annotations


class SupportError(Exception):
    code = "SUPPORT"


class ChannelNotConfigured(SupportError):
    code = "SUPPORT_CHANNEL_NOT_CONFIGURED"

    def __init__(self, channel: str, missing: str) -> None:
        super().__init__(
            f"The {channel} channel is not set up: '{missing}' is missing in the [support] "
            "settings. Choose another channel or add it to config.toml."
        )
        self.channel, self.missing = channel, missing


class ChannelUnavailable(SupportError):
    """A temporary failure (no network, server busy): the ticket stays queued and is retried."""

    code = "SUPPORT_CHANNEL_UNAVAILABLE"


class ChannelRejected(SupportError):
    """The server refused (bad credentials, invalid request): retrying will not help."""

    code = "SUPPORT_CHANNEL_REJECTED"


class TicketNotFound(SupportError):
    code = "SUPPORT_TICKET_NOT_FOUND"

    def __init__(self, reference: str) -> None:
        super().__init__(f"No ticket '{reference}'. `termwallet ticket list` shows yours.")
        self.reference = reference


class InvalidTicket(SupportError):
    code = "SUPPORT_INVALID_TICKET"
