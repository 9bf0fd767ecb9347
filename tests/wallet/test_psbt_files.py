"""PSBT files as other wallets write them (wallet/psbt_files.py): binary (Sparrow, Coldcard,
Electrum's export), base64 (Electrum's and Sparrow's copy; with line breaks as some tools
wrap it), hex; detected by content. Damaged text is refused with what to do."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from wallet.psbt_files import (
    PsbtFileError,
    PsbtFormat,
    decode_psbt,
    encode_psbt,
    read_psbt_file,
    write_psbt_file,
)

ROOT = Path(__file__).resolve().parents[2]
VECTOR = json.loads((ROOT / "tests/devices/vectors/bip174_signer.json").read_text("utf-8"))
PSBT = bytes.fromhex(VECTOR["unsigned_psbt_hex"])


def test_every_format_reads_back_to_the_same_bytes(tmp_path: Path) -> None:
    b64 = base64.b64encode(PSBT).decode()
    wrapped = "\n".join(b64[i : i + 64] for i in range(0, len(b64), 64)) + "\r\n"
    for data in (PSBT, b64, b64.encode(), wrapped, "  " + PSBT.hex() + "\n", PSBT.hex().upper()):
        assert decode_psbt(data) == PSBT
    for fmt in PsbtFormat:
        path = tmp_path / f"x-{fmt.value}.psbt"
        write_psbt_file(path, PSBT, fmt)
        assert read_psbt_file(path) == PSBT
    assert (tmp_path / "x-binary.psbt").read_bytes() == PSBT
    assert (tmp_path / "x-base64.psbt").read_text("ascii") == b64 + "\n"
    assert encode_psbt(PSBT, PsbtFormat.BASE64).strip() == b64.encode()
    assert not list(tmp_path.glob(".psbt-*"))  # no temp file left behind


def test_damaged_or_foreign_content_is_refused(tmp_path: Path) -> None:
    b64 = base64.b64encode(PSBT).decode()
    with pytest.raises(PsbtFileError, match="base64 text is damaged"):
        decode_psbt(b64[:-3] + "!" + b64[-2:])
    with pytest.raises(PsbtFileError, match="not a PSBT"):
        decode_psbt("0200000001" + "00" * 40)  # a raw transaction, not a PSBT
    with pytest.raises(PsbtFileError, match="not a PSBT"):
        decode_psbt(b"")
    with pytest.raises(PsbtFileError, match="cannot read"):
        read_psbt_file(tmp_path / "missing.psbt")
    with pytest.raises(PsbtFileError, match="not a PSBT"):
        encode_psbt(b"nope", PsbtFormat.BINARY)
