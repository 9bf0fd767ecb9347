"""The Blockscout client against a LOCAL HTTP FIXTURE on 127.0.0.1 serving the shapes of
Blockscout's REST API v2 (the instance's /api-docs; `items` newest first, `next_page_params`
keyset paging, 404 for an unknown address, HTTP 429 with Retry-After). It is a fixture, not
Blockscout: no network is used. What it proves: paging follows next_page_params and stops at
the start block, both field spellings of past releases are read, transfers and approvals
become events, rate limits are waited out or reported with the wait, bad records are typed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from chains.blockscout import INSTANCES, BlockscoutClient
from chains.errors import BadResponse
from chains.etherscan import ExplorerRateLimited
from chains.networks import NETWORKS
from tests.fixtures.json_http import JsonHandler, serving

ME = "0x9858effd232b4033e47d90003d41ec34ecaeda94"
BOB = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8"
TOKEN = "0xdac17f958d2ee523a2206206994597c13d831ec7"
SPENDER = "0x000000000022d473030f116ddee9f6b43ac78ba3"
PAGE = 50  # Blockscout's default page size


def who(address: str) -> dict[str, Any]:
    return {"hash": address, "is_contract": False, "name": None, "public_tags": []}


def tx(n: int, **kw: Any) -> dict[str, Any]:
    base = {
        "hash": f"0x{n:064x}", "block_number": 100 + n, "timestamp": "2026-11-03T17:41:00.000000Z",
        "from": who(ME), "to": who(BOB), "value": str(10**18), "fee": {"type": "actual",
        "value": str(21_000 * 10**9)}, "gas_used": "21000", "gas_price": "1000000000",
        "gas_limit": "21000", "status": "ok", "result": "success", "nonce": n, "position": 0,
        "raw_input": "0x", "method": None, "type": 2, "confirmations": 5,
    }  # fmt: skip
    base.update(kw)
    return base


def transfer(n: int, **kw: Any) -> dict[str, Any]:
    base = {
        "transaction_hash": f"0x{n:064x}", "block_number": 100 + n, "log_index": 3,
        "timestamp": "2026-11-03T17:42:00.000000Z", "from": who(BOB), "to": who(ME),
        "total": {"decimals": "6", "value": "2500000"}, "type": "token_transfer",
        "token": {"address_hash": TOKEN, "symbol": "USDT", "decimals": "6", "type": "ERC-20"},
        "method": "transfer", "block_hash": "0x" + "00" * 32,
    }  # fmt: skip
    base.update(kw)
    return base


class Fixture:
    def __init__(self) -> None:
        self.txs: list[dict[str, Any]] = []  # oldest first here; served newest first
        self.transfers: list[dict[str, Any]] = []
        self.internals: list[dict[str, Any]] = []
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.limited = 0  # answer this many requests with 429
        self.retry_after: str | None = None
        self.unknown = False  # 404: an address the instance never saw

    def page(self, rows: list[dict[str, Any]], q: dict[str, str]) -> dict[str, Any]:
        def key(r: dict[str, Any]) -> tuple[int, int]:  # pending (no block) first
            block = r["block_number"]
            return (10**12 if block is None else block, r.get("log_index", 0))

        newest = sorted(rows, key=key)[::-1]
        if "block_number" in q:  # the cursor: strictly older than the last item sent
            cursor = (int(q["block_number"]), int(q["index"]))
            newest = [r for r in newest if key(r) < cursor]
        items = newest[:PAGE]
        more = len(newest) > PAGE
        last = items[-1] if items else None
        nxt = (
            {"block_number": last["block_number"], "index": last.get("log_index", 0),
             "items_count": PAGE}
            if more and last else None
        )  # fmt: skip
        return {"items": items, "next_page_params": nxt}


@pytest.fixture
def api() -> Iterator[tuple[Fixture, str]]:
    fx = Fixture()

    class Handler(JsonHandler):
        def do_GET(self) -> None:
            path, q = self.path_and_query()
            fx.requests.append((path, q))
            if fx.limited > 0:
                fx.limited -= 1
                self._send(429, {"message": "Too Many Requests"})
                return
            if fx.unknown:
                self._send(404, {"message": "Not found"})
                return
            if path == f"/api/v2/addresses/{ME}/transactions":
                self._send(200, fx.page(fx.txs, q))
            elif path == f"/api/v2/addresses/{ME}/token-transfers":
                assert q.get("type") == "ERC-20"
                self._send(200, fx.page(fx.transfers, q))
            elif path == f"/api/v2/addresses/{ME}/internal-transactions":
                self._send(200, fx.page(fx.internals, q))
            else:
                self._send(404, {"message": "Not found"})

        def _send(self, status: int, body: Any) -> None:
            self.send_json(status, json.dumps(body), fx.retry_after if status == 429 else None)

    with serving(Handler) as url:
        yield fx, url


class Waits(list[float]):
    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


async def test_history_reads_transactions_transfers_and_approvals(
    api: tuple[Fixture, str],
) -> None:
    fx, url = api
    approve = "0x095ea7b3" + SPENDER[2:].rjust(64, "0") + "f" * 64
    fx.txs = [
        tx(1),
        tx(2, status="error", result="Reverted", value="0", to=who(TOKEN),
           raw_input="0xa9059cbb" + "00" * 64),
        tx(3, to=who(TOKEN), value="0", raw_input=approve),
        tx(9, block_number=None, status=None, result="pending"),  # pending: not history yet
    ]  # fmt: skip
    # An older release's spelling: tx_hash and token.address.
    fx.transfers = [
        transfer(4),
        transfer(5, **{"from": who(ME), "to": who(BOB), "log_index": 7, "transaction_hash": None,
                       "tx_hash": f"0x{5:064x}", "token": {"address": TOKEN}}),
    ]  # fmt: skip
    client = BlockscoutClient(url, sleep=Waits())
    try:
        txs, last = await client.history(ME, 0)
    finally:
        await client.aclose()
    assert last == 105
    by = {t.hash: t for t in txs}
    assert set(by) == {f"0x{n:064x}" for n in (1, 2, 3, 4, 5)}
    t1 = by[f"0x{1:064x}"]
    assert (t1.sender, t1.to, t1.value, t1.success, t1.fee, t1.block) == (
        ME, BOB, 10**18, True, 21_000 * 10**9, 101,
    )  # fmt: skip
    assert t1.timestamp == 1793727660  # 2026-11-03T17:41:00Z
    t2 = by[f"0x{2:064x}"]
    assert t2.success is False and t2.selector == "0xa9059cbb" and not t2.events
    (appr,) = by[f"0x{3:064x}"].events
    assert (appr.kind, appr.contract, appr.src, appr.dst, appr.value) == (
        "approval", TOKEN, ME, SPENDER, 2**256 - 1,
    )  # fmt: skip
    t4 = by[f"0x{4:064x}"]
    assert t4.sender == "" and t4.fee is None  # someone else's transaction: not our fee
    (ev,) = t4.events
    assert (ev.kind, ev.contract, ev.src, ev.dst, ev.value) == (
        "transfer",
        TOKEN,
        BOB,
        ME,
        2_500_000,
    )
    (out,) = by[f"0x{5:064x}"].events
    assert (out.src, out.dst, out.log_index) == (ME, BOB, 7)


async def test_paging_follows_the_cursor_and_stops_at_the_start_block(
    api: tuple[Fixture, str],
) -> None:
    fx, url = api
    fx.txs = [tx(n) for n in range(1, 131)]  # three pages of 50
    client = BlockscoutClient(url, sleep=Waits())
    try:
        txs, last = await client.history(ME, 0)
        asked = [q for p, q in fx.requests if p.endswith("/transactions")]
        assert len(txs) == 130 and last == 230 and len(asked) == 3
        assert asked[1] == {"block_number": "181", "index": "0", "items_count": "50"}
        # From block 200 on: the newest 31 only, and the first page is enough.
        fx.requests.clear()
        txs, _ = await client.history(ME, 200)
        assert sorted(t.block for t in txs) == list(range(200, 231))  # type: ignore[type-var]
        assert len([p for p, _ in fx.requests if p.endswith("/transactions")]) == 1
    finally:
        await client.aclose()


async def test_paging_is_bounded(api: tuple[Fixture, str]) -> None:
    fx, url = api
    fx.txs = [tx(n) for n in range(1, 131)]
    client = BlockscoutClient(url, sleep=Waits(), max_pages=2)
    try:
        with pytest.raises(Exception, match="more than 2 pages"):
            await client.history(ME, 0)
    finally:
        await client.aclose()


async def test_an_unknown_address_has_no_history(api: tuple[Fixture, str]) -> None:
    fx, url = api
    fx.unknown = True
    client = BlockscoutClient(url, sleep=Waits())
    try:
        assert await client.history(ME, 5) == ([], 5)
    finally:
        await client.aclose()


async def test_rate_limits_are_waited_out_or_reported_with_the_wait(
    api: tuple[Fixture, str],
) -> None:
    fx, url = api
    fx.txs = [tx(1)]
    fx.limited, fx.retry_after = 1, "2"
    waits = Waits()
    client = BlockscoutClient(url, sleep=waits)
    try:
        txs, _ = await client.history(ME, 0)
        assert [t.block for t in txs] == [101] and waits == [2.0]
        # Longer than the wallet waits by itself: the error says how long.
        fx.limited, fx.retry_after = 10, "120"
        waits.clear()
        with pytest.raises(ExplorerRateLimited, match="wait 120 s") as err:
            await client.history(ME, 0)
        assert err.value.code == "EXPLORER_RATE_LIMIT" and waits == []
        # No Retry-After: 1 s, then 2 s, then the error (the list read beside it is stopped).
        fx.limited, fx.retry_after = 10, None
        with pytest.raises(ExplorerRateLimited):
            await client.history(ME, 0)
        assert waits[:2] in ([1.0, 1.0], [1.0, 2.0]) and waits.count(2.0) >= 1
    finally:
        await client.aclose()


@pytest.mark.parametrize(
    "bad",
    [
        {"hash": "0x12"},
        {"value": "-5"},
        {"value": 1.5},
        {"from": {"hash": "not an address"}},
        {"timestamp": "yesterday"},
    ],
)
async def test_bad_records_are_typed(api: tuple[Fixture, str], bad: dict[str, Any]) -> None:
    fx, url = api
    fx.txs = [tx(1, **bad)]
    client = BlockscoutClient(url, sleep=Waits())
    try:
        with pytest.raises(BadResponse):
            await client.history(ME, 0)
    finally:
        await client.aclose()


def test_public_instances_are_for_built_in_networks() -> None:
    assert set(INSTANCES) <= set(NETWORKS) and "eth" in INSTANCES
    assert all(u.startswith("https://") for u in INSTANCES.values())


def internal(n: int, **kw: Any) -> dict[str, Any]:
    """An internal transaction as Blockscout's API v2 shows one (its frontend's
    types/api/internalTransaction.ts): the router paying out a token -> ETH swap."""
    base = {
        "transaction_hash": f"0x{n:064x}", "block_number": 100 + n, "index": 4,
        "timestamp": "2026-11-03T17:43:00.000000Z", "type": "call", "success": True,
        "error": None, "from": who(SPENDER), "to": who(ME), "created_contract": None,
        "value": str(3 * 10**17), "gas_limit": "2300",
    }  # fmt: skip
    base.update(kw)
    return base


async def test_internal_transactions_bring_a_swaps_eth(api: tuple[Fixture, str]) -> None:
    """Issue 17: a token -> ETH swap's ETH arrives by an internal call: in no transaction value
    and no token transfer. A reverted one, and a delegatecall, moved nothing."""
    from chains.networks import NETWORKS
    from wallet.history.evm_source import items_from_evm

    fx, url = api
    fx.txs = [tx(1, to=who(SPENDER), value="0", raw_input="0x18cbafe5" + "00" * 160)]
    fx.transfers = [transfer(1, **{"from": who(ME), "to": who(BOB)})]
    fx.internals = [
        internal(1),
        internal(1, index=5, success=False, error="Reverted", value="7"),
        internal(1, index=6, type="delegatecall", value="9"),
        internal(2, **{"from": who(BOB)}),  # inside someone else's transaction
    ]
    client = BlockscoutClient(url, sleep=Waits())
    try:
        txs, last = await client.history(ME, 0)
    finally:
        await client.aclose()
    by = {t.hash: t for t in txs}
    t1 = by[f"0x{1:064x}"]
    assert [(i.src, i.dst, i.value) for i in t1.internal] == [(SPENDER, ME, 3 * 10**17)]
    t2 = by[f"0x{2:064x}"]
    assert t2.sender == "" and [(i.src, i.value) for i in t2.internal] == [(BOB, 3 * 10**17)]
    assert last == 102
    items = items_from_evm([t1], [ME], NETWORKS["eth"], [])
    assert {(i.symbol, i.direction, i.amount, i.method) for i in items} == {
        ("", "out", 2_500_000, "swap"),
        ("ETH", "in", 3 * 10**17, "swap"),
    }
