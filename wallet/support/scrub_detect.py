"""The scrubber's detectors over normalised text: phrases (scrub_phrases.py), extended and
WIF keys, hex and decimal keys, byte lists, keystore JSON, passwords, and text hidden in
base64, hex, HTML entities or rot13, scanned again; `scan_norm` runs them all and merges
what overlaps."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from wallet.support.scrub_findings import FindingKind
from wallet.support.scrub_phrases import mnemonic_spans
from wallet.support.scrub_text import FIELD_JOIN, fold_text, merge_spans

# Decoding is recursive (base64 of hex of a phrase) but bounded.
_MAX_DEPTH = 2
_SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58)}
_XPRV_PREFIX = r"(?:[xyztuv]prv|[YZUV]prv|Ltpv|Mtpv|ttpv)"
_XPRV = re.compile(rf"(?<![0-9A-Za-z]){_XPRV_PREFIX}[{_B58}]{{90,115}}(?![0-9A-Za-z])")
_XPRV_ANY = re.compile(_XPRV_PREFIX)
# Bounded by any letter or digit (not only base58 ones): otherwise a 64-hex transaction hash
# with a '0' at position 52 would hold a WIF-shaped prefix.
_WIF = re.compile(r"(?<![0-9A-Za-z])[5KL9c6T][" + _B58 + r"]{50,51}(?![0-9A-Za-z])")
_WIF_VERSIONS = (0x80, 0xEF, 0xB0)
# Hex digits in groups of two or more, joined by a space or two, a newline, a field boundary or
# one of : - _ . , (keys are shown in groups, over lines, colon-separated).
_HEX_RUN = re.compile(
    r"(?<![0-9A-Fa-f])(?:0[xX])?[0-9A-Fa-f]{2,}"
    r"(?:(?:[ \t]{1,2}|[ \t]*\r?\n[ \t]*|\x1f|[:\-_.,]|, )[0-9A-Fa-f]{2,})*(?![0-9A-Fa-f])"
)
_DECIMAL = re.compile(r"(?<![\d,_])\d{1,3}(?:[,_ ]?\d{3}){22,25}\d{0,2}(?![\d])")
_B64_RUN = re.compile(r"(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/_-]{16,}={0,2}(?![A-Za-z0-9+/=_-])")
_NOT_B58 = re.compile(r"[0OIl+/=_-]")
_KEYSTORE = re.compile(r"""["'](?:crypto|Crypto|ciphertext)["']\s*:""")
_KEYSTORE_VALUE = re.compile(_KEYSTORE.pattern + r"""\s*(?:"[^"]{0,4000}"|'[^']{0,4000}')?""")
_PW_WORD = r"(?:password|passwd|passcode|passphrase|pwd|pw|pin)"
_PW_ZH = r"(?:密码|口令|密碼)"
_PASSWORD = re.compile(
    rf"(?i)(?:\b{_PW_WORD}\b|{_PW_ZH})\s*(?:[:=：]|\s[-–—]|\s?[-–—]\s)\s*(?=\S)(?![:=：,.，。])"
    rf"|(?i:\b{_PW_WORD}\b)\s*(?=[\"'“‘«「])"
    rf"|{_PW_ZH}\s*(?:是|为|為)\s*(?=[\x21-\x7e])"
)
# "my password is X": refused unless X is one of the words people write after it when they
# describe a problem rather than quote the password.
_PASSWORD_IS = re.compile(rf"(?i)\b{_PW_WORD}\s+(?:is|was|=)\s+(?=\S)")
_NOT_A_PASSWORD = frozenset(
    """not wrong right correct incorrect definitely surely still the a an my too very
    rejected refused accepted ok okay fine same different correctly lost forgotten gone
    saved stored long short strong weak set changed required needed empty invalid valid
    now being no never always just only also in on at of for to from with by that this
    it there here what which case sensitive missing unknown known i don't dont forgot none
    n/a""".split()
)
_PASSWORD_VALUE = re.compile(r"[\"'“‘«「]?[^\s\"'”’»」]+")


def normalize_tx_hash(text: str) -> str:
    t = text.strip().lower()
    return t[2:] if t.startswith("0x") else t


# -- keys ------------------------------------------------------------------------------------


def _b58decode_check(s: str) -> bytes | None:
    n = 0
    for c in s:
        d = _B58_INDEX.get(c)
        if d is None:
            return None
        n = n * 58 + d
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    raw = b"\0" * (len(s) - len(s.lstrip("1"))) + raw
    if len(raw) < 5:
        return None
    payload, check = raw[:-4], raw[-4:]
    if hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4] != check:
        return None
    return payload


def _wif_secret(payload: bytes) -> bytes | None:
    if payload[0] in _WIF_VERSIONS and (
        len(payload) == 33 or (len(payload) == 34 and payload[-1] == 1)
    ):
        return payload[1:33]
    return None


@dataclass(frozen=True, slots=True)
class _Hit:
    kind: FindingKind
    start: int  # in the scanned (normalised) text
    end: int


def _compact(text: str) -> tuple[str, list[int]]:
    """`text` without whitespace and field boundaries, with each character's index in `text`."""
    keep = [(i, c) for i, c in enumerate(text) if not c.isspace() and c != FIELD_JOIN]
    return "".join(c for _, c in keep), [i for i, _ in keep]


def _base58_key_hits(text: str, secrets_out: list[tuple[bytes, _Hit]]) -> list[_Hit]:
    """WIF and extended private keys anywhere, glued or broken by whitespace, proven by their
    checksum."""
    compact, where = _compact(text)
    hits: list[_Hit] = []
    for m in _XPRV_ANY.finditer(compact):
        for length in (111, 112):
            cand = compact[m.start() : m.start() + length]
            payload = _b58decode_check(cand) if len(cand) == length else None
            if payload is not None and len(payload) == 78:
                hits.append(
                    _Hit(
                        FindingKind.EXTENDED_KEY,
                        where[m.start()],
                        where[m.start() + length - 1] + 1,
                    )
                )
                break
    for i, c in enumerate(compact):
        if c not in "5KL9c6T":
            continue
        for length in (51, 52):
            cand = compact[i : i + length]
            if len(cand) != length:
                break
            payload = _b58decode_check(cand)
            secret = _wif_secret(payload) if payload else None
            if secret is not None:
                hit = _Hit(FindingKind.WIF, where[i], where[i + length - 1] + 1)
                hits.append(hit)
                secrets_out.append((secret, hit))
                break
    return hits


_HEX_GROUP = re.compile(r"(?:0[xX])?([0-9A-Fa-f]+)")


def _hex_hits(
    text: str, known: set[str], exempt: list[tuple[int, int]], candidates: list[tuple[bytes, _Hit]]
) -> list[_Hit]:
    """64 hex digits in one run of groups. Words made of hex letters ('fa', 'bed') may join a
    run through a space, so every stretch of whole groups holding exactly 64 digits counts."""
    hits: list[_Hit] = []
    for m in _HEX_RUN.finditer(text):
        if any(a <= m.start() and m.end() <= b for a, b in exempt):
            continue
        groups = [(g.start(), g.end(), g.group(1).lower()) for g in _HEX_GROUP.finditer(m.group())]
        digits = "".join(d for _, _, d in groups)
        if len(digits) < 64:
            continue
        if any(digits[s : s + 64] in known for s in range(len(digits) - 63)):
            continue
        for i in range(len(groups)):
            total, j = 0, i
            while j < len(groups) and total < 64:
                total += len(groups[j][2])
                j += 1
            if total != 64:
                continue
            key = "".join(d for _, _, d in groups[i:j])
            # Grouped runs must hold a letter: a table of decimal numbers is no key.
            if j - i > 1 and not re.search("[a-f]", key):
                continue
            hit = _Hit(FindingKind.HEX_KEY, m.start() + groups[i][0], m.start() + groups[j - 1][1])
            hits.append(hit)
        hit = _Hit(FindingKind.PRIVATE_KEY, m.start(), m.end())
        for s in range(min(len(digits) - 63, 256)):
            candidates.append((bytes.fromhex(digits[s : s + 64]), hit))
    return hits


def _decimal_hits(text: str, candidates: list[tuple[bytes, _Hit]]) -> list[_Hit]:
    hits: list[_Hit] = []
    for m in _DECIMAL.finditer(text):
        value = int(re.sub(r"\D", "", m.group()))
        if 10**69 <= value < _SECP256K1_N:
            hit = _Hit(FindingKind.PRIVATE_KEY, m.start(), m.end())
            hits.append(hit)
            candidates.append((value.to_bytes(32, "big"), hit))
    return hits


# A key as a list of its 32 bytes (how some wallets export it): [171, 205, ...] or [0xab, ...].
_BYTE_LIST = re.compile(
    r"(?<![\w.])(?:(?:0[xX][0-9A-Fa-f]{1,2}|\d{1,3})\s*[,;]\s*){31,63}"
    r"(?:0[xX][0-9A-Fa-f]{1,2}|\d{1,3})(?![\w.])"
)


def _byte_list_hits(text: str, candidates: list[tuple[bytes, _Hit]]) -> list[_Hit]:
    hits: list[_Hit] = []
    for m in _BYTE_LIST.finditer(text):
        values = [int(v, 0) for v in re.split(r"\s*[,;]\s*", m.group())]
        # Random bytes: unordered, and some above 127 (all 32 below has odds of 2^-32), which
        # tells a key from a list of amounts or days.
        if (
            len(values) in (32, 64)
            and all(v <= 255 for v in values)
            and max(values) > 127
            and values != sorted(values)
        ):
            hit = _Hit(FindingKind.PRIVATE_KEY, m.start(), m.end())
            hits.append(hit)
            candidates.append((bytes(values[:32]), hit))
    return hits


def _entity_hits(text: str, known: set[str], depth: int, own: frozenset[bytes]) -> list[_Hit]:
    """HTML character references (&#97; &amp;): the unescaped text is scanned; a finding covers
    the stretch from the first reference to the last."""
    import html

    refs = list(re.finditer(r"&(?:#\d{1,7}|#[xX][0-9A-Fa-f]{1,6}|[A-Za-z]{2,10});", text))
    if not refs or depth >= _MAX_DEPTH:
        return []
    inner = scan_norm(fold_text(html.unescape(text)), known, depth + 1, own)
    span = (refs[0].start(), refs[-1].end())
    return [_Hit(inner[0].kind, *span)] if inner else []


def _rot13_hits(text: str) -> list[_Hit]:
    """A phrase in ROT13 (a scammer's "encode it so the filter does not see it")."""
    import codecs

    return [
        _Hit(FindingKind.MNEMONIC, a, b) for a, b in mnemonic_spans(codecs.encode(text, "rot13"))
    ]


def _as_text(raw: bytes) -> str | None:
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    printable = sum(1 for c in decoded if c.isprintable() or c in "\n\r\t")
    return decoded if decoded and printable >= 0.95 * len(decoded) else None


def _decoded_hits(text: str, known: set[str], depth: int, own: frozenset[bytes]) -> list[_Hit]:
    """Base64 and hex runs, decoded: text is scanned, binary judged by its size."""
    hits: list[_Hit] = []
    for m in _B64_RUN.finditer(text):
        run = m.group()
        decoded: bytes | None = None
        if re.fullmatch(r"(?:[0-9a-fA-F]{2})+", run):
            decoded = bytes.fromhex(run)
            is_hex = True
        else:
            is_hex = False
            body = run.rstrip("=")
            try:
                alt = "-_" if re.search(r"[-_]", body) else None
                padded = body + "=" * (-len(body) % 4)
                decoded = (
                    base64.urlsafe_b64decode(padded)
                    if alt
                    else base64.b64decode(padded, validate=True)
                )
            except (binascii.Error, ValueError):
                decoded = None
        if not decoded:
            continue
        inner = _as_text(decoded)
        if inner is not None:
            if depth < _MAX_DEPTH and scan_norm(inner, known, depth + 1, own):
                hits.append(
                    _Hit(scan_norm(inner, known, depth + 1, own)[0].kind, m.start(), m.end())
                )
            continue
        if is_hex or not _NOT_B58.search(run) or run.islower() or run.isupper():
            # Hex is judged by the hex rules; strings of base58 letters are addresses and xpubs,
            # single-case ones bech32 addresses. Base64 of binary mixes all of them.
            continue
        if len(decoded) == 32:
            hits.append(_Hit(FindingKind.PRIVATE_KEY, m.start(), m.end()))
        elif len(decoded) >= 96 and not decoded.startswith(b"psbt\xff"):
            hits.append(_Hit(FindingKind.KEYSTORE, m.start(), m.end()))
    return hits


def _password_hits(text: str) -> list[_Hit]:
    hits: list[_Hit] = []
    for rx, shortest in ((_PASSWORD, 3), (_PASSWORD_IS, 4)):
        for m in rx.finditer(text):
            tail = _PASSWORD_VALUE.match(text, m.end())
            if tail is None:
                continue
            value = tail.group().strip("\"'“‘«「.,!?;:")
            if len(value) < shortest or value.casefold() in _NOT_A_PASSWORD:
                continue
            hits.append(_Hit(FindingKind.PASSWORD, m.start(), tail.end()))
    return hits


def _owned(candidates: list[tuple[bytes, _Hit]], own: frozenset[bytes]) -> list[_Hit]:
    if not own or not candidates:
        return []
    return [hit for secret, hit in candidates if _key_ids(secret) & own]


def _key_ids(secret: bytes) -> frozenset[bytes]:
    """What addresses commit to for this key: hash160 of the compressed and uncompressed
    public keys, the taproot output key, the Ethereum address."""
    if not 0 < int.from_bytes(secret, "big") < _SECP256K1_N:
        return frozenset()
    from coincurve import PrivateKey
    from embit import ec, script
    from embit.hashes import hash160
    from eth_utils import keccak

    key = PrivateKey(secret)
    comp = key.public_key.format(compressed=True)
    full = key.public_key.format(compressed=False)
    taproot = script.p2tr(ec.PrivateKey(secret).get_public_key()).data[2:]
    return frozenset({hash160(comp), hash160(full), taproot, keccak(full[1:])[-20:]})


def address_ids(addresses: Iterable[str]) -> frozenset[bytes]:
    """The hashes or keys the wallet's addresses commit to (see `_key_ids`); addresses this
    cannot read are skipped."""
    from embit import bech32

    out: set[bytes] = set()
    for addr in addresses:
        a = addr.strip()
        if re.fullmatch(r"0[xX][0-9a-fA-F]{40}", a):
            out.add(bytes.fromhex(a[2:]))
            continue
        if "1" in a:
            hrp = a[: a.rfind("1")].lower()
            _ver, prog = bech32.decode(hrp, a)
            if prog is not None:
                out.add(bytes(prog))
                continue
        payload = _b58decode_check(a)
        if payload is not None and len(payload) == 21:
            out.add(payload[1:])
    return frozenset(out)


def scan_norm(
    text: str,
    known: set[str],
    depth: int,
    own: frozenset[bytes],
    exempt: list[tuple[int, int]] | None = None,
) -> list[_Hit]:
    exempt = exempt or []
    hits = [_Hit(FindingKind.MNEMONIC, a, b) for a, b in mnemonic_spans(text)]
    for rx, kind in ((_XPRV, FindingKind.EXTENDED_KEY), (_WIF, FindingKind.WIF)):
        hits += [_Hit(kind, m.start(), m.end()) for m in rx.finditer(text)]
    keystore = [m.end() for m in _KEYSTORE_VALUE.finditer(text)]
    if keystore:
        # One keystore, one finding: from its first key to the end of its last value.
        first = _KEYSTORE.search(text)
        hits.append(_Hit(FindingKind.KEYSTORE, first.start() if first else 0, max(keystore)))
    candidates: list[tuple[bytes, _Hit]] = []
    hits += _password_hits(text)
    hits += _base58_key_hits(text, candidates)
    hex_hits = _hex_hits(text, known, exempt, candidates)
    hits += hex_hits
    hits += _decimal_hits(text, candidates)
    hits += _byte_list_hits(text, candidates)
    hits += _entity_hits(text, known, depth, own)
    hits += _rot13_hits(text)
    hits += _decoded_hits(text, known, depth, own)
    hits += _owned(candidates, own)
    return _dedupe(hits)


def _dedupe(hits: list[_Hit]) -> list[_Hit]:
    """Overlapping findings of one kind are one finding; a key proven by its own address is
    reported once, as the key it is."""
    out: list[_Hit] = []
    by_kind: dict[FindingKind, list[tuple[int, int]]] = {}
    for h in hits:
        by_kind.setdefault(h.kind, []).append((h.start, h.end))
    for kind, spans in by_kind.items():
        out += [_Hit(kind, a, b) for a, b in merge_spans(spans)]
    keys = [h for h in out if h.kind in (FindingKind.HEX_KEY, FindingKind.WIF)]
    stores = [h for h in out if h.kind is FindingKind.KEYSTORE]

    def inside(h: _Hit, others: list[_Hit]) -> bool:
        return any(k is not h and k.start <= h.start and h.end <= k.end for k in others)

    def overlaps(h: _Hit, others: list[_Hit]) -> bool:
        return any(k.start < h.end and h.start < k.end for k in others)

    # "my password is <recovery phrase>": the value is the phrase (or key), reported once as
    # what it is, not a second time as a password.
    stronger = [h for h in out if h.kind is not FindingKind.PASSWORD]
    out = [
        h
        for h in out
        if not (h.kind is FindingKind.PRIVATE_KEY and overlaps(h, keys))
        and not (h.kind in (FindingKind.HEX_KEY, FindingKind.PRIVATE_KEY) and inside(h, stores))
        and not (h.kind is FindingKind.PASSWORD and overlaps(h, stronger))
    ]
    return sorted(out, key=lambda h: (h.start, h.end, h.kind))
