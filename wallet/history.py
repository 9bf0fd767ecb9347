"""History: every transaction of the user's accounts, kept in SQLite and synced incrementally.

- `HistorySource` is what a chain plugs in (EVM node, Etherscan-compatible API; Bitcoin and
  Litecoin through Electrum/Esplora later): given the accounts and where each stopped, it
  returns the items since then and the new cursors.
- `HistoryStore` holds the rows, the user's labels and notes, and the cursors; it answers
  filtered, searched pages newest first from indexes (the table shows 100,000 rows by asking
  only for the rows on screen).
- `HistorySync` runs the sources, adds what this app signed and is still pending (the outbox),
  and flags abnormal activity (wallet/activity.py) on the rows that are new.

CSV export columns (stable; scripts read them, add at the end, never rename):

    time_utc         block time (or first seen, pending), ISO 8601 UTC
    network          network id (eth, devnet, btc, ...)
    account          the user's address the row belongs to
    tx_hash          transaction hash / txid
    log_index        -1 for the transaction's own native value, else the token event's index
    status           pending | confirmed | failed
    direction        in | out | self
    kind             transfer | approval | call
    asset            asset key: <network>:<contract> or <network>:native
    symbol           asset symbol ('' when unknown)
    amount           decimal amount in whole units (exact; '' when decimals are unknown)
    amount_base      amount in base units (wei, satoshi, token units); allowance for approvals
    counterparty     the other side: sender (in), recipient (out), spender (approval)
    fee              network fee in whole native units, on one row per transaction sent
    fee_base         the fee in base units
    block            block number ('' while pending)
    nonce            sender's nonce ('' when unknown)
    method           transfer | approve | swap | 0x-selector | ''
    made_here        1 when this app signed it
    flags            abnormal-activity flags, '|'-separated (wallet/activity.py Flag names)
    label            the user's label
    note             the user's note
"""

from __future__ import annotations

import csv
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol, runtime_checkable

from chains.models import Asset, Network
from wallet.activity import Context, Flag, RowFacts, evaluate, flag_names
from wallet.store import Store

if TYPE_CHECKING:
    from chains.evm_history import ChainTx

REORG_WINDOW = 12  # blocks re-read on every sync, so a shallow reorg (or devnet revert) heals
WATCH_START = "watch-start"  # cursor 'source' holding the block an account was first synced at

CSV_COLUMNS = (
    "time_utc", "network", "account", "tx_hash", "log_index", "status", "direction", "kind",
    "asset", "symbol", "amount", "amount_base", "counterparty", "fee", "fee_base", "block",
    "nonce", "method", "made_here", "flags", "label", "note",
)  # fmt: skip

# 4-byte selectors of Uniswap V2 router swaps (and the Universal Router's execute): enough to
# call a transaction a swap when the events alone do not show both legs.
_SWAP_SELECTORS = {
    "0x7ff36ab5", "0x18cbafe5", "0x38ed1739", "0xfb3bdb41", "0x8803dbee", "0x4a25d94a",
    "0xb6f9de95", "0x791ac947", "0x5c11d795", "0x3593564c",
}  # fmt: skip
_METHODS = {"0xa9059cbb": "transfer", "0x095ea7b3": "approve", "0x23b872dd": "transferFrom"}


class HistoryError(Exception):
    code = "HISTORY"


class BadFilter(HistoryError):
    code = "HISTORY_BAD_FILTER"


@dataclass(frozen=True, slots=True)
class HistoryItem:
    """One movement of value as a source reports it. Amounts are base units."""

    network: str
    account: str
    tx_hash: str
    log_index: int
    kind: str  # transfer | approval | call
    direction: str  # in | out | self
    asset: str  # Asset.key
    symbol: str
    decimals: int | None
    amount: int
    counterparty: str
    status: str  # pending | confirmed | failed
    block: int | None
    ts: int
    fee: int | None = None
    nonce: int | None = None
    method: str = ""
    made_here: bool = False


@dataclass(frozen=True, slots=True)
class HistoryRow:
    id: int
    network: str
    account: str
    tx_hash: str
    log_index: int
    kind: str
    direction: str
    asset: str
    symbol: str
    decimals: int | None
    amount: int
    counterparty: str
    status: str
    block: int | None
    ts: int
    fee: int | None
    nonce: int | None
    method: str
    made_here: bool
    flags: Flag
    dismissed: bool
    label: str
    note: str

    @property
    def flagged(self) -> bool:
        return bool(self.flags) and not self.dismissed


@dataclass(frozen=True)
class SourcePage:
    """What a source found. `cursors`: account -> where to continue next time. Rows of these
    accounts at or above `replace_from` block that are not in `items` are gone (a reorg)."""

    items: Sequence[HistoryItem]
    cursors: Mapping[str, str]
    replace_from: int | None = None
    head: int | None = None


@runtime_checkable
class HistorySource(Protocol):
    """One chain's history provider. `name` namespaces its cursors ('evm-node', 'etherscan',
    'electrum'...). `fetch` gets each account's cursor (None: never synced) and returns the
    items since then; it must be idempotent (items are upserted by (account, tx, log index))."""

    name: str
    network: str

    async def fetch(
        self, accounts: Sequence[str], cursors: Mapping[str, str | None]
    ) -> SourcePage: ...

    async def aclose(self) -> None: ...


@dataclass(frozen=True)
class HistoryQuery:
    accounts: tuple[str, ...] = ()
    asset: str | None = None  # an Asset.key, or a symbol
    direction: str | None = None  # in | out | self
    status: str | None = None
    since: int | None = None  # Unix seconds, inclusive
    until: int | None = None  # Unix seconds, exclusive
    search: str = ""  # hash or address (prefix), label or note (substring)
    flagged: bool = False
    network: str | None = None

    def where(self, *, search_by_index: bool = True) -> tuple[str, list[Any]]:
        """SQL condition and its arguments. With search_by_index=False the search terms are
        kept off their indexes (SQLite's unary "+"), so a query ordered by time walks the
        time index and stops at its LIMIT: what a search matching most rows needs."""
        parts: list[str] = []
        args: list[Any] = []
        if self.network:
            parts.append("h.network = ?")
            args.append(self.network)
        if self.accounts:
            parts.append(f"h.account IN ({','.join('?' * len(self.accounts))})")
            args += list(self.accounts)
        if self.asset:
            if ":" in self.asset:
                parts.append("h.asset = ?")
            else:
                parts.append("h.symbol = ? COLLATE NOCASE")
            args.append(self.asset)
        if self.direction:
            if self.direction not in ("in", "out", "self"):
                raise BadFilter(f"direction must be in, out or self, not {self.direction!r}")
            parts.append("h.direction = ?")
            args.append(self.direction)
        if self.status:
            parts.append("h.status = ?")
            args.append(self.status)
        if self.since is not None:
            parts.append("h.ts >= ?")
            args.append(self.since)
        if self.until is not None:
            parts.append("h.ts < ?")
            args.append(self.until)
        if self.flagged:
            # `flags != 0` literally, so the partial index applies; dismissed ones are dealt with.
            parts.append("h.flags != 0 AND h.dismissed = 0")
        text = self.search.strip()
        if text:
            esc = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            prefix, contains = esc + "%", "%" + esc + "%"
            # Each OR term is indexable (prefix LIKE on NOCASE columns, IN on the notes'
            # key), so SQLite answers it with a union of index lookups, not a table scan.
            # Not the account column: a handful of values, so its range would look unselective
            # to the planner and turn the whole OR into a scan (the account filter does that).
            h = "h." if search_by_index else "+h."  # one of two fixed prefixes, no input
            parts.append(
                f"({h}tx_hash LIKE ? ESCAPE '\\' OR {h}counterparty LIKE ? ESCAPE '\\'"  # noqa: S608
                f" OR {h}tx_hash IN (SELECT tx_hash FROM history_notes"
                "   WHERE label LIKE ? ESCAPE '\\' OR note LIKE ? ESCAPE '\\')"
                f" OR {h}counterparty IN (SELECT address FROM address_book"
                "   WHERE label LIKE ? ESCAPE '\\'))"
            )
            args += [prefix, prefix, contains, contains, contains]
        return (" AND ".join(parts) or "1"), args


def parse_day(text: str) -> int:
    """'2026-01-31' (UTC midnight) -> Unix seconds. Raises BadFilter."""
    try:
        day = datetime.strptime(text.strip(), "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise BadFilter(f"{text!r} is not a date: use YYYY-MM-DD") from None
    return int(day.timestamp())


_SELECT = (
    "SELECT h.*, COALESCE(n.label, '') AS label, COALESCE(n.note, '') AS note FROM history h "
    "LEFT JOIN history_notes n ON n.network = h.network AND n.tx_hash = h.tx_hash"
)


def _row(r: Any) -> HistoryRow:
    return HistoryRow(
        id=int(r["id"]),
        network=r["network"],
        account=r["account"],
        tx_hash=r["tx_hash"],
        log_index=int(r["log_index"]),
        kind=r["kind"],
        direction=r["direction"],
        asset=r["asset"],
        symbol=r["symbol"],
        decimals=r["decimals"],
        amount=int(r["amount"]),
        counterparty=r["counterparty"],
        status=r["status"],
        block=r["block"],
        ts=int(r["ts"]),
        fee=None if r["fee"] is None else int(r["fee"]),
        nonce=r["nonce"],
        method=r["method"],
        made_here=bool(r["made_here"]),
        flags=Flag(int(r["flags"])),
        dismissed=bool(r["dismissed"]),
        label=r["label"],
        note=r["note"],
    )


def _now_iso() -> str:
    return datetime.now(UTC).isoformat()


class HistoryStore:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.db = store.db

    # -- reading -----------------------------------------------------------------------------

    def count(self, q: HistoryQuery = HistoryQuery()) -> int:
        where, args = q.where()
        # where() builds only placeholders and fixed column names: values go in args.
        sql = f"SELECT COUNT(*) FROM history h WHERE {where}"  # noqa: S608
        return int(self.db.execute(sql, args).fetchone()[0])

    def count_upto(self, q: HistoryQuery, cap: int) -> int:
        """How many rows match, counting no further than cap + 1.

        The first keys of a search ("0", "0x", "bc1q") match nearly every row; counting all
        of them walks a whole index (~50 ms at 100,000 rows), counting to a cap reads cap + 1
        entries (~0.3 ms)."""
        where, args = q.where()
        sql = f"SELECT COUNT(*) FROM (SELECT 1 FROM history h WHERE {where} LIMIT ?)"  # noqa: S608
        return int(self.db.execute(sql, [*args, cap + 1]).fetchone()[0])

    def page(
        self,
        q: HistoryQuery = HistoryQuery(),
        offset: int = 0,
        limit: int = 100,
        *,
        many: bool = False,
    ) -> list[HistoryRow]:
        """Rows offset..offset+limit, newest first. `many`: the search matches a large share of
        the rows (count_upto hit its cap). SQLite would otherwise collect every match through
        the hash and address indexes and sort them all before the LIMIT (~170 ms for "0" at
        100,000 rows); walking the time index and testing each row stops after offset + limit
        matches (~0.1 ms for the first page)."""
        where, args = q.where(search_by_index=not many)
        # A deferred join: OFFSET walks only the index for ids, and only the `limit` rows it
        # keeps are read whole and joined with their notes (a jump to row 99,900 stays cheap).
        # where() holds placeholders only: the values travel in args.
        sql = (
            "SELECT h.*, COALESCE(n.label, '') AS label, COALESCE(n.note, '') AS note "  # noqa: S608
            f"FROM (SELECT h.id FROM history h WHERE {where} "
            "ORDER BY h.ts DESC, h.id DESC LIMIT ? OFFSET ?) AS p "
            "JOIN history h ON h.id = p.id "
            "LEFT JOIN history_notes n ON n.network = h.network AND n.tx_hash = h.tx_hash "
            "ORDER BY h.ts DESC, h.id DESC"
        )
        rows = self.db.execute(sql, [*args, limit, offset]).fetchall()
        return [_row(r) for r in rows]

    def iter_rows(
        self, q: HistoryQuery = HistoryQuery(), batch: int = 1000
    ) -> Iterable[HistoryRow]:
        """Every matching row, newest first, in keyset batches (constant memory)."""
        where, args = q.where()
        after: tuple[int, int] | None = None
        while True:
            extra, extra_args = ("", [])
            if after is not None:
                extra, extra_args = (
                    " AND (h.ts < ? OR (h.ts = ? AND h.id < ?))",
                    [after[0], after[0], after[1]],
                )
            rows = self.db.execute(
                f"{_SELECT} WHERE {where}{extra} ORDER BY h.ts DESC, h.id DESC LIMIT ?",
                [*args, *extra_args, batch],
            ).fetchall()
            if not rows:
                return
            for r in rows:
                yield _row(r)
            after = (int(rows[-1]["ts"]), int(rows[-1]["id"]))

    def get(self, row_id: int) -> HistoryRow | None:
        r = self.db.execute(f"{_SELECT} WHERE h.id = ?", (row_id,)).fetchone()
        return None if r is None else _row(r)

    def transaction(self, network: str, tx_hash: str) -> list[HistoryRow]:
        """Every row of one transaction (all its movements, all accounts)."""
        rows = self.db.execute(
            f"{_SELECT} WHERE h.network = ? AND h.tx_hash = ? ORDER BY h.account, h.log_index",
            (network, tx_hash),
        ).fetchall()
        return [_row(r) for r in rows]

    def facets(self) -> tuple[list[str], list[tuple[str, str]]]:
        """(accounts, [(asset key, symbol)]) present in the history, for the filter menus.

        A skip-scan written out (recursive MIN over the index) because SQLite's DISTINCT and
        GROUP BY read all 100,000 index entries (~150 ms); this seeks once per distinct value."""

        def distinct(column: str) -> list[str]:
            rows = self.db.execute(
                f"WITH RECURSIVE v(x) AS (SELECT MIN({column}) FROM history "  # noqa: S608
                f"UNION ALL SELECT (SELECT MIN({column}) FROM history WHERE {column} > v.x) "
                "FROM v WHERE v.x IS NOT NULL) SELECT x FROM v WHERE x IS NOT NULL"
            ).fetchall()
            return [str(r[0]) for r in rows]

        accounts = distinct("account")
        assets = []
        for key in distinct("asset"):
            row = self.db.execute(
                "SELECT symbol FROM history WHERE asset = ? AND symbol != '' LIMIT 1", (key,)
            ).fetchone()
            assets.append((key, str(row[0]) if row else key.split(":", 1)[-1][:8]))
        assets.sort(key=lambda a: a[1])
        return accounts, assets

    def tx_hashes(self, network: str | None = None, limit: int = 200) -> list[str]:
        """The user's own transaction hashes, newest first (what a support ticket may quote)."""
        sql = "SELECT tx_hash, MAX(ts) AS t FROM history"
        args: list[Any] = []
        if network:
            sql += " WHERE network = ?"
            args.append(network)
        sql += " GROUP BY tx_hash ORDER BY t DESC LIMIT ?"
        return [r[0] for r in self.db.execute(sql, [*args, limit])]

    def new_flagged(self, since_id: int) -> list[HistoryRow]:
        rows = self.db.execute(
            f"{_SELECT} WHERE h.id > ? AND h.flags != 0 AND h.dismissed = 0 ORDER BY h.id",
            (since_id,),
        ).fetchall()
        return [_row(r) for r in rows]

    def max_id(self) -> int:
        return int(self.db.execute("SELECT COALESCE(MAX(id), 0) FROM history").fetchone()[0])

    # -- the user's words ----------------------------------------------------------------------

    def set_label(self, network: str, tx_hash: str, label: str, note: str | None = None) -> None:
        label = label.strip()
        if len(label) > 64:
            raise BadFilter("a label is at most 64 characters")
        with self.db:
            self.db.execute(
                "INSERT INTO history_notes(network, tx_hash, label, note, updated_at) "
                "VALUES(?, ?, ?, COALESCE(?, ''), ?) ON CONFLICT(network, tx_hash) DO UPDATE SET "
                "label = excluded.label, note = COALESCE(?, note), "
                "updated_at = excluded.updated_at",
                (network, tx_hash, label, note, _now_iso(), note),
            )

    def set_note(self, network: str, tx_hash: str, note: str) -> None:
        if len(note) > 2000:
            raise BadFilter("a note is at most 2,000 characters")
        with self.db:
            self.db.execute(
                "INSERT INTO history_notes(network, tx_hash, label, note, updated_at) "
                "VALUES(?, ?, '', ?, ?) ON CONFLICT(network, tx_hash) DO UPDATE SET "
                "note = excluded.note, updated_at = excluded.updated_at",
                (network, tx_hash, note, _now_iso()),
            )

    def dismiss(self, row_id: int) -> None:
        with self.db:
            self.db.execute("UPDATE history SET dismissed = 1 WHERE id = ?", (row_id,))

    # -- cursors -----------------------------------------------------------------------------

    def cursor(self, network: str, source: str, account: str) -> str | None:
        r = self.db.execute(
            "SELECT cursor FROM history_cursors WHERE network = ? AND source = ? AND account = ?",
            (network, source, account),
        ).fetchone()
        return None if r is None else str(r[0])

    def _set_cursor(self, network: str, source: str, account: str, cursor: str) -> None:
        self.db.execute(
            "INSERT INTO history_cursors(network, source, account, cursor, updated_at) "
            "VALUES(?, ?, ?, ?, ?) ON CONFLICT(network, source, account) DO UPDATE SET "
            "cursor = excluded.cursor, updated_at = excluded.updated_at",
            (network, source, account, cursor, _now_iso()),
        )

    # -- writing -----------------------------------------------------------------------------

    def apply(self, network: str, source: str, accounts: Sequence[str], page: SourcePage) -> None:
        """A source's page, atomically: the re-read window replaced, items upserted, cursors
        moved, and the block each account is first watched from remembered."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self._upsert(page.items)
            if page.replace_from is not None and accounts:
                # Rows in the re-read window that the source no longer reports are gone (a
                # reorg). Upsert first, then delete the rest: rows that stay keep their ids,
                # so they are not "new" again and keep the user's dismissals.
                seen = {(i.account.lower(), i.tx_hash.lower(), i.log_index) for i in page.items}
                marks = ",".join("?" * len(accounts))
                stale = [
                    (int(r[0]),)
                    for r in self.db.execute(
                        f"SELECT id, account, tx_hash, log_index FROM history WHERE network = ? "  # noqa: S608
                        f"AND account IN ({marks}) AND status != 'pending' AND block >= ?",
                        [network, *accounts, page.replace_from],
                    )
                    if (str(r[1]).lower(), str(r[2]).lower(), int(r[3])) not in seen
                ]
                self.db.executemany("DELETE FROM history WHERE id = ?", stale)
            for account, cur in page.cursors.items():
                self._set_cursor(network, source, account, cur)
                if page.head is not None and self.cursor(network, WATCH_START, account) is None:
                    self._set_cursor(network, WATCH_START, account, str(page.head))
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def insert(self, items: Iterable[HistoryItem]) -> None:
        """Upsert items outside a sync (tests, bench, importers)."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self._upsert(items)
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def _upsert(self, items: Iterable[HistoryItem]) -> None:
        self.db.executemany(
            "INSERT INTO history(network, account, tx_hash, log_index, kind, direction, asset, "
            "symbol, decimals, amount, counterparty, status, block, ts, fee, nonce, method, "
            "made_here) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(network, account, tx_hash, log_index) DO UPDATE SET "
            "kind = excluded.kind, direction = excluded.direction, asset = excluded.asset, "
            "symbol = excluded.symbol, decimals = excluded.decimals, amount = excluded.amount, "
            "counterparty = excluded.counterparty, status = excluded.status, "
            "block = excluded.block, ts = excluded.ts, fee = excluded.fee, "
            "nonce = excluded.nonce, method = excluded.method, "
            "made_here = MAX(made_here, excluded.made_here)",
            (
                (
                    i.network, i.account, i.tx_hash.lower(), i.log_index, i.kind, i.direction,
                    i.asset, i.symbol, i.decimals, str(i.amount), i.counterparty, i.status,
                    i.block, i.ts, None if i.fee is None else str(i.fee), i.nonce, i.method,
                    int(i.made_here),
                )
                for i in items
            ),
        )  # fmt: skip

    def clear_pending(self, network: str) -> None:
        """Pending rows are rebuilt on every sync from the open outbox entries: cleared before
        the sources run, so a pending row that got mined is read as new and flagged."""
        with self.db:
            self.db.execute(
                "DELETE FROM history WHERE network = ? AND status = 'pending'", (network,)
            )

    def add_pending(self, network: str, items: Sequence[HistoryItem]) -> None:
        """Open outbox entries that have no mined row yet."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            mined = {
                r[0]
                for r in self.db.execute(
                    "SELECT DISTINCT tx_hash FROM history WHERE network = ?", (network,)
                )
            }
            self._upsert(i for i in items if i.tx_hash.lower() not in mined)
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def mark_made_here(self, network: str, hashes: Iterable[str]) -> None:
        with self.db:
            self.db.executemany(
                "UPDATE history SET made_here = 1 WHERE network = ? AND tx_hash = ? "
                "AND made_here = 0",
                [(network, h.lower()) for h in hashes],
            )

    def flag_rows(self, network: str, since_id: int, *, recheck_all: bool = False) -> int:
        """Run the activity rules over rows newer than `since_id` (oldest first, so "earlier
        outflows" are earlier). Returns how many rows carry flags now."""
        known = self._known_counterparties(network)
        sql = "SELECT * FROM history WHERE network = ? AND status != 'pending'"
        args: list[Any] = [network]
        if not recheck_all:
            sql += " AND id > ?"
            args.append(since_id)
        rows = self.db.execute(sql + " ORDER BY ts, id", args).fetchall()
        watched: dict[str, int | None] = {}
        updates: list[tuple[int, int]] = []
        for r in rows:
            account = r["account"]
            if account not in watched:
                c = self.cursor(network, WATCH_START, account)
                watched[account] = None if c is None else int(c)
            earlier = [
                int(x[0])
                for x in self.db.execute(
                    "SELECT amount FROM history WHERE account = ? AND asset = ? "
                    "AND direction = 'out' AND kind = 'transfer' AND status = 'confirmed' "
                    "AND (ts < ? OR (ts = ? AND id < ?)) ORDER BY ts DESC, id DESC LIMIT 50",
                    (account, r["asset"], r["ts"], r["ts"], r["id"]),
                )
            ]
            facts = RowFacts(
                kind=r["kind"], direction=r["direction"], status=r["status"],
                amount=int(r["amount"]), decimals=r["decimals"], counterparty=r["counterparty"],
                made_here=bool(r["made_here"]), block=r["block"],
            )  # fmt: skip
            ctx = Context(
                known=known, earlier_outflows={r["asset"]: earlier}, watched_from=watched[account]
            )
            flags = int(evaluate(facts, r["asset"], ctx))
            if flags != int(r["flags"]):
                updates.append((flags, int(r["id"])))
        with self.db:
            self.db.executemany("UPDATE history SET flags = ? WHERE id = ?", updates)
        return sum(1 for f, _ in updates if f)

    def _known_counterparties(self, network: str) -> set[str]:
        """Addresses the user really deals with: recipients of what this app sent, and the
        address book. Lower-case."""
        known = {
            str(r[0]).lower()
            for r in self.db.execute(
                "SELECT DISTINCT counterparty FROM history WHERE network = ? AND made_here = 1 "
                "AND direction = 'out'",
                (network,),
            )
        }
        for table, column in (("outbox", "recipient"), ("address_book", "address")):
            if self._has_table(table):
                known |= {
                    str(r[0]).lower()
                    for r in self.db.execute(
                        f"SELECT DISTINCT {column} FROM {table} WHERE network = ?",  # noqa: S608
                        (network,),
                    )
                }
        return known

    def _has_table(self, name: str) -> bool:
        return (
            self.db.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
            ).fetchone()
            is not None
        )

    # -- export ------------------------------------------------------------------------------

    def export_csv(self, out: IO[str], q: HistoryQuery = HistoryQuery()) -> int:
        """Write the matching rows as CSV (columns: CSV_COLUMNS, documented above)."""
        from chains.units import format_amount

        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        n = 0
        for r in self.iter_rows(q):
            _, native_decimals = native_of(r.network)
            writer.writerow(
                [
                    datetime.fromtimestamp(r.ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    # Every text cell is guarded: symbols, methods and counterparties come
                    # from chain data anyone can write (a token named =HYPERLINK(...)).
                    _csv_safe(r.network), _csv_safe(r.account), _csv_safe(r.tx_hash),
                    r.log_index, _csv_safe(r.status), _csv_safe(r.direction),
                    _csv_safe(r.kind), _csv_safe(r.asset), _csv_safe(r.symbol),
                    "" if r.decimals is None
                    else format_amount(r.amount, r.decimals).replace(",", ""),
                    r.amount, _csv_safe(r.counterparty),
                    "" if r.fee is None
                    else format_amount(r.fee, native_decimals).replace(",", ""),
                    "" if r.fee is None else r.fee,
                    "" if r.block is None else r.block,
                    "" if r.nonce is None else r.nonce,
                    _csv_safe(r.method), int(r.made_here),
                    _csv_safe("|".join(flag_names(r.flags))),
                    _csv_safe(r.label), _csv_safe(r.note),
                ]
            )  # fmt: skip
            n += 1
        return n


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


def _csv_safe(text: str | None) -> str:
    """A cell a spreadsheet would run as a formula (=, +, -, @, also after leading spaces or as
    their fullwidth forms, which some spreadsheets fold) is quoted with a leading apostrophe:
    exports get opened in Excel, and labels, notes, token symbols and method names are text
    that others or the user wrote."""
    if text is None:
        return ""
    return "'" + text if text.lstrip(" ")[:1] in _FORMULA_START else text


def native_of(network: str) -> tuple[str, int]:
    """(symbol, decimals) of a network's coin."""
    from chains.networks import NETWORKS

    if network in NETWORKS:
        n = NETWORKS[network]
        return n.native_symbol, n.native_decimals
    if network.startswith("ltc"):
        return "LTC", 8
    if network.startswith("btc"):
        return "BTC", 8
    return "ETH", 18  # the devnet


def explorer_link(network: Network | None, tx_hash: str) -> str | None:
    if network is None or not network.explorer_url:
        return None
    return f"{network.explorer_url.rstrip('/')}/tx/{tx_hash}"


# -- EVM: turning chain transactions into rows -------------------------------------------------


def _checksum(address: str) -> str:
    from eth_utils import to_checksum_address

    return str(to_checksum_address(address)) if address else ""


def items_from_evm(
    txs: Iterable[ChainTx],
    accounts: Sequence[str],
    network: Network,
    assets: Sequence[Asset],
    *,
    made_here: set[str] | None = None,
    now: int | None = None,
) -> list[HistoryItem]:
    """Rows for each account a transaction touches: its native value (log_index -1), each
    token event of the account; a bare call or failed transaction the account sent still gets
    one row, so its fee is in the history. The fee goes on the sender's first row only."""
    by_contract = {a.contract.lower(): a for a in assets if a.contract}
    native_key = f"{network.id}:native"
    mine = made_here or set()
    out: list[HistoryItem] = []
    for tx in txs:
        status = "pending" if tx.block is None else "confirmed" if tx.success else "failed"
        ts = tx.timestamp if tx.timestamp is not None else (now or int(time.time()))
        base_method = (
            "swap" if tx.selector in _SWAP_SELECTORS else _METHODS.get(tx.selector, tx.selector)
        )
        for account in accounts:
            acct = account.lower()
            rows: list[dict[str, Any]] = []
            if tx.value > 0 and acct in (tx.sender, tx.to):
                direction = _direction(tx.sender == acct, tx.to == acct)
                rows.append(dict(
                    log_index=-1, kind="transfer", direction=direction, asset=native_key,
                    symbol=network.native_symbol, decimals=network.native_decimals,
                    amount=tx.value,
                    counterparty=tx.to if direction == "out" else tx.sender,
                ))  # fmt: skip
            for ev in tx.events:
                if ev.kind == "approval":
                    if ev.src != acct:
                        continue
                    direction, cp = "out", ev.dst
                elif acct in (ev.src, ev.dst):
                    direction = _direction(ev.src == acct, ev.dst == acct)
                    cp = ev.dst if direction == "out" else ev.src
                else:
                    continue
                asset = by_contract.get(ev.contract)
                rows.append(dict(
                    log_index=ev.log_index, kind=ev.kind, direction=direction,
                    asset=asset.key if asset else f"{network.id}:{_checksum(ev.contract)}",
                    symbol=asset.symbol if asset else "",
                    decimals=asset.decimals if asset else None,
                    amount=ev.value, counterparty=cp,
                ))  # fmt: skip
            if not rows and tx.sender == acct:
                rows.append(dict(
                    log_index=-1, kind="call", direction="out", asset=native_key,
                    symbol=network.native_symbol, decimals=network.native_decimals, amount=0,
                    counterparty=tx.to or "",
                ))  # fmt: skip
            if not rows:
                continue
            dirs = {r["direction"] for r in rows if r["kind"] == "transfer"}
            method = "swap" if {"in", "out"} <= dirs else base_method
            first = min(r["log_index"] for r in rows)
            for r in rows:
                out.append(
                    HistoryItem(
                        network=network.id, account=account, tx_hash=tx.hash,
                        log_index=r["log_index"], kind=r["kind"], direction=r["direction"],
                        asset=r["asset"], symbol=r["symbol"], decimals=r["decimals"],
                        amount=r["amount"], counterparty=_checksum(r["counterparty"]),
                        status=status, block=tx.block, ts=ts,
                        fee=tx.fee if tx.sender == acct and r["log_index"] == first else None,
                        nonce=tx.nonce if tx.sender == acct else None, method=method,
                        made_here=tx.hash.lower() in mine,
                    )
                )  # fmt: skip
    return out


def _direction(sent: bool, received: bool) -> str:
    return "self" if sent and received else "out" if sent else "in"


class EvmNodeSource:
    """History from the network's own JSON-RPC node. Scans whole blocks only where that is
    cheap (the devnet); elsewhere it reads token events from the first sync on."""

    name = "evm-node"

    def __init__(
        self,
        network: Network,
        assets: Sequence[Asset],
        *,
        scan_blocks: bool | None = None,
        made_here: set[str] | None = None,
    ) -> None:
        from chains.evm_history import EvmHistoryReader

        self.network = network.id
        self._net = network
        self._assets = tuple(assets)
        self._scan = network.id == "devnet" if scan_blocks is None else scan_blocks
        self._made_here = made_here
        self.reader = EvmHistoryReader(network.rpc_urls[0])

    async def fetch(self, accounts: Sequence[str], cursors: Mapping[str, str | None]) -> SourcePage:
        head = await self.reader.head()
        known = [int(c) for c in cursors.values() if c is not None]
        if any(c > head for c in known):
            start = 0  # the chain is shorter than what we read: a new devnet; read it again
        elif len(known) < len(accounts):
            start = 0 if self._scan else head  # a public chain: from now on, without an API
        else:
            start = max(min(known) + 1 - REORG_WINDOW, 0)
        txs = await self.reader.scan(accounts, start, head, scan_blocks=self._scan)
        self._assets = await with_unknown_tokens(self._net, self._assets, txs)
        items = items_from_evm(txs, accounts, self._net, self._assets, made_here=self._made_here)
        return SourcePage(items, {a: str(head) for a in accounts}, replace_from=start, head=head)

    async def aclose(self) -> None:
        await self.reader.aclose()


async def with_unknown_tokens(
    network: Network, assets: tuple[Asset, ...], txs: Sequence[Any]
) -> tuple[Asset, ...]:
    """`assets` plus the tokens the history touches that the wallet does not list, read from
    their contracts (symbol, name, decimals), so a row shows what arrived instead of a blank.
    An unknown token is what airdrop scams send; the address in the details tells it apart
    from the listed token whose symbol it may copy. A contract that is not a token stays
    unnamed."""
    from chains.errors import ChainError
    from chains.evm import EvmBackend

    known = {a.contract.lower() for a in assets if a.contract}
    unknown = {
        ev.contract.lower()
        for tx in txs
        for ev in getattr(tx, "events", ())
        if ev.contract and ev.contract.lower() not in known
    }
    if not unknown:
        return assets
    backend = EvmBackend(network)
    found: list[Asset] = []
    try:
        for contract in sorted(unknown):
            try:
                meta = await backend.token_metadata(contract)
                found.append(
                    Asset(network=network.id, symbol=meta.symbol, name=meta.name,
                          decimals=meta.decimals, contract=meta.contract)
                )  # fmt: skip
            except (ChainError, ValueError):  # not a token, or one declaring absurd decimals
                continue
    finally:
        await backend.aclose()
    return (*assets, *found)


class EtherscanSource:
    """History from an Etherscan-compatible explorer API (public networks)."""

    name = "etherscan"

    def __init__(
        self,
        network: Network,
        assets: Sequence[Asset],
        base_url: str,
        api_key: str | None,
        *,
        made_here: set[str] | None = None,
        transport: Any = None,
    ) -> None:
        from chains.etherscan import EtherscanClient

        assert network.evm_chain_id is not None
        self.network = network.id
        self._net = network
        self._assets = tuple(assets)
        self._made_here = made_here
        self.client = EtherscanClient(base_url, api_key, network.evm_chain_id, transport=transport)

    async def fetch(self, accounts: Sequence[str], cursors: Mapping[str, str | None]) -> SourcePage:
        items: list[HistoryItem] = []
        new: dict[str, str] = {}
        replace_from: int | None = None
        for account in accounts:
            cur = cursors.get(account)
            start = 0 if cur is None else max(int(cur) + 1 - REORG_WINDOW, 0)
            txs, last = await self.client.history(account, start)
            self._assets = await with_unknown_tokens(self._net, self._assets, txs)
            items += items_from_evm(txs, [account], self._net, self._assets,
                                    made_here=self._made_here)  # fmt: skip
            new[account] = str(max(last, int(cur) if cur else 0))
            replace_from = start if replace_from is None else min(replace_from, start)
        head = max((int(v) for v in new.values()), default=None)
        return SourcePage(items, new, replace_from=replace_from, head=head)

    async def aclose(self) -> None:
        await self.client.aclose()


# -- Bitcoin and Litecoin ----------------------------------------------------------------------


def account_label(utxo_account: Any) -> str:
    """How history names a Bitcoin-like account: its first receiving address on the network."""
    return str(utxo_account.keys.key(0, 0).address)


class UtxoHistorySource:
    """History of Bitcoin/Litecoin accounts from their sync (wallet/utxo_sync.py): a sync reads
    every transaction of the account, so each fetch returns the whole history and rows the
    server no longer reports (a reorg, a replaced or dropped transaction) are removed.

    One row per transaction and account: `account` is the account's first receiving address on
    this network (`account_label`: regtest writes testnet keys with its own prefix); the
    amount is what left for others (out), came in (in) or came back to the account (self).
    `results` are syncs already made (the Assets refresh), keyed by account id; accounts
    without one are synced here."""

    name = "utxo"

    def __init__(
        self,
        accounts: Sequence[Any],  # wallet.utxo_sync.UtxoAccount, all on one network
        results: Mapping[int, Any] | None = None,  # account id -> SyncResult
    ) -> None:
        if not accounts:
            raise ValueError("a UTXO history source needs at least one account")
        self.accounts = tuple(accounts)
        self.network = self.accounts[0].network.id
        self._results = dict(results or {})

    def labels(self) -> list[str]:
        """The `account` values of this source's rows (HistorySync's accounts)."""
        return [account_label(ua) for ua in self.accounts]

    async def fetch(self, accounts: Sequence[str], cursors: Mapping[str, str | None]) -> SourcePage:
        items: list[HistoryItem] = []
        new: dict[str, str] = {}
        for ua in self.accounts:
            label = account_label(ua)
            if label not in accounts:
                continue
            result = self._results.get(ua.account.id) or await ua.sync()
            items += self._items(ua, result)
            new[label] = str(result.tip)
        head = max((int(v) for v in new.values()), default=None)
        return SourcePage(items, new, replace_from=0, head=head)

    def _items(self, ua: Any, result: Any) -> list[HistoryItem]:
        from chains.utxo import parse_tx, script_to_address

        net = ua.network
        ours = {ua.keys.key(c, i).script for c in (0, 1) for i in range(result.used.get(c, 0))}
        txids = [r.txid for r in result.history]
        raw: dict[str, bytes] = {}
        made: set[str] = set()
        if txids:
            marks = ",".join("?" * len(txids))
            for r in ua.store.db.execute(
                f"SELECT txid, raw FROM utxo_transactions WHERE network = ? AND txid IN ({marks})",  # noqa: S608
                [net.id, *txids],
            ):
                raw[str(r[0])] = bytes(r[1])
            if self._has_outgoing(ua.store):
                made = {
                    str(r[0])
                    for r in ua.store.db.execute(
                        f"SELECT txid FROM utxo_outgoing WHERE network = ? AND txid IN ({marks})",  # noqa: S608
                        [net.id, *txids],
                    )
                }
        now = int(time.time())
        out = []
        for rec in result.history:
            if rec.txid not in raw:
                continue
            outputs = [(o.script_pubkey.data, int(o.value)) for o in parse_tx(raw[rec.txid]).vout]
            others = [(script, v) for script, v in outputs if script not in ours]
            if rec.sent == 0:
                direction, amount, counterparty = "in", rec.received, ""
            elif not others:
                direction, amount, counterparty = "self", rec.received, ""
            else:
                direction, amount = "out", sum(v for _, v in others)
                counterparty = script_to_address(others[0][0], net) or ""
            out.append(
                HistoryItem(
                    network=net.id, account=account_label(ua), tx_hash=rec.txid, log_index=-1,
                    kind="transfer", direction=direction, asset=f"{net.id}:native",
                    symbol=net.symbol, decimals=net.decimals, amount=amount,
                    counterparty=counterparty,
                    status="confirmed" if rec.confirmed else "pending",
                    block=rec.height if rec.confirmed else None,
                    ts=rec.block_time or now,
                    fee=rec.fee if direction != "in" else None,
                    made_here=rec.txid in made,
                )
            )  # fmt: skip
        return out

    @staticmethod
    def _has_outgoing(store: Store) -> bool:
        return (
            store.db.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'utxo_outgoing'"
            ).fetchone()
            is not None
        )

    async def aclose(self) -> None:
        return None  # the backend belongs to the wallet's UTXO portfolio, which closes it


# -- sync --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SyncReport:
    added: int  # rows that did not exist before
    flagged: tuple[HistoryRow, ...] = field(default=())  # new rows that carry flags
    head: int | None = None  # the highest block the sources read to


class HistorySync:
    """One sync over the given sources. Pending rows come from the outbox (what this app
    signed and has not seen mined)."""

    def __init__(
        self,
        store: Store,
        network: Network,
        accounts: Sequence[str],
        sources: Sequence[HistorySource],
        assets: Sequence[Asset] = (),
    ) -> None:
        self.store = store
        self.history = HistoryStore(store)
        self.network = network
        self.accounts = tuple(accounts)
        self.sources = tuple(sources)
        self.assets = {a.key: a for a in assets}

    def made_here(self) -> set[str]:
        """Hashes this app signed: the EVM outbox (issue 4's table), the UTXO outgoing table
        and the swap records (issue 7), where those tables exist."""
        hashes: set[str] = set()
        for table, column in (
            ("outbox", "tx_hash"), ("utxo_outgoing", "txid"), ("swap_approvals", "tx_hash"),
            ("swaps", "approval_tx"), ("swaps", "swap_tx"), ("swaps", "fee_tx"),
        ):  # fmt: skip
            if self.history._has_table(table):
                hashes |= {
                    str(r[0]).lower()
                    for r in self.store.db.execute(
                        f"SELECT {column} FROM {table} WHERE network = ? "  # noqa: S608
                        f"AND {column} IS NOT NULL",
                        (self.network.id,),
                    )
                }
        return hashes

    def _pending_items(self) -> list[HistoryItem]:
        if not self.history._has_table("outbox"):
            return []
        from wallet.pending import Outbox

        ours = {a.lower(): a for a in self.accounts}
        items = []
        now = int(time.time())
        for e in Outbox(self.store).entries(self.network.id, open_only=True):
            account = ours.get(e.sender.lower())
            if account is None:
                continue
            asset = self.assets.get(e.asset)
            native = e.asset.endswith(":native")
            items.append(
                HistoryItem(
                    network=self.network.id, account=account, tx_hash=e.tx_hash, log_index=-1,
                    kind="transfer", direction="out", asset=e.asset,
                    symbol=asset.symbol if asset else self.network.native_symbol if native else "",
                    decimals=asset.decimals if asset else
                    self.network.native_decimals if native else None,
                    amount=e.amount, counterparty=e.recipient, status="pending", block=None,
                    ts=_iso_to_unix(e.created_at, now), nonce=e.nonce, made_here=True,
                    method="transfer",
                )
            )  # fmt: skip
        return items

    async def run(self) -> SyncReport:
        net = self.network.id
        self.history.clear_pending(net)
        before = self.history.max_id()
        pages: list[SourcePage] = []
        for source in self.sources:
            cursors = {a: self.history.cursor(net, source.name, a) for a in self.accounts}
            page = await source.fetch(self.accounts, cursors)
            self.history.apply(net, source.name, self.accounts, page)
            pages.append(page)
        mine = self.made_here()
        heads = [page.head for page in pages if page.head is not None]
        self.history.mark_made_here(net, mine)
        self.history.add_pending(net, self._pending_items())
        self.history.flag_rows(net, before)
        flagged = tuple(r for r in self.history.new_flagged(before) if r.status != "pending")
        return SyncReport(
            added=self.history.max_id() - before, flagged=flagged, head=max(heads, default=None)
        )


def _iso_to_unix(text: str, default: int) -> int:
    try:
        return int(datetime.fromisoformat(text).timestamp())
    except ValueError:
        return default


def sources_for(
    network: Network,
    assets: Sequence[Asset],
    *,
    explorer_url: str | None = None,
    explorer_key: str | None = None,
    utxo_accounts: Sequence[Any] = (),
    utxo_results: Mapping[int, Any] | None = None,
) -> list[HistorySource]:
    """The history sources of a network: an explorer API when one is configured, else the
    node (block-scanned on the devnet). Bitcoin and Litecoin: their accounts' syncs
    (`utxo_accounts`, wallet.utxo_sync.UtxoAccount on `network`; UtxoPortfolio has them)."""
    from chains.models import ChainKind

    if network.kind is not ChainKind.EVM:
        mine = [ua for ua in utxo_accounts if ua.network.id == network.id]
        return [UtxoHistorySource(mine, utxo_results)] if mine else []
    if explorer_url:
        return [EtherscanSource(network, assets, explorer_url, explorer_key)]
    return [EvmNodeSource(network, assets)]


ETHERSCAN_V2 = "https://api.etherscan.io/v2/api"
EXPLORER_KEY_ENV = "TERMWALLET_EXPLORER_KEY"


def explorer_for(network_id: str, config_file: Path | None) -> tuple[str | None, str | None]:
    """(API URL, key) of the explorer API for a network, or (None, None) to use the node.

    From settings (wallet/settings.py `explorers`): config.toml `[explorers.<network>]` with
    `url` (any Etherscan-compatible API) and `key`, the key better kept out of the file in
    TERMWALLET_EXPLORERS__<NETWORK>__KEY (TERMWALLET_EXPLORER_KEY, the older name, still
    counts). With a key and no URL, a public network uses Etherscan's V2 API (one key serves
    every chain). The devnet always reads its node. A broken config file means the node: the
    settings loader reports the file where the user sees it."""
    import os

    from wallet.settings import SettingsError, load_settings

    try:
        explorer = load_settings(config_file).explorers.get(network_id)
    except SettingsError:
        explorer = None
    url = explorer.url if explorer is not None else None
    key = (
        explorer.key.get_secret_value() if explorer is not None and explorer.key else None
    ) or os.environ.get(EXPLORER_KEY_ENV)
    if network_id == "devnet" and url is None:
        return None, None
    if url is None and key is not None:
        url = ETHERSCAN_V2
    return url, key


async def sync_wallet_history(
    session: Any, config_file: Path | None
) -> tuple[SyncReport | None, list[Exception]]:
    """Everything the History screen shows, read again: the EVM network's sources (the node or
    an explorer API), then the Bitcoin/Litecoin accounts. One failing source does not stop the
    others; the saved rows stay. Returns the EVM report (None if it failed or there is no EVM
    account) and the typed errors met, for the screen to show and diagnostics to quote."""
    import asyncio

    from chains.errors import ChainError

    errors: list[Exception] = []
    report: SyncReport | None = None
    if session.addresses:
        url, key = await asyncio.to_thread(explorer_for, session.network.id, config_file)
        # In a thread: building a source imports httpx (~0.15 s) the first time.
        sources = await asyncio.to_thread(
            sources_for, session.network, session.assets, explorer_url=url, explorer_key=key
        )
        try:
            report = await HistorySync(
                session.store, session.network, session.addresses, sources, session.assets
            ).run()
        except ChainError as exc:
            errors.append(exc)
        finally:
            for source in sources:
                await source.aclose()
    try:
        await session.sync_utxo_history()
    except ChainError as exc:
        errors.append(exc)
    return report, errors
