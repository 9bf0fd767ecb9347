"""HTTP 429 handling shared by the history APIs: wait what the server asks (Retry-After, in
seconds or as an HTTP date) and try again, a bounded number of times and never longer than a
bound; beyond that the caller raises its own rate-limit error with the server's wait, so the
user reads how long to wait instead of a screen that hangs."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

RETRIES = 2  # after the first answer: three requests at most
MAX_WAIT = 20.0  # seconds; a longer wait is the user's to decide (the error says how long)

Sleep = Callable[[float], Awaitable[Any]]


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date), None if absent
    or unreadable."""
    if not value:
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


async def with_backoff(
    send: Callable[[], Awaitable[Any]],
    *,
    sleep: Sleep = asyncio.sleep,
    retries: int = RETRIES,
    max_wait: float = MAX_WAIT,
) -> Any:
    """send() again after a 429, as told by Retry-After (1 s, 2 s... when it says nothing).
    Returns the last response: still a 429 when the server kept refusing or asked for longer
    than max_wait."""
    response = await send()
    for attempt in range(retries):
        if response.status_code != 429:
            return response
        wait = retry_after(response.headers.get("Retry-After"))
        wait = float(2**attempt) if wait is None else wait
        if wait > max_wait:
            return response
        await sleep(wait)
        response = await send()
    return response
