"""The abnormal-activity rules, one pure function each."""

from __future__ import annotations

from wallet.activity import (
    UNLIMITED_ALLOWANCE,
    Action,
    Context,
    Flag,
    RowFacts,
    advice,
    approval_flags,
    dust_limit,
    evaluate,
    flag_names,
    is_failed,
    is_large_outflow,
    is_lookalike,
    is_not_made_here,
    is_poisoning,
)

REAL = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
FAKE = "0x7099aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa79c8"  # same first 4 and last 4 hex characters
OTHER = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"


def test_failed() -> None:
    assert is_failed("failed")
    assert not is_failed("confirmed") and not is_failed("pending")


def test_approval_flags() -> None:
    assert approval_flags("approval", 100) == Flag.APPROVAL
    assert approval_flags("approval", 2**256 - 1) == Flag.APPROVAL | Flag.UNLIMITED_APPROVAL
    assert approval_flags("approval", UNLIMITED_ALLOWANCE - 1) == Flag.APPROVAL
    assert approval_flags("approval", 0) == Flag(0)  # a revoke is good news
    assert approval_flags("transfer", 2**256 - 1) == Flag(0)
    # this app's exact approval for a swap is expected; an unlimited one is still news
    assert approval_flags("approval", 100, made_here=True) == Flag(0)
    assert approval_flags("approval", 2**256 - 1, made_here=True) == (
        Flag.APPROVAL | Flag.UNLIMITED_APPROVAL
    )


def test_not_made_here() -> None:
    assert is_not_made_here("out", "transfer", False, 120, watched_from=100)
    assert is_not_made_here("out", "call", False, 120, watched_from=None)
    assert not is_not_made_here("out", "transfer", True, 120, watched_from=100)
    assert not is_not_made_here("in", "transfer", False, 120, watched_from=100)
    # before the app watched the account (a restored wallet's past): not news
    assert not is_not_made_here("out", "transfer", False, 90, watched_from=100)
    assert not is_not_made_here("out", "approval", False, 120, watched_from=100)


def test_lookalike() -> None:
    assert is_lookalike(FAKE, REAL)
    assert is_lookalike(FAKE.upper().replace("0X", "0x"), REAL.lower())
    assert not is_lookalike(REAL, REAL.lower())  # the same address is not a lookalike
    assert not is_lookalike(OTHER, REAL)
    assert not is_lookalike("0x7099", REAL)


def test_dust_limit() -> None:
    assert dust_limit(18) == 10**16
    assert dust_limit(6) == 10**4
    assert dust_limit(0) == 0
    assert dust_limit(None) == 0


def test_poisoning() -> None:
    known = {REAL}
    assert is_poisoning("in", 0, 10**4, FAKE, known, made_here=False)
    assert is_poisoning("in", 10**4, 10**4, FAKE, known, made_here=False)  # dust
    assert not is_poisoning("in", 10**4 + 1, 10**4, FAKE, known, made_here=False)
    assert not is_poisoning("in", 0, 10**4, REAL, known, made_here=False)  # the real one
    assert not is_poisoning("in", 0, 10**4, OTHER, known, made_here=False)  # not alike
    # a zero-value transfer "from" the user that the app never made: transferFrom(victim, ...)
    assert is_poisoning("out", 0, 10**4, OTHER, set(), made_here=False)
    assert not is_poisoning("out", 0, 10**4, OTHER, set(), made_here=True)


def test_large_outflow() -> None:
    assert is_large_outflow(600, [100, 120, 90])
    assert not is_large_outflow(500, [100, 120, 90])  # exactly 5x the median is not "far above"
    assert not is_large_outflow(10**9, [100, 120])  # too little history to judge
    assert not is_large_outflow(0, [1, 1, 1])


def _facts(**kw: object) -> RowFacts:
    base: dict[str, object] = dict(
        kind="transfer",
        direction="out",
        status="confirmed",
        amount=100,
        decimals=6,
        counterparty=OTHER,
        made_here=True,
        block=200,
    )
    base.update(kw)
    return RowFacts(**base)  # type: ignore[arg-type]


def test_evaluate_combines_and_learns_outflows() -> None:
    ctx = Context(known={REAL.lower()}, watched_from=100)
    for amount in (100, 110, 90):
        assert evaluate(_facts(amount=amount), "a", ctx) == Flag(0)
    assert evaluate(_facts(amount=10_000), "a", ctx) == Flag.LARGE_OUTFLOW
    assert evaluate(_facts(amount=10_000), "other-asset", ctx) == Flag(0)
    assert evaluate(_facts(made_here=False), "a", ctx) == Flag.NOT_MADE_HERE
    assert evaluate(_facts(status="failed"), "a", ctx) & Flag.FAILED
    got = evaluate(_facts(direction="in", amount=0, counterparty=FAKE, made_here=False), "a", ctx)
    assert got == Flag.POISONING
    got = evaluate(_facts(kind="approval", amount=2**256 - 1, made_here=False), "a", ctx)
    assert got == Flag.APPROVAL | Flag.UNLIMITED_APPROVAL


def test_advice() -> None:
    assert advice(Flag(0)) == []
    assert advice(Flag.APPROVAL | Flag.UNLIMITED_APPROVAL) == [Action.REVOKE, Action.SUPPORT]
    assert advice(Flag.NOT_MADE_HERE) == [Action.MOVE_FUNDS, Action.REVOKE, Action.SUPPORT]
    assert advice(Flag.POISONING) == [Action.VERIFY_ADDRESS, Action.SUPPORT]
    assert advice(Flag.FAILED) == [Action.CHECK_FEE, Action.SUPPORT]


def test_flag_names() -> None:
    assert flag_names(Flag.APPROVAL | Flag.FAILED) == ["approval", "failed"]
    assert flag_names(0) == []
