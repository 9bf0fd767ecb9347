"""Damaged or strange local files, through `tui.cli.main`: a clear message and exit status 2,
never a traceback, and the keystore (and a damaged database) left exactly as they were."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from tui.cli import main
from wallet.keystore import KdfParams, Keystore
from wallet.paths import Paths
from wallet.store import Store

PHRASE = "legal winner thank year wave sausage worth useful legal winner thank yellow"
PASSWORD = "the right password"


@pytest.fixture
def home(termwallet_home: Path, tmp_path: Path) -> Paths:
    paths = Paths.default().ensure()
    Keystore(paths.data_dir / "keystore.json", kdf=KdfParams.cheap_for_tests()).create(
        PHRASE, PASSWORD
    )
    Store(paths.database).close()
    (tmp_path / "pw").write_text(PASSWORD + "\n")
    return paths


def _digest(path: Path) -> str:
    if path.is_symlink():
        return "link:" + str(path.readlink())
    if path.is_dir():
        return "dir"
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return err


def _corrupt(db: Path) -> None:
    db.write_bytes(b"\x8f" * 5000)


def _truncated(db: Path) -> None:
    with db.open("r+b") as fh:
        fh.truncate(3000)


def _newer(db: Path) -> None:
    con = sqlite3.connect(db)
    con.execute("PRAGMA user_version = 999")
    con.commit()
    con.close()


@pytest.mark.parametrize(
    ("damage", "says"),
    [(_corrupt, "damaged"), (_truncated, "damaged"), (_newer, "newer termwallet")],
    ids=["corrupt", "truncated", "newer-schema"],
)
def test_a_damaged_database_is_named_and_left_alone(
    home: Paths,
    damage: Callable[[Path], None],
    says: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for extra in ("-wal", "-shm"):
        Path(str(home.database) + extra).unlink(missing_ok=True)
    damage(home.database)
    before = (_digest(home.database), _digest(home.data_dir / "keystore.json"))
    err = _run(["accounts"], capsys)
    assert says in err and str(home.database) in err
    assert (_digest(home.database), _digest(home.data_dir / "keystore.json")) == before


@pytest.mark.parametrize("kind", ["directory", "dev-zero"])
def test_a_keystore_that_is_no_file_is_refused_untouched(
    home: Paths, kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ks = home.data_dir / "keystore.json"
    ks.unlink()
    if kind == "directory":
        ks.mkdir()
    else:
        ks.symlink_to("/dev/zero")
    err = _run(["totp", "enable", "--password-file", str(tmp_path / "pw")], capsys)
    assert "not read" in err and "keystore.json" in err
    assert _digest(ks) == ("dir" if kind == "directory" else "link:/dev/zero")


@pytest.mark.parametrize("source", ["/dev/zero", "binary", "folder"])
def test_password_and_description_files_are_read_with_a_cap(
    home: Paths, source: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if source == "binary":
        path = tmp_path / "binary"
        path.write_bytes(bytes(range(256)) * 4)
    elif source == "folder":
        path = tmp_path / "folder"
        path.mkdir()
    else:
        path = Path(source)
    before = _digest(home.data_dir / "keystore.json")
    err = _run(["totp", "enable", "--password-file", str(path)], capsys)
    assert str(path) in err
    err = _run(
        ["ticket", "new", "--subject", "help", "--category", "other", "--channel", "email",
         "--description-file", str(path), "--yes"],
        capsys,
    )  # fmt: skip
    assert str(path) in err
    assert _digest(home.data_dir / "keystore.json") == before


def test_rpc_urls_must_be_network_urls(home: Paths, capsys: pytest.CaptureFixture[str]) -> None:
    home.config_file.write_text('rpc_urls = { eth = ["file:///etc/passwd"] }\n')
    err = _run(["balance"], capsys)
    assert "rpc_urls" in err and "https://" in err


def test_a_deleted_database_is_rebuilt_from_the_keystore(
    home: Paths, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ks = home.data_dir / "keystore.json"
    for suffix in ("", "-wal", "-shm"):
        Path(str(home.database) + suffix).unlink(missing_ok=True)
    assert main(["accounts"]) == 0
    assert "rebuilds the accounts" in capsys.readouterr().err
    (tmp_path / "wrong").write_text("not the password\n")
    err = _run(["init", "--password-file", str(tmp_path / "wrong")], capsys)
    assert "wrong password" in err
    assert main(["init", "--password-file", str(tmp_path / "pw")]) == 0
    out, err = capsys.readouterr()
    assert "rebuilt" in err and "0x58A57ed9d8d624cBD12e2C467D34787555bB1b25" in out
    # Read, not replaced (a test keystore's cheap KDF is upgraded on unlock, by design).
    assert Keystore(ks).unlock(PASSWORD).mnemonic == PHRASE
    # A wallet with its accounts is not "rebuilt" twice: init refuses as before.
    err = _run(["init", "--password-file", str(tmp_path / "pw")], capsys)
    assert "already exists" in err
