"""Secrets never reach the log file, whatever path they take into a record."""

import logging
import os
import stat
from collections.abc import Iterator
from logging.handlers import RotatingFileHandler
from pathlib import Path

import pytest

from wallet.logs import recent_lines, setup_logging

# A valid BIP39 phrase used only as a canary; and a valid mainnet WIF (the "1" private key).
CANARY_PHRASE = "legal winner thank year wave sausage worth useful legal winner thank yellow"
CANARY_WIF = "KwDiBf89QgGbjEhKnhXJuH7LrciVrZi3qYjgd9M7rFU73sVHnoWn"


@pytest.fixture
def log_dir(tmp_path: Path) -> Iterator[Path]:
    d = tmp_path / "logs"
    setup_logging(d)
    yield d
    root = logging.getLogger()
    for h in [h for h in root.handlers if getattr(h, "_termwallet", False)]:
        root.removeHandler(h)
        h.close()


def _flush() -> None:
    for h in logging.getLogger().handlers:
        h.flush()


def test_log_file_is_private(log_dir: Path) -> None:
    assert stat.S_IMODE((log_dir / "termwallet.log").stat().st_mode) == 0o600


def test_secrets_in_messages_args_and_exceptions_are_redacted(log_dir: Path) -> None:
    log = logging.getLogger("wallet.test")
    log.info("user pasted: %s", CANARY_PHRASE)
    log.warning(f"key was {CANARY_WIF} oops")
    try:
        raise ValueError(f"bad input {CANARY_PHRASE}")
    except ValueError:
        log.exception("import failed")
    log.info("an ordinary line about block 12")
    _flush()
    text = (log_dir / "termwallet.log").read_text()
    assert CANARY_PHRASE not in text and CANARY_WIF not in text
    assert "legal winner thank" not in text
    assert text.count("[REDACTED") >= 3
    assert "an ordinary line about block 12" in text
    assert "ValueError" in text  # the traceback is kept, only the secret is gone


def test_recent_lines_reads_the_tail(log_dir: Path) -> None:
    log = logging.getLogger("wallet.test")
    for i in range(80):
        log.info("line %d", i)
    _flush()
    lines = recent_lines(log_dir, 10)
    assert len(lines) == 10 and lines[-1].endswith("line 79")


def test_log_files_stay_private_after_rotation(log_dir: Path) -> None:
    old_umask = os.umask(0o022)  # the common default, which makes open() create 0644 files
    try:
        handler = next(h for h in logging.getLogger().handlers if getattr(h, "_termwallet", 0))
        logging.getLogger("wallet.test").warning("before the rollover")
        assert isinstance(handler, RotatingFileHandler)
        handler.doRollover()
        logging.getLogger("wallet.test").warning("after the rollover")
        _flush()
    finally:
        os.umask(old_umask)
    files = sorted(log_dir.iterdir())
    assert [f.name for f in files] == ["termwallet.log", "termwallet.log.1"]
    assert {f.name: stat.S_IMODE(f.stat().st_mode) for f in files} == {
        "termwallet.log": 0o600,
        "termwallet.log.1": 0o600,
    }
