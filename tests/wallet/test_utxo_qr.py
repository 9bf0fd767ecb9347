"""Receive QR codes drawn in text decode, with an independent reader (zxing-cpp), to exactly
the payment URI of the address."""

from __future__ import annotations

import pytest

from chains.utxo_networks import utxo_network
from wallet.qr import payment_uri, qr_text, receive_qr

zxingcpp = pytest.importorskip("zxingcpp", reason="zxing-cpp (test extra) is not installed")

_DARK = {
    " ": (False, False),
    "\u2580": (True, False),
    "\u2584": (False, True),
    "\u2588": (True, True),
}


def decode(lines: tuple[str, ...], *, invert: bool = True) -> str:
    """Text -> pixels (8 per module, as a camera would see the terminal) -> zxing-cpp."""
    from PIL import Image

    rows: list[list[bool]] = []
    for line in lines:
        top, bottom = zip(*(_DARK[c] for c in line), strict=True)
        rows += [list(top), list(bottom)]
    scale = 8
    img = Image.new("L", (len(rows[0]) * scale, len(rows) * scale), 255)
    for y, row in enumerate(rows):
        for x, filled in enumerate(row):
            dark = filled != invert  # invert: a drawn block is a light module
            if dark:
                img.paste(0, (x * scale, y * scale, (x + 1) * scale, (y + 1) * scale))
    found = zxingcpp.read_barcodes(img)
    assert len(found) == 1, "no QR code found"
    return str(found[0].text)


@pytest.mark.parametrize(
    ("net", "address", "uri"),
    [
        (
            "btc",
            "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
            "bitcoin:BC1QAR0SRRR7XFKVY5L643LYDNW9RE59GTZZWF5MDQ",
        ),
        (
            "ltc-regtest",
            "rltc1qf544fcljp5x0kan4p9gtnut2rzm4m7tnj4mldl",
            "litecoin:RLTC1QF544FCLJP5X0KAN4P9GTNUT2RZM4M7TNJ4MLDL",
        ),
    ],
)
def test_receive_qr_decodes_to_the_payment_uri(net: str, address: str, uri: str) -> None:
    q = receive_qr(address, utxo_network(net))
    assert q.payload == uri
    assert decode(q.lines) == uri
    # Two module rows per text line, every line as wide as the symbol.
    assert len(q.lines) == (q.size + 1) // 2 and {len(line) for line in q.lines} == {q.size}


def test_amount_in_the_uri_is_whole_coins() -> None:
    net = utxo_network("btc")
    uri = payment_uri("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", net, 123_450_000)
    assert uri.endswith("?amount=1.2345")
    assert decode(qr_text(uri).lines) == uri


def test_dark_on_light_also_reads() -> None:
    q = qr_text("hello termwallet", invert=False)
    assert decode(q.lines, invert=False) == "hello termwallet"
