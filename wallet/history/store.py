"""HistoryStore: the history rows, the user's labels and notes, and each source's cursors,
in SQLite."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import IO, Any

from said import Said
from wallet.activity import Context, Flag, RowFacts, evaluate
from wallet.history.model import (
    WATCH_START,
    BadFilter,
    HistoryItem,
    HistoryQuery,
    HistoryRow,
    SourcePage,
)
from wallet.store import Store

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
            raise BadFilter(
                Said("history.store.label_at_most_64", "a label is at most 64 characters")
            )
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
            raise BadFilter(
                Said("history.store.note_at_most_2", "a note is at most 2,000 characters")
            )
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

    def export_csv(
        self, out: IO[str], q: HistoryQuery = HistoryQuery(), day_prices: Any = None
    ) -> int:
        """The matching rows as CSV (wallet/history/export.py); returns how many."""
        from wallet.history.export import write_csv

        return write_csv(self, out, q, day_prices)
