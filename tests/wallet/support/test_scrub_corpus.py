"""The scrubber's corpus (tests/wallet/support/scrub_corpus.py) in CI: every way of writing a
secret is refused, reported once and never quoted; every ordinary text passes."""

from __future__ import annotations

import pytest

from tests.wallet.support import scrub_corpus as corpus
from wallet.support import scrubber
from wallet.support.scrub_findings import FindingKind
from wallet.support.scrubber import SecretRefused, ensure_clean, scan_fields

BYPASSES = corpus.bypasses() + corpus.owned_cases()
PASSES = corpus.passes()
CANARIES = (corpus.KEY, corpus.WIF, corpus.XPRV, corpus.PASSWORD, *corpus.WORDS[1:4])


@pytest.mark.parametrize("case", BYPASSES, ids=[c.name for c in BYPASSES])
def test_bypass_is_refused_once_and_never_quoted(case: corpus.Case) -> None:
    found = scan_fields(case.fields, own_addresses=case.own_addresses)
    assert len(found) == 1, [(f.kind, f.field, f.start, f.end) for f in found]
    with pytest.raises(SecretRefused) as exc:
        ensure_clean(case.fields, own_addresses=case.own_addresses)
    shown = str(exc.value) + repr(exc.value.findings)
    assert not [c for c in CANARIES if c in shown]


@pytest.mark.parametrize("name,fields", PASSES, ids=[n for n, _ in PASSES])
def test_ordinary_text_passes(name: str, fields: dict[str, str]) -> None:
    assert scan_fields(fields, known_tx_hashes=corpus.KNOWN_TX) == []


def test_split_phrase_is_one_finding_naming_every_field() -> None:
    fields = {
        "subject": " ".join(corpus.WORDS[:4]),
        "description": " ".join(corpus.WORDS[4:8]),
        "diagnostics": " ".join(corpus.WORDS[8:]),
    }
    [finding] = scan_fields(fields)
    assert (finding.field, finding.start, finding.also) == (
        "subject",
        0,
        ("description", "diagnostics"),
    )


def test_own_address_proves_a_key_that_shape_alone_does_not() -> None:
    [case] = corpus.owned_cases()
    assert scan_fields(case.fields) == []  # 130 hex digits: a signature, by shape
    [finding] = scan_fields(case.fields, own_addresses=case.own_addresses)
    assert finding.kind is FindingKind.PRIVATE_KEY


def test_figures() -> None:
    """The figures for the issue's note (run with -s to see them)."""
    f = corpus.measure(scrubber)
    rate = 100 * f.false_positives / f.clean_total
    print(f"\nscrubber corpus: caught {f.caught}/{f.total}; false positives ", end="")
    print(f"{f.false_positives}/{f.clean_total} ({rate:.1f}%)")
    assert (f.missed, f.flagged) == ([], [])
