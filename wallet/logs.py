"""The app's log file: logs/termwallet.log in the data home, mode 0600, rotated.

Every record passes through the support scrubber's redact() before it is written, exception
text included, so a secret that slips into a message (a pasted phrase in an error, a key in a
library's exception) is replaced by [REDACTED:kind] rather than stored. The scrubber is
imported on the first record, not at start-up (its wordlists take time to load).
"""

from __future__ import annotations

import logging
import os
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import IO

LOG_NAME = "termwallet.log"


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        from wallet.support.scrubber import redact

        message, count = redact(record.getMessage())
        if count:
            record.msg, record.args = message, ()
        if record.exc_info:
            text = logging.Formatter().formatException(record.exc_info)
            record.exc_text = redact(text)[0]
            record.exc_info = None  # formatted and redacted above; never format it again
        if record.stack_info:
            record.stack_info = redact(record.stack_info)[0]
        return True


class PrivateRotatingFileHandler(RotatingFileHandler):
    """RotatingFileHandler whose files are created 0600. The standard one opens each new file
    (also the one after a rollover) with open(), i.e. with the umask: 0644 by default."""

    def _open(self) -> IO[str]:
        fd = os.open(self.baseFilename, os.O_CREAT | os.O_APPEND | os.O_WRONLY, 0o600)
        os.fchmod(fd, 0o600)  # an older file from before this handler keeps no wider mode
        return open(fd, "a", encoding=self.encoding, errors=self.errors)


def setup_logging(log_dir: Path, level: int = logging.INFO) -> Path:
    """Log to log_dir; FolderNotWritable (naming the folder and the fix) when it cannot be."""
    from wallet.paths import FolderNotWritable

    path = log_dir / LOG_NAME
    try:
        log_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        handler = PrivateRotatingFileHandler(
            path, maxBytes=1_000_000, backupCount=3, encoding="utf-8"
        )
    except OSError as exc:
        raise FolderNotWritable.from_os_error(log_dir, exc) from exc
    handler.addFilter(RedactingFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_termwallet", False)]:
        root.removeHandler(old)
        old.close()
    handler._termwallet = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    return path


def recent_lines(log_dir: Path, count: int = 50) -> list[str]:
    """The last lines of the log (already redacted when written), for support diagnostics."""
    path = log_dir / LOG_NAME
    try:
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - 64_000))
            lines = fh.read().decode("utf-8", "replace").splitlines()
    except OSError:
        return []
    return lines[-count:]
