"""The history store on a real SQLite file: filters, search, paging, labels, CSV, cursors,
the re-read window, pending rows from the outbox, and that queries use the indexes."""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path

import pytest

from chains.networks import devnet
from wallet.activity import Flag
from wallet.addressbook import AddressBook
from wallet.history.export import CSV_COLUMNS
from wallet.history.model import (
    WATCH_START,
    BadFilter,
    HistoryItem,
    HistoryQuery,
    SourcePage,
    parse_day,
)
from wallet.history.store import HistoryStore
from wallet.history.sync import HistorySync
from wallet.store import Store

A1 = "0x9858EfFD232B4033E47d90003D41EC34EcaEda94"
A2 = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
CP = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
DUSD = "devnet:0x5FbDB2315678afecb367f032d93F642f64180aa3"


def item(n: int, **kw: object) -> HistoryItem:
    base: dict[str, object] = dict(
        network="devnet",
        account=A1,
        tx_hash=f"0x{n:064x}",
        log_index=-1,
        kind="transfer",
        direction="in",
        asset="devnet:native",
        symbol="ETH",
        decimals=18,
        amount=10**18 + n,
        counterparty=CP,
        status="confirmed",
        block=n,
        ts=1_767_225_600 + 12 * n,
    )
    base.update(kw)
    return HistoryItem(**base)  # type: ignore[arg-type]


@pytest.fixture
def hs(tmp_path: Path) -> HistoryStore:
    return HistoryStore(Store(tmp_path / "w.sqlite3"))


def _random_items(count: int) -> list[HistoryItem]:
    rng = random.Random(7)
    out = []
    for n in range(count):
        out.append(
            item(
                n,
                account=rng.choice([A1, A2]),
                direction=rng.choice(["in", "out", "self"]),
                asset=rng.choice(["devnet:native", DUSD]),
                ts=1_767_225_600 + rng.randrange(0, 10**6),
                counterparty="0x" + rng.randbytes(20).hex(),
            )
        )
    return out


def test_filters_match_python_and_pages_are_newest_first(hs: HistoryStore) -> None:
    items = _random_items(400)
    hs.insert(items)
    queries = [
        (HistoryQuery(), lambda i: True),
        (HistoryQuery(accounts=(A2,)), lambda i: i.account == A2),
        (HistoryQuery(asset=DUSD), lambda i: i.asset == DUSD),
        (HistoryQuery(direction="out"), lambda i: i.direction == "out"),
        (
            HistoryQuery(accounts=(A1,), direction="in", since=1_767_225_600 + 300_000,
                         until=1_767_225_600 + 700_000),
            lambda i: i.account == A1 and i.direction == "in"
            and 1_767_225_600 + 300_000 <= i.ts < 1_767_225_600 + 700_000,
        ),
    ]  # fmt: skip
    for q, keep in queries:
        expected = sorted((i for i in items if keep(i)), key=lambda i: -i.ts)
        assert hs.count(q) == len(expected)
        paged = [r for off in range(0, len(expected) + 50, 50) for r in hs.page(q, off, 50)]
        assert [r.tx_hash for r in paged] == [i.tx_hash for i in expected]
        assert [r.amount for r in paged] == [i.amount for i in expected]
        assert [r.tx_hash for r in hs.iter_rows(q, batch=37)] == [i.tx_hash for i in expected]


def test_bad_direction_is_refused(hs: HistoryStore) -> None:
    with pytest.raises(BadFilter):
        hs.count(HistoryQuery(direction="sideways"))
    with pytest.raises(BadFilter):
        parse_day("31/01/2026")
    assert parse_day("2026-01-01") == 1_767_225_600


def test_search_by_hash_address_label_and_contact(hs: HistoryStore) -> None:
    other = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"
    hs.insert([item(1), item(2, counterparty=other), item(3), item(4)])
    assert [r.tx_hash for r in hs.page(HistoryQuery(search="0x" + "0" * 63 + "3"))] == [
        f"0x{3:064x}"
    ]
    assert {r.block for r in hs.page(HistoryQuery(search=other[:12].lower()))} == {2}
    hs.set_label("devnet", f"0x{4:064x}", "Rent March")
    hs.set_note("devnet", f"0x{1:064x}", "paid back 50% of it")
    assert [r.block for r in hs.page(HistoryQuery(search="rent"))] == [4]
    assert [r.block for r in hs.page(HistoryQuery(search="50%"))] == [1]
    assert hs.page(HistoryQuery(search="5_%")) == []  # LIKE wildcards are literal
    AddressBook(hs.store).add("devnet", other, "Landlord")
    assert [r.block for r in hs.page(HistoryQuery(search="landl"))] == [2]
    row = hs.page(HistoryQuery(search="rent"))[0]
    assert (row.label, row.note) == ("Rent March", "")


def test_labels_survive_resync_and_window_keeps_ids(hs: HistoryStore) -> None:
    hs.apply("devnet", "evm-node", [A1], SourcePage([item(n) for n in range(1, 21)], {A1: "20"},
                                                  replace_from=0, head=20))  # fmt: skip
    assert hs.cursor("devnet", "evm-node", A1) == "20"
    assert hs.cursor("devnet", WATCH_START, A1) == "20"
    hs.set_label("devnet", f"0x{15:064x}", "keep me")
    ids = {r.tx_hash: r.id for r in hs.page(HistoryQuery(), 0, 100)}
    # Re-read from block 10: block 12 is gone (reorged out), the rest come again.
    again = [item(n) for n in range(10, 25) if n != 12]
    hs.apply("devnet", "evm-node", [A1], SourcePage(again, {A1: "24"}, replace_from=10, head=24))
    rows = {r.tx_hash: r for r in hs.page(HistoryQuery(), 0, 100)}
    assert f"0x{12:064x}" not in rows
    assert len(rows) == 23
    assert all(rows[h].id == i for h, i in ids.items() if h in rows)
    assert rows[f"0x{15:064x}"].label == "keep me"
    assert hs.cursor("devnet", WATCH_START, A1) == "20"  # the first sync's head stays


def test_csv_export_columns_exact_amounts_and_formula_guard(hs: HistoryStore) -> None:
    hs.insert([
        item(1, amount=1_500_000_000_000_000_001, fee=21_000 * 10**9, direction="out"),
        item(2, asset=DUSD, symbol="DUSD", decimals=6, amount=2_500_000_000),
        item(3, asset="devnet:0xAbC", symbol="", decimals=None, amount=7),
    ])  # fmt: skip
    hs.set_label("devnet", f"0x{1:064x}", '=HYPERLINK("http://x")')
    buf = io.StringIO()
    assert hs.export_csv(buf) == 3
    rows = list(csv.DictReader(io.StringIO(buf.getvalue())))
    assert tuple(rows[0].keys()) == CSV_COLUMNS
    by_block = {r["block"]: r for r in rows}
    assert by_block["1"]["amount"] == "1.500000000000000001"
    assert by_block["1"]["amount_base"] == "1500000000000000001"
    assert by_block["1"]["fee"] == "0.000021"
    assert by_block["1"]["label"].startswith("'=")
    assert by_block["2"]["amount"] == "2500"
    assert by_block["3"]["amount"] == "" and by_block["3"]["amount_base"] == "7"
    assert by_block["3"]["time_utc"] == "2026-01-01T00:00:36Z"


def test_every_filter_is_an_index_range_not_a_sort(hs: HistoryStore) -> None:
    hs.insert(_random_items(200))
    hs.db.execute("ANALYZE")
    for q in (
        HistoryQuery(),
        HistoryQuery(accounts=(A1,)),
        HistoryQuery(asset=DUSD),
        HistoryQuery(direction="in"),
        HistoryQuery(flagged=True),
    ):
        where, args = q.where()
        plan = " | ".join(
            str(r[3]) for r in hs.db.execute(
                f"EXPLAIN QUERY PLAN SELECT h.id FROM history h WHERE {where} "
                "ORDER BY h.ts DESC, h.id DESC LIMIT 50", args)
        )  # fmt: skip
        assert "USING INDEX" in plan or "USING COVERING INDEX" in plan, (q, plan)
        assert "TEMP B-TREE" not in plan, (q, plan)
    where, args = HistoryQuery(search="0xabc").where()
    plan = " ".join(str(r[3]) for r in hs.db.execute(
        f"EXPLAIN QUERY PLAN SELECT COUNT(*) FROM history h WHERE {where}", args))  # fmt: skip
    assert "MULTI-INDEX OR" in plan, plan


def test_flags_use_watch_start_history_and_known_addresses(hs: HistoryStore) -> None:
    lookalike = CP[:6] + "0" * 32 + CP[-4:]
    # First sync at block 10: what happened before is the account's past.
    past = [item(n, direction="out", amount=100) for n in range(1, 6)]
    hs.apply("devnet", "evm-node", [A1], SourcePage(past, {A1: "10"}, replace_from=0, head=10))
    before = hs.max_id()
    AddressBook(hs.store).add("devnet", CP, "Bob")
    new = [
        item(11, direction="out", amount=100, made_here=True),
        item(12, direction="out", amount=10_000, made_here=True),  # 100x the usual
        item(13, direction="out", amount=100),  # not signed here
        item(14, direction="in", amount=0, counterparty=lookalike),
        item(15, kind="approval", direction="out", amount=2**256 - 1, counterparty=CP),
        item(16, direction="out", amount=100, status="failed", made_here=True),
    ]
    hs.apply("devnet", "evm-node", [A1], SourcePage(new, {A1: "16"}, replace_from=11, head=16))
    assert hs.flag_rows("devnet", before) == 5
    got = {r.block: r.flags for r in hs.page(HistoryQuery(), 0, 100)}
    assert all(got[n] == Flag(0) for n in range(1, 6))
    assert got[11] == Flag(0)
    assert got[12] == Flag.LARGE_OUTFLOW
    assert got[13] == Flag.NOT_MADE_HERE
    assert got[14] == Flag.POISONING
    assert got[15] == Flag.APPROVAL | Flag.UNLIMITED_APPROVAL
    assert got[16] == Flag.FAILED
    assert {r.block for r in hs.new_flagged(before)} == {12, 13, 14, 15, 16}
    hs.dismiss(hs.page(HistoryQuery(search=f"0x{13:064x}"))[0].id)
    assert {r.block for r in hs.new_flagged(before)} == {12, 14, 15, 16}
    assert hs.count(HistoryQuery(flagged=True)) == 4  # a dismissed flag is dealt with


async def test_pending_rows_come_from_the_outbox(hs: HistoryStore) -> None:
    from wallet.pending import NewEntry, Outbox, TxState

    network = devnet("http://127.0.0.1:9")  # no source runs: nothing is asked of it
    outbox = Outbox(hs.store)
    h = "0x" + "ab" * 32
    entry = outbox.record(NewEntry(
        network="devnet", chain_id=31337, sender=A1, nonce=0, tx_hash=h, raw_tx=b"\x02",
        kind="send", recipient=CP, asset="devnet:native", amount=5 * 10**17, gas=21_000,
        max_fee_per_gas=10**9, max_priority_fee_per_gas=10**9,
    ))  # fmt: skip
    sync = HistorySync(hs.store, network, [A1], sources=())
    await sync.run()
    rows = hs.page(HistoryQuery())
    assert [(r.tx_hash, r.status, r.made_here, r.amount) for r in rows] == [
        (h, "pending", True, 5 * 10**17)
    ]
    # Mined: the source reports it; the pending row gives way to the confirmed one.
    outbox.mark(entry.id, TxState.MINED, block=30)

    class Source:
        name, network = "evm-node", "devnet"

        async def fetch(self, accounts, cursors):  # type: ignore[no-untyped-def]
            return SourcePage(
                [item(30, tx_hash=h, direction="out", amount=5 * 10**17)],
                {A1: "30"},
                replace_from=0,
                head=29,
            )

        async def aclose(self) -> None: ...

    report = await HistorySync(hs.store, network, [A1], sources=[Source()]).run()
    rows = hs.page(HistoryQuery())
    assert [(r.status, r.made_here, r.block) for r in rows] == [("confirmed", True, 30)]
    assert report.flagged == ()  # made here: nothing abnormal


def test_a_search_matching_most_rows_walks_time_order_and_gives_the_same_rows(
    hs: HistoryStore,
) -> None:
    items = _random_items(300)
    hs.insert(items)
    hs.set_label("devnet", items[5].tx_hash, "Rent")
    hs.db.execute("ANALYZE")
    for text in ("0", "0x", "0x0", "0x00000000000000000000000000000000000000000000000000000001",
                 "ren", "zzz", items[7].counterparty[:8]):  # fmt: skip
        q = HistoryQuery(search=text)
        exact = hs.count(q)
        assert hs.count_upto(q, 10) == min(exact, 11), text
        assert hs.count_upto(q, 10_000) == exact, text
        for offset in (0, 37, exact - 5):
            by_index = hs.page(q, max(offset, 0), 20)
            by_time = hs.page(q, max(offset, 0), 20, many=True)
            assert [r.id for r in by_time] == [r.id for r in by_index], (text, offset)
        # With the filters too (the filter's own index, then the search tested row by row).
        both = HistoryQuery(search=text, direction="out", asset=DUSD)
        assert [r.id for r in hs.page(both, 0, 50, many=True)] == [
            r.id for r in hs.page(both, 0, 50)
        ]
    where, args = HistoryQuery(search="0").where(search_by_index=False)
    plan = " | ".join(str(r[3]) for r in hs.db.execute(
        f"EXPLAIN QUERY PLAN SELECT h.id FROM history h WHERE {where} "
        "ORDER BY h.ts DESC, h.id DESC LIMIT 50", args))  # fmt: skip
    assert "history_by_time" in plan and "TEMP B-TREE" not in plan, plan
