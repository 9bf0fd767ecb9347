"""Errors of the chain layer. Each says what the user can do, and carries a stable code that
support tickets quote (codes never change meaning; add new ones instead)."""

from __future__ import annotations


class ChainError(Exception):
    code = "CHAIN"

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.details = details


class NodeUnreachable(ChainError):
    code = "NODE_UNREACHABLE"

    def __init__(self, url: str, reason: str = "") -> None:
        super().__init__(
            f"Cannot reach node {url}: {reason or 'no answer'}", url=url, reason=reason
        )
        self.url = url


class BadResponse(ChainError):
    code = "BAD_RESPONSE"


class AmountError(ChainError, ValueError):
    """Text that is not a valid amount for an asset."""

    code = "BAD_AMOUNT"


class InsufficientFunds(ChainError):
    code = "INSUFFICIENT_FUNDS"

    def __init__(self, need: int, have: int, symbol: str) -> None:
        super().__init__(
            f"Need {need} but have {have} ({symbol}, base units)", need=need, have=have
        )
        self.need, self.have, self.symbol = need, have, symbol
