"""PSBT files as other wallets write them: BIP174 binary (Sparrow's and Coldcard's `.psbt`,
Electrum's "Export to file") or base64 text (Electrum's and Sparrow's "copy", Bitcoin Core's
RPCs), read by looking at the content rather than the file name; hex is accepted too (some
tools print it). Written in the format the user picks (binary by default: every one of those
wallets opens it).
"""

from __future__ import annotations

import base64
import binascii
import re
from enum import StrEnum
from pathlib import Path

from said import Said

MAGIC = b"psbt\xff"
MAX_PSBT_BYTES = 4_000_000  # a block's weight limit: no PSBT of a standard tx comes near it


class PsbtFormat(StrEnum):
    BINARY = "binary"
    BASE64 = "base64"


class PsbtFileError(ValueError):
    """The data is no PSBT in any format we read; says which formats are accepted."""

    code = "PSBT_FILE"


_WHITESPACE = re.compile(rb"\s+")


def decode_psbt(data: bytes | str) -> bytes:
    """The binary PSBT in `data`: binary, base64 or hex (surrounding whitespace and line
    breaks ignored). Only the format is checked here; devices/psbt.parse_psbt checks content."""
    raw = data.encode("ascii", "replace") if isinstance(data, str) else bytes(data)
    if len(raw) > 2 * MAX_PSBT_BYTES:
        raise PsbtFileError(
            Said("psbt_files.file_far_too_large", "the file is far too large for a PSBT")
        )
    if raw.startswith(MAGIC):
        return raw
    text = _WHITESPACE.sub(b"", raw)
    if text.startswith(b"cHNidP"):  # base64 of the magic
        try:
            out = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise PsbtFileError(
                Said(
                    "psbt_files.base64_text_damaged_cut",
                    "the base64 text is damaged (cut or changed?)",
                )
            ) from None
        if out.startswith(MAGIC):
            return out
    if text[:10].lower() == MAGIC.hex().encode():
        try:
            return bytes.fromhex(text.decode("ascii"))
        except ValueError:
            raise PsbtFileError(
                Said("psbt_files.hex_text_damaged_cut", "the hex text is damaged (cut or changed?)")
            ) from None
    raise PsbtFileError(
        Said(
            "psbt_files.not_psbt_expected_bip174",
            "this is not a PSBT: expected a BIP174 file (binary, base64 "
            "or hex), as Sparrow, Electrum and Coldcard write them",
        )
    )


def encode_psbt(psbt: bytes, fmt: PsbtFormat) -> bytes:
    if not psbt.startswith(MAGIC):
        raise PsbtFileError(Said("psbt_files.not_psbt", "not a PSBT"))
    if fmt is PsbtFormat.BASE64:
        return base64.b64encode(psbt) + b"\n"
    return psbt


def read_psbt_file(path: Path) -> bytes:
    try:
        with path.open("rb") as f:
            data = f.read(2 * MAX_PSBT_BYTES + 1)
    except OSError as exc:
        raise PsbtFileError(
            Said(
                "psbt_files.cannot_read",
                "cannot read {path}: {reason}",
                path=path,
                reason=exc.strerror or type(exc).__name__,
            )
        ) from None
    return decode_psbt(data)


def write_psbt_file(path: Path, psbt: bytes, fmt: PsbtFormat) -> None:
    """Written whole or not at all (a temp file renamed over it): a half-written PSBT that a
    signer later reads would only fail there, far from here."""
    import os
    import tempfile

    data = encode_psbt(psbt, fmt)
    directory = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=".psbt-", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise PsbtFileError(
            Said(
                "psbt_files.cannot_write",
                "cannot write {path}: {reason}",
                path=path,
                reason=exc.strerror or type(exc).__name__,
            )
        ) from None
