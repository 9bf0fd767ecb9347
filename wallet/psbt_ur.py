"""BC-UR (crypto-psbt) text for QR signers: placeholder until the encoder lands."""

from __future__ import annotations


def is_ur_text(text: str) -> bool:
    return text.lstrip()[:3].lower() == "ur:"


def decode_ur_text(text: str) -> bytes:
    from wallet.psbt_files import PsbtFileError

    raise PsbtFileError("UR text is not read yet")
