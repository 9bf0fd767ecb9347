"""Files the user names on the command line (--password-file, --description-file, ...): read
with a size cap, as UTF-8 text, with a clear message for anything else.

A cap, not a regular-file check: `--password-file <(pass show wallet)` is a pipe and must work,
while /dev/zero or a 4 GB file by mistake must not fill the memory before we notice.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

SECRET_LIMIT = 64 * 1024  # a password, phrase, passphrase or code
TEXT_LIMIT = 256 * 1024  # a ticket description or follow-up (the desk caps them far lower)


def shown(path: Path | str) -> str:
    """A path as it may be printed: control characters escaped (a file name is outside text
    and could hold terminal escape sequences)."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(path))


def shown_from_home(path: Path) -> str:
    """A file the app wrote, as shown on screen: below the user's home folder as ~/..., as
    shells write it (shorter, and a screenshot shared for help does not carry the user's
    name); escaped as shown() does."""
    try:
        rest = path.relative_to(Path.home())
    except (ValueError, RuntimeError):  # not below it, or no home folder known
        return shown(path)
    return shown(Path("~") / rest)


def read_user_text(path: Path | str, *, limit: int) -> str:
    """The file's text; CliError (in the user's language) when it cannot be read, is a folder,
    is larger than `limit` bytes (or endless), or is not UTF-8 text."""
    from tui.cli_errors import CliError
    from tui.i18n import t

    try:
        with open(path, "rb") as fh:
            data = fh.read(limit + 1)
    except IsADirectoryError:
        raise CliError(t("files.folder", path=shown(path))) from None
    except OSError as exc:
        raise CliError(t("files.unreadable", path=shown(path), reason=exc.strerror)) from None
    return _text(data, shown(path), limit)


def read_stdin_text(*, limit: int, stdin: TextIO | None = None) -> str:
    stream = stdin or sys.stdin
    raw = stream.buffer.read(limit + 1) if hasattr(stream, "buffer") else None
    if raw is None:
        text = stream.read(limit + 1)
        raw = text.encode("utf-8", "surrogateescape")
    return _text(raw, "stdin", limit)


def _text(data: bytes, name: str, limit: int) -> str:
    from tui.cli_errors import CliError
    from tui.i18n import t

    if len(data) > limit:
        raise CliError(t("files.too_large", path=name, kib=limit // 1024))
    if b"\0" in data:
        raise CliError(t("files.binary", path=name))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise CliError(t("files.binary", path=name)) from None
