"""Guards everything that leaves in a ticket: refuses recovery phrases and keys.

Users paste what a scammer told them to paste, written however the scammer told them to write
it, so the scrubber first undoes the ways a secret can be disguised and then looks for it.

Normalising (`_normalise`), with a map back to the caller's character positions:

- NFKC (fullwidth letters and digits, ligatures), then accents dropped (NFKD minus the Latin
  combining marks U+0300-U+036F: 'abándon'; Japanese dakuten and Korean jamo are other marks
  and stay), then look-alike Cyrillic and Greek letters folded to Latin (`_CONFUSABLES`).
  Wordlists go through the same function, so the Spanish, French, Czech and Russian lists
  still match their own words.
- Invisible characters (Unicode category Cf: zero-width space and joiners, soft hyphen,
  direction marks, BOM; plus the combining grapheme joiner and variation selectors) dropped.
- HTML tags become a space (`<li>word</li>`).
- Fields are joined into one text with U+001F between them, so a phrase or key split across
  subject, description and attachments is one run. A Chinese phrase split across fields is
  judged as if written together.

Then, over the normalised text:

- Recovery phrases in any BIP39 wordlist (the `mnemonic` package's lists). A token matches a
  list if it is a word, or (in the lists where four letters identify a word) exactly its first
  four letters. A run of 12 or more consecutive list tokens is refused, whether it is a valid
  phrase or part of one: half a phrase gives away most of the wallet. Inside a run, list
  markers ('a)', 'iv.') are skipped, and a filler word between words is allowed when it stands
  in at least half of the run's gaps ('abandon and ability and ...').
  CamelCase is split, tokens are also read reversed, and long letter strings (a glued phrase,
  or letters written apart) are segmented into list words.
- Chinese words are single characters, and the 2048 characters of the Chinese lists cover about
  99% of everyday Chinese text, so "12 list characters in a row" is true of most Chinese
  sentences. Chinese characters written apart (spaces, commas, numbers between them) are
  treated like the other languages: 12+ in a row are refused. Characters written together
  cannot be told apart from prose by rule: any 11 characters plus one of ~128 fitting 12th
  characters form a valid phrase, so a rule that caught every valid phrase would refuse about
  one Chinese 12-character window in 16. They are judged by evidence instead: the lists are in
  frequency order, prose draws mostly from the first few hundred characters while a phrase
  draws evenly from all 2048, and a window that also passes the BIP39 checksum gains the
  checksum's bits as evidence. A window is refused when that log-likelihood ratio passes
  CJK_THRESHOLD. This misses about 0.3% of unspaced random phrases (those drawing unusually
  common characters); tests/wallet/support/test_scrubber.py measures both error rates.
- Extended private keys and WIF keys: by shape where they stand alone (no checksum check: a key
  with a typo is still a key), and anywhere, glued to letters or broken by spaces and newlines,
  when a base58check string with a private version is found in the text with its whitespace
  removed (the checksum makes that search safe from false alarms).
- 64 hex digits (with or without 0x), also in groups, over lines, colon-separated or glued to
  letters: a raw private key and a transaction hash look the same. Policy: allowed in the
  'transactions' field (the app fills it from the user's own history) and anywhere when it
  equals a hash from the user's history (`known_tx_hashes`); refused elsewhere, with a hint to
  pick the transaction from the list instead. A 70-78 digit decimal number below the curve
  order is a key written as a number.
- Base64 and hex runs are decoded: text inside is scanned like the rest; 32 bytes are a key;
  96 bytes or more of binary that is no PSBT are encrypted data (a keystore's ciphertext).
- Ethereum and termwallet keystore JSON ("crypto"/"Crypto" object or a "ciphertext" key) and
  passwords ("password: X", "password - X", "pw: X", 'password "X"', "my password is X",
  "密码：X", "密码是X").
- With `own_addresses` (the wallet's addresses), hex windows and WIF keys are derived and
  compared: a string that derives one of them is refused however it is dressed.

Findings carry a kind, the field and character positions, never the matched text. One secret
is reported once: overlapping findings of one kind are merged.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache


class FindingKind(StrEnum):
    MNEMONIC = "mnemonic"
    EXTENDED_KEY = "extended_key"
    WIF = "wif"
    HEX_KEY = "hex_key"
    PRIVATE_KEY = "private_key"
    KEYSTORE = "keystore"
    PASSWORD = "password"  # noqa: S105 (a finding kind, not a password)


# Why each kind is refused, in words the user can act on; never quotes the text itself. The
# TUI shows the translated version (support.scrub.<kind>); these are for the CLI and logs.
EXPLANATIONS: dict[FindingKind, str] = {
    FindingKind.MNEMONIC: "looks like a recovery phrase (12 or more BIP39 words)",
    FindingKind.EXTENDED_KEY: "looks like an extended private key (xprv/zprv/tprv...)",
    FindingKind.WIF: "looks like a WIF private key",
    FindingKind.HEX_KEY: (
        "64 hex digits that are not one of your transactions: this may be a private key. "
        "To quote a transaction, pick it in the transactions list"
    ),
    FindingKind.PRIVATE_KEY: "looks like a private key (encoded, or written as a number)",
    FindingKind.KEYSTORE: "looks like an encrypted keystore file or its encrypted data",
    FindingKind.PASSWORD: "looks like a password",
}
NEVER_NEEDED = (
    "Real support never needs your recovery phrase, private keys, keystore file or passwords, "
    "and never asks for them. Remove it and describe the problem in your own words."
)


@dataclass(frozen=True, slots=True)
class Finding:
    kind: FindingKind
    field: str
    start: int
    end: int
    also: tuple[str, ...] = ()  # further fields the same secret continues into

    def describe(self) -> str:
        cont = f" (continues in {', '.join(self.also)})" if self.also else ""
        return f"{self.field} [{self.start}:{self.end}]{cont}: {EXPLANATIONS[self.kind]}"


class SecretRefused(Exception):
    """A ticket or log text holds something that must never leave the machine."""

    code = "SECRET_IN_TICKET"

    def __init__(self, findings: Iterable[Finding]) -> None:
        self.findings = tuple(findings)
        where = "; ".join(f.describe() for f in self.findings)
        super().__init__(f"Not sent: {where}. {NEVER_NEEDED}")


MIN_WORDS = 12
VALID_LENGTHS = (12, 15, 18, 21, 24)
CJK_LANGUAGES = ("chinese_simplified", "chinese_traditional")
# Natural-log evidence needed to call an unspaced Chinese window a phrase, and the offset of
# the Zipf prose model (P(rank r) ~ 1/(r + K)). Chosen by measurement (see the tests): random
# 12-24 word phrases score about +10 per 12 characters and 0.3% of them stay below 0; no
# unspaced clause of the Chinese FAQ reaches -1.2.
CJK_THRESHOLD = 0.0
_ZIPF_K = 100
# Decoding is recursive (base64 of hex of a phrase) but bounded.
_MAX_DEPTH = 2
_SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
FIELD_JOIN = "\x1f"

# Letters that look like Latin ones, from Unicode's confusables.txt restricted to Cyrillic and
# Greek letters that render identically in common terminal fonts. Hand-kept: the full table
# (and the libraries that ship it) maps thousands of symbols, many of which are legitimate
# letters of the Russian wordlist; this is the part a scammer's "copy this" text uses.
_CONFUSABLES = str.maketrans(
    {
        # Cyrillic
        "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i",
        "ј": "j", "ѕ": "s", "һ": "h", "ԁ": "d", "ԛ": "q", "ԝ": "w", "ɡ": "g", "ӏ": "l",
        "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P",
        "С": "C", "Т": "T", "У": "Y", "Х": "X", "І": "I", "Ј": "J", "Ѕ": "S", "Ԁ": "D",
        # Greek
        "α": "a", "ο": "o", "ν": "v", "ρ": "p", "τ": "t", "υ": "u", "κ": "k", "ι": "i",
        "ε": "e", "Α": "A", "Β": "B", "Ε": "E", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M",
        "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T", "Χ": "X", "Υ": "Y", "Ζ": "Z",
    }
)  # fmt: skip
_INVISIBLE_EXTRA = frozenset("\u034f\u115f\u1160\u3164\uffa0") | frozenset(
    chr(c) for c in range(0xFE00, 0xFE10)
)
_HTML_TAG = re.compile(r"</?[A-Za-z][^<>]{0,200}>")

# Letters plus combining marks: phrases copied from some wallets are NFD/NFKD ('a' + U+0301),
# and Python's \w does not match the marks. U+FFFD too: mnemonic 0.21's Russian list has a word
# with two replacement characters in it, which wallets built on it print as they are.
_TOKEN = re.compile(r"(?:[^\W\d_]|[\u0300-\u036f\u1ab0-\u1aff\u20d0-\u20ff\u3099\u309a\ufffd])+")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_MARKER = re.compile(r"(?:[a-z]{1,2}|[ivxlc]{1,6})")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
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


@dataclass(frozen=True, slots=True)
class _Wordlist:
    name: str
    words: frozenset[str]
    index: dict[str, int]
    prefixes: frozenset[str]  # first four letters of the words longer than four
    longest: int


@cache
def _wordlists() -> tuple[_Wordlist, ...]:
    from mnemonic import Mnemonic

    out = []
    for name in sorted(Mnemonic.list_languages()):
        words = [_norm(_fold_text(w)) for w in Mnemonic(name).wordlist]
        prefixes = frozenset() if name in CJK_LANGUAGES else {w[:4] for w in words if len(w) > 4}
        out.append(
            _Wordlist(
                name,
                frozenset(words),
                {w: i for i, w in enumerate(words)},
                frozenset(prefixes) - set(words),
                max(len(w) for w in words),
            )
        )
    return tuple(out)


@cache
def _zipf_norm() -> float:
    return sum(1.0 / (r + _ZIPF_K) for r in range(2048))


def _norm(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold()


@cache
def _fold_char(ch: str) -> str:
    """One character as the scanner sees it: '' for invisible ones (see the module doc)."""
    if ch in _INVISIBLE_EXTRA or unicodedata.category(ch) == "Cf":
        return ""
    out = unicodedata.normalize("NFKC", ch)
    decomposed = unicodedata.normalize("NFKD", out)
    stripped = "".join(c for c in decomposed if not 0x300 <= ord(c) <= 0x36F)
    if stripped != decomposed:
        out = unicodedata.normalize("NFC", stripped)
    return out.translate(_CONFUSABLES)


def _fold_text(text: str) -> str:
    return "".join(_fold_char(c) for c in text)


@dataclass(frozen=True, slots=True)
class _Normalised:
    text: str
    pos: list[int]  # pos[i]: the original index of text[i]; one extra entry for the end

    def span(self, a: int, b: int) -> tuple[int, int]:
        """Original [start, end) of normalised [a, b)."""
        return self.pos[a], self.pos[b - 1] + 1 if b > a else self.pos[a]


def _normalise(text: str) -> _Normalised:
    out: list[str] = []
    pos: list[int] = []
    tags = {m.start(): m.end() for m in _HTML_TAG.finditer(text)}
    i = 0
    while i < len(text):
        if i in tags:
            out.append(" ")
            pos.append(i)
            i = tags[i]
            continue
        for c in _fold_char(text[i]):
            out.append(c)
            pos.append(i)
        i += 1
    pos.append(len(text))
    return _Normalised("".join(out), pos)


@dataclass(frozen=True, slots=True)
class _Token:
    text: str  # normalised, casefolded
    start: int
    end: int
    cjk: bool
    spaced: bool  # separated from the previous token by at least one character
    marker: bool  # looks like a list marker: 'a)', 'iv.'


def _tokens(text: str) -> list[_Token]:
    out: list[_Token] = []
    prev_end = -1

    def gap(pos: int) -> bool:
        # A field boundary alone neither separates nor joins: a phrase split across fields is
        # one run, its words as apart (or together) as they were before the boundary.
        if text[prev_end:pos] == FIELD_JOIN:
            return out[-1].spaced if out else True
        return pos != prev_end

    for m in _TOKEN.finditer(text):
        word = m.group()
        if _CJK.search(word):
            # Chinese words are single characters, written with or without separators.
            for i, ch in enumerate(word):
                pos = m.start() + i
                cjk = bool(_CJK.match(ch))
                out.append(_Token(_norm(ch), pos, pos + 1, cjk, gap(pos), False))
                prev_end = pos + 1
            continue
        start = m.start()
        for part in _CAMEL.split(word):
            end = start + len(part)
            nxt = text[end : end + 1]
            low = _norm(part)
            marker = nxt in (")", ".", "]", ":") and bool(_MARKER.fullmatch(low))
            out.append(_Token(low, start, end, False, gap(start), marker))
            prev_end = end
            start = end
    return out


def _matches(word: str, wl: _Wordlist) -> bool:
    return word in wl.words or (len(word) == 4 and word in wl.prefixes)


def _runs(tokens: list[_Token], wl: _Wordlist, *, reverse: bool = False) -> list[list[_Token]]:
    """Runs of consecutive list tokens; list markers ('a)', 'iv.') neither count nor break."""
    runs: list[list[_Token]] = []
    run: list[_Token] = []
    for tok in tokens:
        if _matches(tok.text[::-1] if reverse else tok.text, wl):
            run.append(tok)
        elif not tok.marker:
            if run:
                runs.append(run)
            run = []
    if run:
        runs.append(run)
    return runs


def _filler_runs(tokens: list[_Token], wl: _Wordlist) -> list[list[_Token]]:
    """Runs with one filler word between the phrase's words ('abandon and ability and ...').
    Prose repeats words too ('the'), but not between every other pair of list words: a run
    counts only if the filler stands in at least half of its gaps."""
    counts: dict[str, int] = {}
    for tok in tokens:
        if not _matches(tok.text, wl) and not tok.marker:
            counts[tok.text] = counts.get(tok.text, 0) + 1
    out: list[list[_Token]] = []
    for filler, n in counts.items():
        if n < MIN_WORDS // 2 - 1:
            continue
        kept = [t for t in tokens if t.text != filler]
        for run in _runs(kept, wl):
            if len(run) < MIN_WORDS:
                continue
            inside = sum(
                1 for t in tokens if t.text == filler and run[0].start < t.start < run[-1].end
            )
            if inside >= (len(run) - 1) // 2:
                out.append(run)
    return out


def _checksum_ok(indices: list[int]) -> bool:
    """BIP39: the last len/3 bits of the 11-bit indices are the first bits of sha256(entropy)."""
    n = len(indices)
    bits = 0
    for i in indices:
        bits = (bits << 11) | i
    cs_bits = n // 3
    entropy_bits = n * 11 - cs_bits
    entropy = (bits >> cs_bits).to_bytes(entropy_bits // 8, "big")
    want = hashlib.sha256(entropy).digest()[0] >> (8 - cs_bits)
    return (bits & ((1 << cs_bits) - 1)) == want


def cjk_evidence(indices: list[int]) -> float:
    """Log-likelihood ratio, phrase vs prose, of consecutive Chinese list characters (their
    wordlist ranks), plus the checksum's bits when the window is a valid phrase length."""
    z = _zipf_norm()
    score = sum(math.log((r + _ZIPF_K) * z / 2048) for r in indices)
    if len(indices) in VALID_LENGTHS and _checksum_ok(indices):
        score += (len(indices) // 3) * math.log(2)
    return score


def _segments(letters: str, wl: _Wordlist) -> int:
    """How many list words `letters` splits into completely (0 if it does not)."""
    n = len(letters)
    best = [0] + [-1] * n  # best[i]: most words covering letters[:i], -1 if impossible
    for i in range(1, n + 1):
        for k in range(max(0, i - wl.longest), i):
            if best[k] >= 0 and letters[k:i] in wl.words:
                best[i] = max(best[i], best[k] + 1)
    return max(best[n], 0)


def _mnemonic_spans(text: str) -> list[tuple[int, int]]:
    tokens = _tokens(text)
    spans: list[tuple[int, int]] = []
    latin = [t for t in tokens if not t.cjk]
    for wl in _wordlists():
        if wl.name in CJK_LANGUAGES:
            for run in _runs([t for t in tokens if t.cjk or not t.marker], wl):
                if len(run) >= MIN_WORDS:
                    spans.extend(_cjk_spans(run, wl))
            continue
        runs = [*_runs(latin, wl), *_runs(latin, wl, reverse=True), *_filler_runs(latin, wl)]
        spans += [(r[0].start, r[-1].end) for r in runs if len(r) >= MIN_WORDS]
    spans.extend(_glued_spans(text, tokens))
    return spans


def _glued_spans(text: str, tokens: list[_Token]) -> list[tuple[int, int]]:
    """Phrases written without word boundaries: one long letter string, or letters apart."""
    groups: list[list[_Token]] = []
    for tok in tokens:
        if tok.cjk:
            continue
        # Single letters written apart join the group before; any longer token stands alone.
        if len(tok.text) == 1 and groups and len(groups[-1][-1].text) == 1:
            groups[-1].append(tok)
        else:
            groups.append([tok])
    spans: list[tuple[int, int]] = []
    for group in groups:
        # Whole tokens: a CamelCase split is rejoined, the original text decides.
        letters = _norm(text[group[0].start : group[-1].end])
        letters = "".join(c for c in letters if c.isalpha())
        # Twelve words use many letters; 'abab...' (hex digits that happen to be letters) do not.
        if len(letters) < 3 * MIN_WORDS or len(set(letters)) < 10:
            continue
        for wl in _wordlists():
            if wl.name in CJK_LANGUAGES:
                continue
            if max(_segments(letters, wl), _segments(letters[::-1], wl)) >= MIN_WORDS:
                spans.append((group[0].start, group[-1].end))
                break
    return spans


def _cjk_spans(run: list[_Token], wl: _Wordlist) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    # Characters written apart: any 12 in a row, like the other languages.
    streak: list[_Token] = []
    for i, tok in enumerate(run):
        nxt_spaced = i + 1 < len(run) and run[i + 1].spaced
        apart = (tok.spaced or i == 0) and (nxt_spaced or i + 1 == len(run))
        if apart:
            streak.append(tok)
        else:
            if len(streak) >= MIN_WORDS:
                spans.append((streak[0].start, streak[-1].end))
            streak = []
    if len(streak) >= MIN_WORDS:
        spans.append((streak[0].start, streak[-1].end))
    # Characters written together (nothing at all between them): judge every window of each
    # phrase length inside each such group by evidence. Punctuation ends a group, so prose
    # clauses are judged one by one.
    groups: list[list[_Token]] = []
    for tok in run:
        if groups and not tok.spaced:
            groups[-1].append(tok)
        else:
            groups.append([tok])
    for group in groups:
        if len(group) < MIN_WORDS:
            continue
        idx = [wl.index[t.text] for t in group]
        for n in VALID_LENGTHS:
            for s in range(len(group) - n + 1):
                if cjk_evidence(idx[s : s + n]) >= CJK_THRESHOLD:
                    spans.append((group[s].start, group[s + n - 1].end))
    return spans


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


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
    inner = _scan_norm(_fold_text(html.unescape(text)), known, depth + 1, own)
    span = (refs[0].start(), refs[-1].end())
    return [_Hit(inner[0].kind, *span)] if inner else []


def _rot13_hits(text: str) -> list[_Hit]:
    """A phrase in ROT13 (a scammer's "encode it so the filter does not see it")."""
    import codecs

    return [
        _Hit(FindingKind.MNEMONIC, a, b) for a, b in _mnemonic_spans(codecs.encode(text, "rot13"))
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
            if depth < _MAX_DEPTH and _scan_norm(inner, known, depth + 1, own):
                hits.append(
                    _Hit(_scan_norm(inner, known, depth + 1, own)[0].kind, m.start(), m.end())
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


def _scan_norm(
    text: str,
    known: set[str],
    depth: int,
    own: frozenset[bytes],
    exempt: list[tuple[int, int]] | None = None,
) -> list[_Hit]:
    exempt = exempt or []
    hits = [_Hit(FindingKind.MNEMONIC, a, b) for a, b in _mnemonic_spans(text)]
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
        out += [_Hit(kind, a, b) for a, b in _merge(spans)]
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


# -- public API ------------------------------------------------------------------------------


def is_wordlist_word(text: str) -> bool:
    """`text` is a word (or a word's first four letters) of a BIP39 list, or holds a Chinese
    list character."""
    word = _norm(_fold_text(text))
    return any(_matches(word, wl) or (wl.name in CJK_LANGUAGES and set(word) & wl.words)
               for wl in _wordlists())  # fmt: skip


def scan(
    text: str,
    *,
    field: str = "text",
    known_tx_hashes: Iterable[str] = (),
    own_addresses: Iterable[str] = (),
) -> list[Finding]:
    """Everything in `text` that must not leave; empty when it is clean."""
    return scan_fields({field: text}, known_tx_hashes=known_tx_hashes, own_addresses=own_addresses)


def scan_fields(
    fields: Mapping[str, str],
    *,
    known_tx_hashes: Iterable[str] = (),
    own_addresses: Iterable[str] = (),
) -> list[Finding]:
    """All fields as one text (a secret split across them is still one secret); each finding
    names the field it starts in and the fields it continues into."""
    known = {normalize_tx_hash(h) for h in known_tx_hashes}
    names = list(fields)
    joined = FIELD_JOIN.join(fields[n] for n in names)
    bounds: list[tuple[str, int, int]] = []  # field, start, end in `joined`
    at = 0
    for n in names:
        bounds.append((n, at, at + len(fields[n])))
        at += len(fields[n]) + 1
    norm = _normalise(joined)
    # The transactions field holds hashes the app chose from the user's history.
    exempt = [
        (_norm_end(norm, a), _norm_end(norm, b))
        for n, a, b in bounds
        if n == "transactions" and b > a
    ]
    own = address_ids(own_addresses) if own_addresses else frozenset()
    out: list[Finding] = []
    for hit in _scan_norm(norm.text, known, 0, own, exempt):
        a, b = norm.span(hit.start, hit.end)
        touched = [(n, fa, fb) for n, fa, fb in bounds if (a < fb and fa < b) or (a == fa == b)]
        if not touched:
            continue
        name, fa, fb = touched[0]
        start = max(a, fa) - fa
        end = min(b, fb) - fa
        out.append(Finding(hit.kind, name, start, end, tuple(n for n, _, _ in touched[1:])))
    return out


def _norm_end(norm: _Normalised, original_end: int) -> int:
    """The first normalised index at or after an original position."""
    for i, p in enumerate(norm.pos):
        if p >= original_end:
            return i
    return len(norm.text)


def ensure_clean(
    fields: Mapping[str, str],
    *,
    known_tx_hashes: Iterable[str] = (),
    own_addresses: Iterable[str] = (),
) -> None:
    findings = scan_fields(fields, known_tx_hashes=known_tx_hashes, own_addresses=own_addresses)
    if findings:
        raise SecretRefused(findings)


def redact(text: str, *, known_tx_hashes: Iterable[str] = ()) -> tuple[str, int]:
    """`text` with every finding replaced by [REDACTED:kind], and how many were replaced: for
    the app's own log lines, which are sent scrubbed rather than refused."""
    findings = scan(text, field="log", known_tx_hashes=known_tx_hashes)
    if not findings:
        return text, 0
    out, pos, count = [], 0, 0
    for f in sorted(findings, key=lambda f: (f.start, f.end)):
        if f.start < pos:  # overlaps one already replaced
            if f.end > pos:
                pos = f.end
            continue
        out.append(text[pos : f.start])
        out.append(f"[REDACTED:{f.kind.value}]")
        pos = f.end
        count += 1
    out.append(text[pos:])
    return "".join(out), count
