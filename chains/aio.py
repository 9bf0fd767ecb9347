"""asyncio helpers shared by the chain backends and the wallet."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any


async def gather_all(*aws: Awaitable[Any]) -> list[Any]:
    """Like asyncio.gather, but it waits for every awaitable before raising the first failure.

    A plain gather raises at the first failure and leaves the others running; when one of
    those failed too (every request to a server that cannot be reached does), nobody read its
    exception, and asyncio.run printed it with a traceback at exit ('unhandled exception during
    asyncio.run() shutdown') after the command's own clean message."""
    results = await asyncio.gather(*aws, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results
