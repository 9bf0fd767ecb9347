"""Receive addresses as QR codes drawn with text, for a terminal (segno builds the symbol).

Two rows of modules per line of text with the half-block characters, so the code stays
roughly square in a terminal cell grid; dark modules are drawn as spaces on a light
background by default (`invert=True`), which is what phone cameras read best on dark
terminals. Bech32 addresses are upper-cased in the URI: BIP173 allows it, and QR's
alphanumeric mode makes the symbol smaller.
"""

from __future__ import annotations

from dataclasses import dataclass

from chains.utxo_networks import UtxoNetwork

_SCHEMES = {"btc": "bitcoin", "ltc": "litecoin"}

_BLOCKS = {
    (False, False): " ",
    (True, False): "\u2580",  # upper half block
    (False, True): "\u2584",  # lower half block
    (True, True): "\u2588",  # full block
}


@dataclass(frozen=True)
class QrText:
    lines: tuple[str, ...]
    payload: str  # what the code holds
    size: int  # modules per side, border included

    def __str__(self) -> str:
        return "\n".join(self.lines)


def payment_uri(address: str, network: UtxoNetwork, amount: int | None = None) -> str:
    """BIP21 'bitcoin:' (or 'litecoin:') URI. The amount is in base units here and written in
    whole coins with chains.units."""
    scheme = _SCHEMES.get(network.id.split("-")[0], network.id)
    addr = address.upper() if address.lower().startswith(network.hrp + "1") else address
    uri = f"{scheme}:{addr}"
    if amount is not None:
        from chains.units import format_amount

        uri += "?amount=" + format_amount(amount, network.decimals).replace(",", "")
    return uri


def qr_text(payload: str, *, border: int = 2, invert: bool = True) -> QrText:
    """The QR code of `payload` as lines of half blocks (error correction M)."""
    import segno

    code = segno.make(payload, error="m", micro=False, boost_error=False)
    rows = [[bool(v) != invert for v in row] for row in code.matrix_iter(border=border)]
    if len(rows) % 2:
        rows.append([invert] * len(rows[0]))  # a row of light modules
    lines = tuple(
        "".join(_BLOCKS[(top, bottom)] for top, bottom in zip(rows[i], rows[i + 1], strict=True))
        for i in range(0, len(rows), 2)
    )
    return QrText(lines=lines, payload=payload, size=len(rows[0]))


def receive_qr(address: str, network: UtxoNetwork, amount: int | None = None) -> QrText:
    return qr_text(payment_uri(address, network, amount))
