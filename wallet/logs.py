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


def setup_logging(log_dir: Path, level: int = logging.INFO) -> Path:
    """Log to log_dir; FolderNotWritable (naming the folder and the fix) when it cannot be."""
    from wallet.paths import FolderNotWritable

    path = log_dir / LOG_NAME
    try:
        log_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        # Create it private before the handler opens it: the default umask would make it 0644.
        os.close(os.open(path, os.O_CREAT | os.O_APPEND | os.O_WRONLY, 0o600))
        path.chmod(0o600)
        handler = RotatingFileHandler(path, maxBytes=1_000_000, backupCount=3, encoding="utf-8")
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
