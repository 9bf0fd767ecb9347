"""chains/aio.py gather_all: after a failure nothing is left running whose error nobody reads
(what printed 'unhandled exception during asyncio.run() shutdown' under `termwallet balance`)."""

from __future__ import annotations

import asyncio

import pytest

from chains.aio import gather_all


async def _fail(after: float, message: str) -> None:
    await asyncio.sleep(after)
    raise ConnectionError(message)


async def _ok(value: int) -> int:
    await asyncio.sleep(0)
    return value


def test_waits_for_every_failure_and_raises_the_first() -> None:
    reported: list[dict[str, object]] = []

    async def main() -> None:
        asyncio.get_running_loop().set_exception_handler(lambda _loop, ctx: reported.append(ctx))
        with pytest.raises(ConnectionError, match="tip"):
            await gather_all(_fail(0, "tip"), _fail(0.05, "histories"))
        # Nothing of the call is still running when it returns.
        assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []

    asyncio.run(main())
    assert reported == []


async def test_returns_the_results_in_order() -> None:
    assert await gather_all(_ok(1), _ok(2)) == [1, 2]
