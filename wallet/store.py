"""The SQLite store: one file in the data dir, WAL, versioned schema, forward-only migrations.

Amounts are stored as TEXT holding a base-10 integer: wei exceed SQLite's 64-bit INTEGER.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from said import Said
from wallet.migrations import MIGRATIONS


class StoreError(Exception):
    code = "STORE"


class _Connection(sqlite3.Connection):
    """`with db:` is one transaction: every write in the block lands, or none does.

    The store runs in autocommit mode (isolation_level=None) so that a lone statement commits
    at once and no implicit transaction is left open. In that mode sqlite3's own context
    manager begins nothing, and a block of writes would not be atomic. This one begins an
    IMMEDIATE transaction (the write lock up front, so it cannot fail half-way on a busy
    database), commits when the outermost block ends, and rolls back on an exception."""

    _depth = 0

    def __enter__(self) -> _Connection:
        if self._depth == 0 and not self.in_transaction:
            self.execute("BEGIN IMMEDIATE")
            self._owns = True
        elif self._depth == 0:
            self._owns = False  # a transaction someone began explicitly: theirs to end
        self._depth += 1
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> bool:
        self._depth -= 1
        if self._depth == 0 and self._owns and self.in_transaction:
            if exc_type is None:
                self.commit()
            else:
                self.rollback()
        return False


class Store:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.db = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, factory=_Connection
        )
        self.db.row_factory = sqlite3.Row
        try:
            self._open()
        except sqlite3.DatabaseError:
            # Not a database, truncated, or damaged: say so and change nothing (the recovery
            # phrase and the keystore are what matter; this file can be rebuilt from them).
            self.db.close()
            raise StoreError(
                Said(
                    "store.damaged_not_termwallet_database",
                    "{path} is damaged or not a termwallet database; it was not "
                    "changed. Restore it from a backup, or move it aside: the "
                    "keystore (your keys) is a separate file and was not touched",
                    path=self.path,
                )
            ) from None
        self.path.chmod(0o600)
        self.migrate()  # its own errors are bugs, not damage: they keep their type

    def _open(self) -> None:
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.execute("PRAGMA busy_timeout=5000")
        # A crash must not lose a committed signed transaction: FULL syncs the WAL on commit.
        self.db.execute("PRAGMA synchronous=FULL")
        # Reads the schema: a file that is no database, or a truncated one, fails here.
        self.db.execute("SELECT count(*) FROM sqlite_master").fetchone()

    @property
    def schema_version(self) -> int:
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    def migrate(self) -> None:
        current = self.schema_version
        latest = len(MIGRATIONS)
        if current > latest:
            raise StoreError(
                Said(
                    "store.was_written_by_newer",
                    "{path} was written by a newer termwallet (schema {current}, "
                    "this one knows {latest}). Upgrade termwallet; the file was "
                    "not changed.",
                    path=self.path,
                    current=current,
                    latest=latest,
                )
            )
        for version, sql in enumerate(MIGRATIONS[current:], start=current + 1):
            # One transaction per step, inside the script because executescript() commits
            # whatever is open before it runs: a failed step leaves the previous version intact.
            try:
                self.db.executescript(
                    f"BEGIN IMMEDIATE;\n{sql}\nPRAGMA user_version = {version};\nCOMMIT;"
                )
            except BaseException:
                if self.db.in_transaction:
                    self.db.execute("ROLLBACK")
                raise

    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute(
            "INSERT INTO meta(key, value) VALUES(?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def close(self) -> None:
        self.db.close()
