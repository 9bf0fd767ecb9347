import sqlite3
import stat
from pathlib import Path

import pytest

from wallet.migrations import MIGRATIONS
from wallet.store import Store, StoreError


def test_new_store_is_wal_at_latest_schema_and_private(tmp_path: Path) -> None:
    store = Store(tmp_path / "w.sqlite3")
    assert store.schema_version == len(MIGRATIONS) >= 1
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert stat.S_IMODE((tmp_path / "w.sqlite3").stat().st_mode) == 0o600
    store.close()


def test_reopening_keeps_data_and_does_not_migrate_twice(tmp_path: Path) -> None:
    path = tmp_path / "w.sqlite3"
    store = Store(path)
    store.set_meta("k", "v")
    store.close()
    again = Store(path)
    assert again.get_meta("k") == "v"
    assert again.schema_version == len(MIGRATIONS)
    again.close()


def test_a_newer_schema_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "w.sqlite3"
    Store(path).close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 5}")
    db.close()
    before = path.read_bytes()
    with pytest.raises(StoreError, match="newer termwallet"):
        Store(path)
    assert path.read_bytes() == before


def test_a_failing_migration_rolls_back_to_the_previous_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "w.sqlite3"
    Store(path).close()
    broken = "CREATE TABLE half_done (x INTEGER);\nTHIS IS NOT SQL;"
    monkeypatch.setattr("wallet.store.MIGRATIONS", [*MIGRATIONS, broken])
    with pytest.raises(sqlite3.OperationalError):
        Store(path)
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "half_done" not in tables


def test_amounts_larger_than_64_bits_survive(tmp_path: Path) -> None:
    store = Store(tmp_path / "w.sqlite3")
    big = 2**255 + 12345
    store.db.execute(
        "INSERT INTO balances VALUES('eth', '0xabc', 'eth:native', ?, 1, '2026-01-01T00:00:00')",
        (str(big),),
    )
    (amount,) = store.db.execute("SELECT amount FROM balances").fetchone()
    assert int(amount) == big


def test_a_with_block_is_one_transaction(tmp_path: Path) -> None:
    store = Store(tmp_path / "w.sqlite3")
    with pytest.raises(RuntimeError), store.db:
        store.db.execute("INSERT INTO meta VALUES('a', '1')")
        store.db.execute("INSERT INTO meta VALUES('b', '2')")
        raise RuntimeError("crash half-way")
    assert store.get_meta("a") is None and store.get_meta("b") is None
    with store.db:
        store.db.execute("INSERT INTO meta VALUES('a', '1')")
        with store.db:  # nested: the outer block decides
            store.db.execute("INSERT INTO meta VALUES('b', '2')")
        assert store.db.in_transaction
    assert not store.db.in_transaction
    assert store.get_meta("a") == "1" and store.get_meta("b") == "2"
    # Seen from another connection: committed, not just visible to this one.
    other = sqlite3.connect(tmp_path / "w.sqlite3")
    assert other.execute("SELECT count(*) FROM meta").fetchone()[0] == 2
    other.close()
    store.set_meta("c", "3")  # a lone statement still commits at once
    assert not store.db.in_transaction
