"""The Etherscan-compatible client against a LOCAL HTTP FIXTURE on 127.0.0.1 that serves the
JSON shape Etherscan documents (docs.etherscan.io: account/txlist, account/tokentx,
logs/getLogs; `{"status","message","result"}`, numbers as decimal strings). It is a fixture,
not Etherscan: no network is used. What it proves: requests carry the documented parameters
and the key, replies are validated, paging continues across windows, errors are typed and
never quote the key."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import chains.etherscan as es
from chains.errors import BadResponse
from chains.etherscan import EtherscanClient, ExplorerKeyRejected, ExplorerRateLimited
from chains.evm_history import APPROVAL_TOPIC, topic_for
from tests.fixtures.json_http import JsonHandler, serving

ME = "0x9858effd232b4033e47d90003d41ec34ecaeda94"
BOB = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8"
TOKEN = "0xdac17f958d2ee523a2206206994597c13d831ec7"
SPENDER = "0x000000000022d473030f116ddee9f6b43ac78ba3"
KEY = "CANARYKEY1234567890"


def normal(n: int, **kw: Any) -> dict[str, str]:
    base = {
        "blockNumber": str(100 + n), "timeStamp": str(1_700_000_000 + n), "hash": f"0x{n:064x}",
        "nonce": str(n), "blockHash": "0x" + "00" * 32, "transactionIndex": "0", "from": ME,
        "to": BOB, "value": str(10**18), "gas": "21000", "gasPrice": "1000000000",
        "isError": "0", "txreceipt_status": "1", "input": "0x", "contractAddress": "",
        "cumulativeGasUsed": "21000", "gasUsed": "21000", "confirmations": "5",
        "methodId": "0x", "functionName": "",
    }  # fmt: skip
    base.update(kw)
    return base


def token(n: int, **kw: Any) -> dict[str, str]:
    base = {
        "blockNumber": str(100 + n), "timeStamp": str(1_700_000_000 + n), "hash": f"0x{n:064x}",
        "nonce": "7", "blockHash": "0x" + "00" * 32, "from": BOB, "contractAddress": TOKEN,
        "to": ME, "value": "2500000", "tokenName": "Tether USD", "tokenSymbol": "USDT",
        "tokenDecimal": "6", "transactionIndex": "0", "gas": "60000", "gasPrice": "1000000000",
        "gasUsed": "50000", "cumulativeGasUsed": "50000", "input": "deprecated",
        "confirmations": "5",
    }  # fmt: skip
    base.update(kw)
    return base


class Fixture:
    def __init__(self) -> None:
        self.txlist: list[dict[str, str]] = []
        self.tokentx: list[dict[str, str]] = []
        self.txlistinternal: list[dict[str, str]] = []
        self.logs: list[dict[str, Any]] = []
        self.requests: list[dict[str, str]] = []
        self.reply: dict[str, Any] | None = None  # forced reply (errors)
        self.status = 200
        self.retry_after: str | None = None
        self.limited: int | None = None

    def answer(self, q: dict[str, str]) -> dict[str, Any]:
        if self.reply is not None:
            return self.reply
        if q.get("module") == "logs":
            rows: list[Any] = [
                lg for lg in self.logs
                if int(lg["blockNumber"], 16) >= int(q["fromBlock"])
            ]  # fmt: skip
        else:
            rows = [
                r for r in getattr(self, q["action"])
                if int(r["blockNumber"]) >= int(q["startblock"])
            ]  # fmt: skip
        page, size = int(q["page"]), int(q["offset"])
        rows = rows[(page - 1) * size : page * size]
        if not rows:
            return {"status": "0", "message": "No transactions found", "result": []}
        return {"status": "1", "message": "OK", "result": rows}


@pytest.fixture
def api() -> Iterator[tuple[Fixture, str]]:
    fx = Fixture()

    class Handler(JsonHandler):
        def do_GET(self) -> None:
            _, q = self.path_and_query()
            fx.requests.append(q)
            status = fx.status
            if fx.limited is not None:  # only the first `limited` requests are refused
                status = 429 if fx.limited > 0 else 200
                fx.limited -= 1
            retry_after = fx.retry_after if status == 429 else None
            self.send_json(status, json.dumps(fx.answer(q)), retry_after)

    with serving(Handler) as url:
        yield fx, f"{url}/v2/api"


async def test_history_merges_normal_token_and_approval_records(api: tuple[Fixture, str]) -> None:
    fx, url = api
    fx.txlist = [normal(1), normal(2, isError="1", txreceipt_status="0", value="0",
                                   to=TOKEN, input="0xa9059cbb" + "00" * 64)]  # fmt: skip
    fx.tokentx = [token(3), token(4, **{"from": ME, "to": BOB, "value": "0"})]
    fx.logs = [{
        "address": TOKEN, "topics": [APPROVAL_TOPIC, topic_for(ME), topic_for(SPENDER)],
        "data": "0x" + "f" * 64, "blockNumber": hex(101), "timeStamp": hex(1_700_000_001),
        "logIndex": "0x2", "transactionHash": f"0x{1:064x}",
    }]  # fmt: skip
    client = EtherscanClient(url, KEY, 1)
    try:
        txs, last = await client.history(ME, 0)
    finally:
        await client.aclose()
    assert last == 104
    by = {t.hash: t for t in txs}
    t1 = by[f"0x{1:064x}"]
    assert (t1.sender, t1.to, t1.value, t1.success, t1.fee) == (ME, BOB, 10**18, True,
                                                                21_000 * 10**9)  # fmt: skip
    (appr,) = t1.events
    assert (appr.kind, appr.dst, appr.value) == ("approval", SPENDER, 2**256 - 1)
    t2 = by[f"0x{2:064x}"]
    assert t2.success is False and t2.selector == "0xa9059cbb"
    t3 = by[f"0x{3:064x}"]
    assert t3.sender == "" and t3.fee is None  # someone else's transaction paid for it
    (ev,) = t3.events
    assert (ev.kind, ev.src, ev.dst, ev.value, ev.contract) == ("transfer", BOB, ME, 2_500_000,
                                                                TOKEN)  # fmt: skip
    # The documented parameters, and the key, on every request.
    actions = {(q["module"], q["action"]) for q in fx.requests}
    assert actions == {("account", "txlist"), ("account", "tokentx"),
                       ("account", "txlistinternal"), ("logs", "getLogs")}  # fmt: skip
    assert all(q["chainid"] == "1" and q["apikey"] == KEY for q in fx.requests)
    assert all(q["sort"] == "asc" for q in fx.requests if q["module"] == "account")


async def test_paging_continues_past_a_full_window(
    api: tuple[Fixture, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fx, url = api
    monkeypatch.setattr(es, "PAGE_SIZE", 2)
    monkeypatch.setattr(es, "WINDOW", 4)
    fx.txlist = [normal(n) for n in range(11)]
    client = EtherscanClient(url, None, 1)
    try:
        txs, last = await client.history(ME, 0)
    finally:
        await client.aclose()
    assert [t.nonce for t in txs] == list(range(11))
    assert last == 110
    starts = sorted({int(q["startblock"]) for q in fx.requests if q["action"] == "txlist"})
    assert starts[0] == 0 and len(starts) > 1  # a second window began at the last block seen
    assert all("apikey" not in q for q in fx.requests)  # no key configured: none sent


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        ({"status": "0", "message": "NOTOK", "result": f"Invalid API Key ({KEY})"},
         ExplorerKeyRejected),
        ({"status": "0", "message": "NOTOK",
          "result": "Max calls per sec rate limit reached (5/sec)"}, ExplorerRateLimited),
        ({"status": "1", "message": "OK", "result": [{"hash": "0x1"}]}, BadResponse),
    ],
)  # fmt: skip
async def test_errors_are_typed_and_never_quote_the_key(
    api: tuple[Fixture, str], reply: dict[str, Any], error: type[Exception]
) -> None:
    fx, url = api
    fx.reply = reply
    client = EtherscanClient(url, KEY, 1, sleep=_Waits())
    try:
        with pytest.raises(error) as info:
            await client.history(ME, 0)
    finally:
        await client.aclose()
    assert KEY not in str(info.value) and KEY not in repr(client)


class _Waits(list[float]):
    """Records the waits a client asks for instead of sleeping (no test waits for real)."""

    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


async def test_http_429_is_rate_limited(api: tuple[Fixture, str]) -> None:
    fx, url = api
    fx.status = 429
    waits = _Waits()
    client = EtherscanClient(url, KEY, 1, sleep=waits)
    try:
        with pytest.raises(ExplorerRateLimited):
            await client.history(ME, 0)
    finally:
        await client.aclose()
    # Asked again twice, waiting 1 s then 2 s (the server named no wait), then it gives up.
    assert waits == [1.0, 2.0] and len(fx.requests) == 3


async def test_a_rate_limit_is_waited_out_as_the_server_asks(api: tuple[Fixture, str]) -> None:
    fx, url = api
    fx.txlist = [normal(1)]
    fx.status = 429
    fx.retry_after = "3"
    fx.limited = 1  # the first request only
    waits = _Waits()
    client = EtherscanClient(url, KEY, 1, sleep=waits)
    try:
        txs, _ = await client.history(ME, 0)
    finally:
        await client.aclose()
    assert waits == [3.0] and [t.hash for t in txs] == [f"0x{1:064x}"]


async def test_explorer_source_syncs_into_the_store(
    api: tuple[Fixture, str], tmp_path: Path
) -> None:
    from chains.networks import NETWORKS
    from wallet.history.evm_source import EtherscanSource
    from wallet.history.model import HistoryQuery
    from wallet.history.store import HistoryStore
    from wallet.history.sync import HistorySync
    from wallet.store import Store

    fx, url = api
    fx.txlist = [normal(1)]
    fx.tokentx = [token(3)]
    store = Store(tmp_path / "w.sqlite3")
    net = NETWORKS["eth"]
    me = "0x9858EfFD232B4033E47d90003D41EC34EcaEda94"
    src = EtherscanSource(net, [], url, KEY)
    try:
        await HistorySync(store, net, [me], [src]).run()
        fx.txlist.append(normal(5))
        await HistorySync(store, net, [me], [src]).run()
    finally:
        await src.aclose()
    hs = HistoryStore(store)
    rows = hs.page(HistoryQuery())
    assert [(r.block, r.direction, r.symbol) for r in rows] == [
        (105, "out", "ETH"),
        (103, "in", ""),
        (101, "out", "ETH"),
    ]
    assert hs.cursor("eth", "etherscan", me) == "105"
    # The second sync asked only from the cursor's re-read window on.
    second = [int(q["startblock"]) for q in fx.requests if q.get("action") == "txlist"][-1]
    assert second == 103 + 1 - 12  # cursor 103 after the first sync, minus the window


def internal(n: int, **kw: Any) -> dict[str, str]:
    """A txlistinternal record (docs.etherscan.io, "Get a list of 'Internal' Transactions by
    Address"): the router paying out the ETH of a token -> ETH swap."""
    base = {
        "blockNumber": str(100 + n), "timeStamp": str(1_700_000_000 + n), "hash": f"0x{n:064x}",
        "from": SPENDER, "to": ME, "value": str(3 * 10**17), "contractAddress": "", "input": "",
        "type": "call", "gas": "2300", "gasUsed": "0", "traceId": "0_1", "isError": "0",
        "errCode": "",
    }  # fmt: skip
    base.update(kw)
    return base


async def test_internal_transfers_come_with_their_swap(api: tuple[Fixture, str]) -> None:
    """A token -> ETH swap: the txlist record has value 0 and the tokentx record shows only the
    token sold; the ETH received is in txlistinternal. A reverted internal call moved nothing."""
    fx, url = api
    swap = "0x18cbafe5" + "00" * 160
    fx.txlist = [normal(1, to=SPENDER, value="0", input=swap)]
    fx.tokentx = [token(1, **{"from": ME, "to": BOB, "logIndex": "3"})]
    fx.txlistinternal = [
        internal(1),
        internal(1, traceId="0_2", value="5", isError="1"),
        internal(2, **{"from": BOB}),  # inside someone else's transaction
    ]
    client = EtherscanClient(url, KEY, 1)
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

    from chains.networks import NETWORKS
    from wallet.history.evm_source import items_from_evm

    items = items_from_evm([t1], [ME], NETWORKS["eth"], [])
    assert {(i.symbol, i.direction, i.amount, i.method) for i in items} == {
        ("", "out", 2_500_000, "swap"),
        ("ETH", "in", 3 * 10**17, "swap"),
    }
