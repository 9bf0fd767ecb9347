"""Recovery phrases in any BIP39 wordlist: tokens, runs of list words (with markers and
filler words), glued phrases, and Chinese phrases judged by evidence. wallet/support/scrubber.py's
docstring gives the rules and why."""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass
from functools import cache

from wallet.support.scrub_text import FIELD_JOIN, fold_text, norm_word

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
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_MARKER = re.compile(r"(?:[a-z]{1,2}|[ivxlc]{1,6})")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


@dataclass(frozen=True, slots=True)
class _Wordlist:
    name: str
    words: frozenset[str]
    index: dict[str, int]
    prefixes: frozenset[str]  # first four letters of the words longer than four
    longest: int


@cache
def wordlists() -> tuple[_Wordlist, ...]:
    from mnemonic import Mnemonic

    out = []
    for name in sorted(Mnemonic.list_languages()):
        words = [norm_word(fold_text(w)) for w in Mnemonic(name).wordlist]
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
                out.append(_Token(norm_word(ch), pos, pos + 1, cjk, gap(pos), False))
                prev_end = pos + 1
            continue
        start = m.start()
        for part in _CAMEL.split(word):
            end = start + len(part)
            nxt = text[end : end + 1]
            low = norm_word(part)
            marker = nxt in (")", ".", "]", ":") and bool(_MARKER.fullmatch(low))
            out.append(_Token(low, start, end, False, gap(start), marker))
            prev_end = end
            start = end
    return out


def matches(word: str, wl: _Wordlist) -> bool:
    return word in wl.words or (len(word) == 4 and word in wl.prefixes)


def _runs(tokens: list[_Token], wl: _Wordlist, *, reverse: bool = False) -> list[list[_Token]]:
    """Runs of consecutive list tokens; list markers ('a)', 'iv.') neither count nor break."""
    runs: list[list[_Token]] = []
    run: list[_Token] = []
    for tok in tokens:
        if matches(tok.text[::-1] if reverse else tok.text, wl):
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
        if not matches(tok.text, wl) and not tok.marker:
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


def mnemonic_spans(text: str) -> list[tuple[int, int]]:
    tokens = _tokens(text)
    spans: list[tuple[int, int]] = []
    latin = [t for t in tokens if not t.cjk]
    for wl in wordlists():
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
        letters = norm_word(text[group[0].start : group[-1].end])
        letters = "".join(c for c in letters if c.isalpha())
        # Twelve words use many letters; 'abab...' (hex digits that happen to be letters) do not.
        if len(letters) < 3 * MIN_WORDS or len(set(letters)) < 10:
            continue
        for wl in wordlists():
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
