"""Guards everything that leaves in a ticket: refuses recovery phrases and keys.

What is refused, and why each rule is shaped the way it is:

- Recovery phrases in any BIP39 wordlist (the `mnemonic` package's lists). Text is split into
  letter runs; anything between them (spaces, commas, numbers of a numbered list, newlines) is a
  separator. A run of 12 or more consecutive words of one list is refused, whether it is a
  whole valid phrase or a partial one: half a phrase still gives away most of the wallet.
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
- Extended private keys: xprv/yprv/zprv/tprv/uprv/vprv, Yprv/Zprv/Uprv/Vprv, Litecoin
  Ltpv/Mtpv/ttpv, followed by a long base58 body. No checksum check: a key with a typo is still
  a key.
- WIF private keys: 51/52 base58 characters starting as version 0x80 (5, K, L), 0xef (9, c) or
  0xb0 (6, T) make them start. Shape only, for the same reason.
- 64 hex digits (with or without 0x): a raw private key and a transaction hash look the same.
  Policy: allowed in the 'transactions' field (the app fills it from the user's own history)
  and anywhere when it equals a hash from the user's history (`known_tx_hashes`); refused
  elsewhere, with a hint to pick the transaction from the list instead.
- Ethereum keystore JSON ("crypto"/"Crypto" object or a "ciphertext" key) and password fields
  ("password: ...", "密码：...").

Findings carry a kind, the field and character positions, never the matched text.
"""

from __future__ import annotations

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
    FindingKind.KEYSTORE: "looks like an encrypted keystore file",
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

    def describe(self) -> str:
        return f"{self.field} [{self.start}:{self.end}]: {EXPLANATIONS[self.kind]}"


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

# Letters plus combining marks: phrases copied from some wallets are NFD/NFKD ('a' + U+0301),
# and Python's \w does not match the marks. U+FFFD too: mnemonic 0.21's Russian list has a word
# with two replacement characters in it, which wallets built on it print as they are.
_TOKEN = re.compile(r"(?:[^\W\d_]|[\u0300-\u036f\u1ab0-\u1aff\u20d0-\u20ff\u3099\u309a\ufffd])+")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_XPRV = re.compile(
    rf"(?<![0-9A-Za-z])(?:[xyztuv]prv|[YZUV]prv|Ltpv|Mtpv|ttpv)[{_B58}]{{90,115}}(?![0-9A-Za-z])"
)
# Bounded by any letter or digit (not only base58 ones): otherwise a 64-hex transaction hash
# with a '0' at position 52 would hold a WIF-shaped prefix.
_WIF = re.compile(r"(?<![0-9A-Za-z])[5KL9c6T][" + _B58 + r"]{50,51}(?![0-9A-Za-z])")
_HEX64 = re.compile(r"(?<![0-9A-Za-z])(?:0[xX])?([0-9a-fA-F]{64})(?![0-9A-Za-z])")
_KEYSTORE = re.compile(r"""["'](?:crypto|Crypto|ciphertext)["']\s*:""")
_PASSWORD = re.compile(
    r"(?i)(?:\b(?:password|passwd|pwd|passphrase|pin)\b|密码|口令|密碼)\s*[:=：]\s*"
    r"(?=\S)(?![:=：,.，。])"
)


@dataclass(frozen=True, slots=True)
class _Wordlist:
    name: str
    words: frozenset[str]
    index: dict[str, int]


@cache
def _wordlists() -> tuple[_Wordlist, ...]:
    from mnemonic import Mnemonic

    out = []
    for name in sorted(Mnemonic.list_languages()):
        words = [_norm(w) for w in Mnemonic(name).wordlist]
        out.append(_Wordlist(name, frozenset(words), {w: i for i, w in enumerate(words)}))
    return tuple(out)


@cache
def _zipf_norm() -> float:
    return sum(1.0 / (r + _ZIPF_K) for r in range(2048))


def _norm(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold()


@dataclass(frozen=True, slots=True)
class _Token:
    text: str  # normalised
    start: int
    end: int
    cjk: bool
    spaced: bool  # separated from the previous token by at least one character


def _tokens(text: str) -> list[_Token]:
    out: list[_Token] = []
    prev_end = -1
    for m in _TOKEN.finditer(text):
        word = m.group()
        if _CJK.search(word):
            # Chinese words are single characters, written with or without separators.
            for i, ch in enumerate(word):
                pos = m.start() + i
                cjk = bool(_CJK.match(ch))
                out.append(_Token(_norm(ch), pos, pos + 1, cjk, pos != prev_end))
                prev_end = pos + 1
        else:
            out.append(_Token(_norm(word), m.start(), m.end(), False, m.start() != prev_end))
            prev_end = m.end()
    return out


def _runs(tokens: list[_Token], words: frozenset[str]) -> Iterable[list[_Token]]:
    run: list[_Token] = []
    for tok in tokens:
        if tok.text in words:
            run.append(tok)
        else:
            if run:
                yield run
            run = []
    if run:
        yield run


def _checksum_ok(indices: list[int]) -> bool:
    """BIP39: the last len/3 bits of the 11-bit indices are the first bits of sha256(entropy)."""
    import hashlib

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


def _mnemonic_findings(text: str, field: str) -> list[Finding]:
    tokens = _tokens(text)
    found: list[Finding] = []
    for wl in _wordlists():
        cjk_list = wl.name in CJK_LANGUAGES
        for run in _runs(tokens, wl.words):
            if len(run) < MIN_WORDS:
                continue
            if not cjk_list:
                found.append(Finding(FindingKind.MNEMONIC, field, run[0].start, run[-1].end))
                continue
            found.extend(_cjk_findings(run, wl, field))
    return found


def _cjk_findings(run: list[_Token], wl: _Wordlist, field: str) -> list[Finding]:
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
    return [Finding(FindingKind.MNEMONIC, field, a, b) for a, b in _merge(spans)]


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


def scan(text: str, *, field: str = "text", known_tx_hashes: Iterable[str] = ()) -> list[Finding]:
    """Everything in `text` that must not leave; empty when it is clean."""
    known = {normalize_tx_hash(h) for h in known_tx_hashes}
    found = _mnemonic_findings(text, field)
    for rx, kind in (
        (_XPRV, FindingKind.EXTENDED_KEY),
        (_WIF, FindingKind.WIF),
        (_KEYSTORE, FindingKind.KEYSTORE),
        (_PASSWORD, FindingKind.PASSWORD),
    ):
        for m in rx.finditer(text):
            end = m.end()
            if kind is FindingKind.PASSWORD:
                tail = re.match(r"\S+", text[end:])
                end += tail.end() if tail else 0
            found.append(Finding(kind, field, m.start(), end))
    if field != "transactions":
        for m in _HEX64.finditer(text):
            if m.group(1).lower() not in known:
                found.append(Finding(FindingKind.HEX_KEY, field, m.start(), m.end()))
    return sorted(set(found), key=lambda f: (f.start, f.end, f.kind))


def scan_fields(fields: Mapping[str, str], *, known_tx_hashes: Iterable[str] = ()) -> list[Finding]:
    known = tuple(known_tx_hashes)
    out: list[Finding] = []
    for name, value in fields.items():
        out.extend(scan(value, field=name, known_tx_hashes=known))
    return out


def ensure_clean(fields: Mapping[str, str], *, known_tx_hashes: Iterable[str] = ()) -> None:
    findings = scan_fields(fields, known_tx_hashes=known_tx_hashes)
    if findings:
        raise SecretRefused(findings)


def redact(text: str, *, known_tx_hashes: Iterable[str] = ()) -> tuple[str, int]:
    """`text` with every finding replaced by [REDACTED:kind], and how many were replaced: for
    the app's own log lines, which are sent scrubbed rather than refused."""
    findings = scan(text, field="log", known_tx_hashes=known_tx_hashes)
    if not findings:
        return text, 0
    out, pos, count = [], 0, 0
    for f in findings:
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
