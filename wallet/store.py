"""The SQLite store: one file in the data dir, WAL, versioned schema, forward-only migrations.

Amounts are stored as TEXT holding a base-10 integer: wei exceed SQLite's 64-bit INTEGER.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from wallet.migrations import MIGRATIONS


class StoreError(Exception):
    code = "STORE"


class Store:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.execute("PRAGMA busy_timeout=5000")
        # A crash must not lose a committed signed transaction: FULL syncs the WAL on commit.
        self.db.execute("PRAGMA synchronous=FULL")
        self.path.chmod(0o600)
        self.migrate()

    @property
    def schema_version(self) -> int:
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    def migrate(self) -> None:
        current = self.schema_version
        latest = len(MIGRATIONS)
        if current > latest:
            raise StoreError(
                f"{self.path} was written by a newer termwallet (schema {current}, this one knows "
                f"{latest}). Upgrade termwallet; the file was not changed."
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
