"""Guards everything that leaves in a ticket: refuses recovery phrases and keys.

Users paste what a scammer told them to paste, written however the scammer told them to write
it, so the scrubber first undoes the ways a secret can be disguised and then looks for it.

This module is the API (`scan`, `scan_fields`, `ensure_clean`, `redact`); the work is in
`scrub_text.py` (normalising), `scrub_phrases.py` (recovery phrases), `scrub_detect.py` (keys,
keystores, passwords, hidden encodings) and `scrub_findings.py` (what a finding is).

Normalising (`scrub_text.normalise`), with a map back to the caller's character positions:

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

from collections.abc import Iterable, Mapping

from wallet.support.scrub_detect import address_ids, normalize_tx_hash, scan_norm
from wallet.support.scrub_findings import Finding, SecretRefused
from wallet.support.scrub_phrases import CJK_LANGUAGES, matches, wordlists
from wallet.support.scrub_text import FIELD_JOIN, Normalised, fold_text, norm_word, normalise

# -- public API ------------------------------------------------------------------------------


def is_wordlist_word(text: str) -> bool:
    """`text` is a word (or a word's first four letters) of a BIP39 list, or holds a Chinese
    list character."""
    word = norm_word(fold_text(text))
    return any(matches(word, wl) or (wl.name in CJK_LANGUAGES and set(word) & wl.words)
               for wl in wordlists())  # fmt: skip


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
    norm = normalise(joined)
    # The transactions field holds hashes the app chose from the user's history.
    exempt = [
        (_norm_end(norm, a), _norm_end(norm, b))
        for n, a, b in bounds
        if n == "transactions" and b > a
    ]
    own = address_ids(own_addresses) if own_addresses else frozenset()
    out: list[Finding] = []
    for hit in scan_norm(norm.text, known, 0, own, exempt):
        a, b = norm.span(hit.start, hit.end)
        touched = [(n, fa, fb) for n, fa, fb in bounds if (a < fb and fa < b) or (a == fa == b)]
        if not touched:
            continue
        name, fa, fb = touched[0]
        start = max(a, fa) - fa
        end = min(b, fb) - fa
        out.append(Finding(hit.kind, name, start, end, tuple(n for n, _, _ in touched[1:])))
    return out


def _norm_end(norm: Normalised, original_end: int) -> int:
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
