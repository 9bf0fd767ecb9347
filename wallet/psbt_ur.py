"""PSBTs as BC-UR `crypto-psbt` text for QR signers (Keystone, Jade, SeedSigner, Passport):
one part when it fits a QR code, else an endless stream of fountain-coded parts shown as an
animated QR; and the way back, UR text pasted or read from a file.

Written here, not taken from a library, because none is packaged: PyPI's `urtypes` holds the
CBOR registry types but no bytewords or fountain code, and the reference ports (Foundation's
foundation-ur-py, Blockchain Commons' C++/Swift/JS) are not on PyPI. The algorithms follow
BCR-2020-005 (UR), BCR-2020-012 (bytewords) and the reference fountain encoder (xoshiro256**
seeded by SHA-256, Walker-alias degree sampler, Fisher-Yates choice of fragments), which every
decoder must reproduce bit for bit; tests/wallet/test_psbt_ur.py decodes our parts with the
JavaScript reference decoder (@ngraveio/bc-ur, npm) to prove it.
"""

from __future__ import annotations

import hashlib
import math
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

from said import Said

UR_TYPE = "crypto-psbt"
MIN_FRAGMENT = 10
DEFAULT_FRAGMENT = 200  # bytes of PSBT per part: a QR code a phone or device scans quickly
_MASK = (1 << 64) - 1

BYTEWORDS = (
    "ableacidalsoapexaquaarchatomauntawayaxisbackbaldbarnbeltbetabiasbluebodybragbrewbulbbuzz"
    "calmcashcatschefcityclawcodecolacookcostcruxcurlcuspcyandarkdatadaysdelidicedietdoordown"
    "drawdropdrumdulldutyeacheasyechoedgeepicevenexamexiteyesfactfairfernfigsfilmfishfizzflap"
    "flewfluxfoxyfreefrogfuelfundgalagamegeargemsgiftgirlglowgoodgraygrimgurugushgyrohalfhang"
    "hardhawkheathelphighhillholyhopehornhutsicedideaidleinchinkyintoirisironitemjadejazzjoin"
    "joltjowljudojugsjumpjunkjurykeepkenokeptkeyskickkilnkingkitekiwiknoblamblavalazyleaflegs"
    "liarlimplionlistlogoloudloveluaulucklungmainmanymathmazememomenumeowmildmintmissmonknail"
    "navyneednewsnextnoonnotenumbobeyoboeomitonyxopenovalowlspaidpartpeckplaypluspoempoolpose"
    "puffpumapurrquadquizraceramprealredorichroadrockroofrubyruinrunsrustsafesagascarsetssilk"
    "skewslotsoapsolosongstubsurfswantacotasktaxitenttiedtimetinytoiltombtoystriptunatwinugly"
    "undouniturgeuservastveryvetovialvibeviewvisavoidvowswallwandwarmwaspwavewaxywebswhatwhen"
    "whizwolfworkyankyawnyellyogayurtzapszerozestzinczonezoom"
)
_MINIMAL = [BYTEWORDS[4 * i] + BYTEWORDS[4 * i + 3] for i in range(256)]
_FROM_MINIMAL = {w: i for i, w in enumerate(_MINIMAL)}


class UrError(ValueError):
    """UR text that is damaged, of another type, or incomplete; says which."""

    code = "PSBT_FILE"


# -- bytewords (minimal style: first and last letter, CRC-32 appended) ------------------------


def bytewords_encode(data: bytes) -> str:
    body = data + zlib.crc32(data).to_bytes(4, "big")
    return "".join(_MINIMAL[b] for b in body)


def bytewords_decode(text: str) -> bytes:
    text = text.lower()
    if len(text) % 2 or len(text) < 10:
        raise UrError(Said("psbt_ur.ur_text_cut_short", "the UR text is cut short"))
    try:
        body = bytes(_FROM_MINIMAL[text[i : i + 2]] for i in range(0, len(text), 2))
    except KeyError:
        raise UrError(
            Said(
                "psbt_ur.ur_text_holds_word",
                "the UR text holds a word that is not a byteword (mistyped?)",
            )
        ) from None
    data, crc = body[:-4], body[-4:]
    if zlib.crc32(data).to_bytes(4, "big") != crc:
        raise UrError(
            Said(
                "psbt_ur.ur_text_s_checksum",
                "the UR text's checksum does not match: it was changed or cut",
            )
        )
    return data


# -- minimal CBOR: what crypto-psbt and the part envelope use -----------------------------------


def _cbor_head(major: int, n: int) -> bytes:
    if n < 24:
        return bytes([major << 5 | n])
    for extra, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << (8 * size):
            return bytes([major << 5 | extra]) + n.to_bytes(size, "big")
    raise ValueError("too large for CBOR")


def _cbor_read_head(data: bytes, pos: int) -> tuple[int, int, int]:
    if pos >= len(data):
        raise UrError(Said("psbt_ur.ur_content_cut_short", "the UR content is cut short"))
    first = data[pos]
    major, info = first >> 5, first & 0x1F
    if info < 24:
        return major, info, pos + 1
    size = {24: 1, 25: 2, 26: 4, 27: 8}.get(info)
    if size is None or pos + 1 + size > len(data):
        raise UrError(
            Said(
                "psbt_ur.ur_content_not_cbor", "the UR content is not the CBOR a crypto-psbt holds"
            )
        )
    return major, int.from_bytes(data[pos + 1 : pos + 1 + size], "big"), pos + 1 + size


def _cbor_bytes(data: bytes, pos: int = 0) -> tuple[bytes, int]:
    major, n, pos = _cbor_read_head(data, pos)
    if major != 2 or pos + n > len(data):
        raise UrError(
            Said(
                "psbt_ur.ur_content_not_byte",
                "the UR content is not a byte string (a crypto-psbt is one)",
            )
        )
    return data[pos : pos + n], pos + n


# -- the fountain code --------------------------------------------------------------------------


class _Xoshiro256:
    """xoshiro256** seeded from SHA-256 of the seed (big-endian words), as the reference."""

    def __init__(self, seed: bytes) -> None:
        d = hashlib.sha256(seed).digest()
        self.s = [int.from_bytes(d[i : i + 8], "big") for i in range(0, 32, 8)]

    def next(self) -> int:
        s = self.s
        result = (_rotl((s[1] * 5) & _MASK, 7) * 9) & _MASK
        t = (s[1] << 17) & _MASK
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = _rotl(s[3], 45)
        return result

    def next_double(self) -> float:
        return self.next() / (float(_MASK) + 1)

    def next_int(self, low: int, high: int) -> int:
        return int(self.next_double() * (high - low + 1) + low)


def _rotl(x: int, k: int) -> int:
    return ((x << k) | (x >> (64 - k))) & _MASK


def _degree(seq_len: int, rng: _Xoshiro256) -> int:
    """A degree from 1..seq_len with probability 1/d (Walker-Vose alias sampling, with the
    reference's index order: any other order picks other fragments)."""
    probs = [1.0 / i for i in range(1, seq_len + 1)]
    total = sum(probs)
    p = [x * seq_len / total for x in probs]
    small = [i for i in reversed(range(seq_len)) if p[i] < 1]
    large = [i for i in reversed(range(seq_len)) if p[i] >= 1]
    prob, alias = [0.0] * seq_len, [0] * seq_len
    while small and large:
        a, g = small.pop(), large.pop()
        prob[a], alias[a] = p[a], g
        p[g] += p[a] - 1
        (small if p[g] < 1 else large).append(g)
    for i in large + small:
        prob[i] = 1.0
    r1, r2 = rng.next_double(), rng.next_double()
    i = int(seq_len * r1)
    return (i if r2 < prob[i] else alias[i]) + 1


def choose_fragments(seq_num: int, seq_len: int, checksum: int) -> set[int]:
    if seq_num <= seq_len:
        return {seq_num - 1}
    rng = _Xoshiro256(seq_num.to_bytes(4, "big") + checksum.to_bytes(4, "big"))
    degree = _degree(seq_len, rng)
    remaining, chosen = list(range(seq_len)), []
    while remaining:
        chosen.append(remaining.pop(rng.next_int(0, len(remaining) - 1)))
    return set(chosen[:degree])


def fragment_length(message_len: int, max_fragment: int) -> int:
    """The reference's nominal fragment length: the fewest fragments of at most
    `max_fragment` bytes, all the same length."""
    for count in range(1, max(1, message_len // MIN_FRAGMENT) + 1):
        length = math.ceil(message_len / count)
        if length <= max_fragment:
            return length
    return MIN_FRAGMENT


@dataclass(frozen=True)
class UrEncoder:
    """The parts of one PSBT: `parts()` yields them forever (the first `seq_len` are the plain
    fragments; after them each mixes a pseudo-random set, so a scanner that missed frames
    completes from whichever it catches)."""

    message: bytes  # CBOR of the crypto-psbt
    fragment_len: int

    @classmethod
    def for_psbt(cls, psbt: bytes, max_fragment: int = DEFAULT_FRAGMENT) -> UrEncoder:
        message = _cbor_head(2, len(psbt)) + psbt
        return cls(message, fragment_length(len(message), max(MIN_FRAGMENT, max_fragment)))

    @property
    def seq_len(self) -> int:
        return math.ceil(len(self.message) / self.fragment_len)

    @property
    def single(self) -> bool:
        return self.seq_len == 1

    def part(self, seq_num: int) -> str:
        """Part `seq_num` (1-based) as uppercase UR text (QR alphanumeric mode)."""
        if self.single:
            return f"UR:{UR_TYPE}/{bytewords_encode(self.message)}".upper()
        checksum = zlib.crc32(self.message)
        padded = self.message.ljust(self.seq_len * self.fragment_len, b"\0")
        frags = [
            padded[i : i + self.fragment_len] for i in range(0, len(padded), self.fragment_len)
        ]
        mixed = bytes(self.fragment_len)
        for i in choose_fragments(seq_num, self.seq_len, checksum):
            mixed = bytes(a ^ b for a, b in zip(mixed, frags[i], strict=True))
        body = (
            _cbor_head(4, 5)
            + _cbor_head(0, seq_num)
            + _cbor_head(0, self.seq_len)
            + _cbor_head(0, len(self.message))
            + _cbor_head(0, checksum)
            + _cbor_head(2, len(mixed))
            + mixed
        )
        return f"UR:{UR_TYPE}/{seq_num}-{self.seq_len}/{bytewords_encode(body)}".upper()

    def parts(self, start: int = 1) -> Iterator[str]:
        n = start
        while True:
            yield self.part(n)
            if self.single:
                return
            n += 1


# -- the way back: pasted or filed UR text ------------------------------------------------------

_PART = re.compile(r"^ur:([a-z0-9-]+)/(?:(\d+)-(\d+)/)?([a-z]+)$")


def is_ur_text(text: str) -> bool:
    return text.lstrip()[:3].lower() == "ur:"


def decode_ur_text(text: str) -> bytes:
    """The PSBT in UR text: one single-part UR, or the parts of a multi-part one (one a line
    or space-separated, any order, mixed parts included). UrError says what is missing."""
    parts = text.split()
    if not parts:
        raise UrError(Said("psbt_ur.no_ur_text", "no UR text"))
    width = 0
    rows: list[tuple[int, int]] = []  # (bit mask of fragment indexes, XOR of those fragments)
    shape: tuple[int, int, int] | None = None  # seq_len, message_len, checksum
    for raw in parts:
        m = _PART.match(raw.lower())
        if m is None:
            raise UrError(
                Said("psbt_ur.not_ur_text_ur", "this is not UR text (ur:crypto-psbt/...)")
            )
        kind, seq_num, seq_len, words = m.groups()
        if kind != UR_TYPE:
            raise UrError(
                Said(
                    "psbt_ur.ur_holds_not_crypto",
                    "this UR holds a {kind}, not a crypto-psbt",
                    kind=kind,
                )
            )
        payload = bytewords_decode(words)
        if seq_num is None:
            if len(parts) != 1:
                raise UrError(
                    Said("psbt_ur.single_part_ur_came", "a single-part UR came with other parts")
                )
            return _cbor_bytes(payload)[0]
        seq, total, length, checksum, data = _read_part(payload)
        if (seq, total) != (int(seq_num), int(seq_len)):
            raise UrError(
                Said("psbt_ur.part_s_numbers_differ", "a part's numbers differ from its header")
            )
        if shape is None:
            shape = (total, length, checksum)
        elif shape != (total, length, checksum):
            raise UrError(
                Said(
                    "psbt_ur.these_parts_belong_different", "these parts belong to different PSBTs"
                )
            )
        mask = sum(1 << i for i in choose_fragments(seq, total, checksum))
        rows.append((mask, int.from_bytes(data, "big")))
        width = len(data)
    assert shape is not None
    total, length, checksum = shape
    fragments = _solve(rows, total)
    if fragments is None:
        raise UrError(
            Said(
                "psbt_ur.not_all_parts_yet",
                "not all {total} parts yet: keep scanning (or paste more parts)",
                total=total,
            )
        )
    message = b"".join(f.to_bytes(width, "big") for f in fragments)[:length]
    if zlib.crc32(message) != checksum:
        raise UrError(
            Said(
                "psbt_ur.parts_do_not_add",
                "the parts do not add up to the PSBT they announce (checksum)",
            )
        )
    return _cbor_bytes(message)[0]


def _read_part(payload: bytes) -> tuple[int, int, int, int, bytes]:
    major, n, pos = _cbor_read_head(payload, 0)
    if major != 4 or n != 5:
        raise UrError(Said("psbt_ur.ur_part_s_envelope", "a UR part's envelope is damaged"))
    values = []
    for _ in range(4):
        major, v, pos = _cbor_read_head(payload, pos)
        if major != 0:
            raise UrError(Said("psbt_ur.ur_part_s_envelope", "a UR part's envelope is damaged"))
        values.append(v)
    data, _ = _cbor_bytes(payload, pos)
    return values[0], values[1], values[2], values[3], data


def _solve(rows: list[tuple[int, int]], total: int) -> list[int] | None:
    """The fragments from parts that each XOR a set of them: Gaussian elimination over GF(2)
    (the reference decoder peels mixed parts by known ones and by each other; elimination
    finds every fragment that peeling finds, and never a wrong one). None: not enough yet."""
    basis: dict[int, tuple[int, int]] = {}  # highest index -> row
    for mask, data in rows:
        while mask:
            top = mask.bit_length() - 1
            if top not in basis:
                basis[top] = (mask, data)
                break
            bmask, bdata = basis[top]
            mask, data = mask ^ bmask, data ^ bdata
    if len(basis) < total:
        return None
    for bit in range(total):  # back-substitute, lowest first: each row then names one index
        mask, data = basis[bit]
        for low in range(bit):
            if mask >> low & 1:
                lmask, ldata = basis[low]
                mask, data = mask ^ lmask, data ^ ldata
        basis[bit] = (mask, data)
    return [basis[i][1] for i in range(total)]
