"""Abnormal activity: the things a user is told to watch for, as small pure rules.

Each rule is a function of plain values (no store, no network) with its own test; `evaluate`
combines them for one history row given the context the store provides. `advice` maps the
flags to what the user can do about them (the History screen's "what to do" key).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import IntFlag, StrEnum


class Flag(IntFlag):
    NOT_MADE_HERE = 1  # an outgoing transaction this app did not sign
    APPROVAL = 2  # a token approval: someone may spend the user's tokens
    UNLIMITED_APPROVAL = 4  # ... without limit
    POISONING = 8  # zero-value or dust transfer with a lookalike address
    LARGE_OUTFLOW = 16  # far above this account's usual outflows of the asset
    FAILED = 32  # reverted: the fee is spent, nothing moved


# An allowance this large is "unlimited" in practice: wallets and dapps ask for 2**256-1
# (or 2**160-1 for Permit2); no token's supply comes near 2**128 base units.
UNLIMITED_ALLOWANCE = 2**128
LOOKALIKE_HEAD = 4  # hex characters after 0x that poisoners copy (they brute-force these)
LOOKALIKE_TAIL = 4
LARGE_FACTOR = 5  # an outflow this many times the median of earlier ones is unusual
LARGE_MIN_HISTORY = 3  # earlier outflows needed before "unusual" means anything


def is_failed(status: str) -> bool:
    return status == "failed"


def approval_flags(kind: str, allowance: int, made_here: bool = False) -> Flag:
    """APPROVAL for a non-zero allowance (setting it to 0 is a revoke: good news), plus
    UNLIMITED_APPROVAL when the allowance is effectively unlimited. An exact approval this app
    made for a swap is the swap working as reviewed, not news; an unlimited one always is."""
    if kind != "approval" or allowance <= 0:
        return Flag(0)
    if allowance >= UNLIMITED_ALLOWANCE:
        return Flag.APPROVAL | Flag.UNLIMITED_APPROVAL
    return Flag(0) if made_here else Flag.APPROVAL


def is_not_made_here(
    direction: str, kind: str, made_here: bool, block: int | None, watched_from: int | None
) -> bool:
    """An outgoing transfer or call this app did not sign, after the app started watching
    the account (history from before, e.g. of a restored wallet, is not news)."""
    if direction != "out" or kind == "approval" or made_here:
        return False
    return watched_from is None or block is None or block > watched_from


def is_lookalike(a: str, b: str, head: int = LOOKALIKE_HEAD, tail: int = LOOKALIKE_TAIL) -> bool:
    """Different addresses with the same first `head` and last `tail` characters (after 0x),
    case-insensitively: what a hurried eye checks, and what poisoners imitate."""
    x, y = a.lower().removeprefix("0x"), b.lower().removeprefix("0x")
    if x == y or len(x) < head + tail or len(y) < head + tail:
        return False
    return x[:head] == y[:head] and x[-tail:] == y[-tail:]


def dust_limit(decimals: int | None) -> int:
    """Below this many base units a transfer is dust: a hundredth of one whole unit. Unknown
    decimals: only zero counts."""
    return 0 if decimals is None else 10**decimals // 100


def is_poisoning(
    direction: str,
    amount: int,
    dust: int,
    counterparty: str,
    known: Iterable[str],
    made_here: bool,
) -> bool:
    """Address poisoning: a zero-value or dust transfer whose counterparty imitates an address
    the user really deals with (so it lands in the history to be copied next time); or a
    zero-value transfer "from" the user that the user never made (transferFrom of 0 needs no
    allowance: the classic fake outgoing entry)."""
    if made_here or amount > dust:
        return False
    if direction == "out" and amount == 0:
        return True
    cp = counterparty.lower()
    known_l = {k.lower() for k in known}
    if cp in known_l:
        return False
    return any(is_lookalike(cp, k) for k in known_l)


def is_large_outflow(
    amount: int,
    earlier: Sequence[int],
    factor: int = LARGE_FACTOR,
    min_history: int = LARGE_MIN_HISTORY,
) -> bool:
    """Far above the median of the account's earlier outflows of the same asset. Integers
    only: median_low picks an actual earlier amount rather than averaging two."""
    if len(earlier) < min_history or amount <= 0:
        return False
    return amount > factor * statistics.median_low(earlier)


@dataclass(frozen=True)
class RowFacts:
    """What the rules need of one history row."""

    kind: str
    direction: str
    status: str
    amount: int
    decimals: int | None
    counterparty: str
    made_here: bool
    block: int | None


@dataclass
class Context:
    """What the store knows around a row: addresses the user really deals with (sent to from
    this app, address book), earlier outflow amounts per asset, and from which block each
    account has been watched."""

    known: set[str] = field(default_factory=set)
    earlier_outflows: dict[str, list[int]] = field(default_factory=dict)
    watched_from: int | None = None


def evaluate(row: RowFacts, asset: str, ctx: Context) -> Flag:
    flags = approval_flags(row.kind, row.amount, row.made_here)
    if is_failed(row.status):
        flags |= Flag.FAILED
    if row.kind == "approval":
        return flags
    if is_not_made_here(row.direction, row.kind, row.made_here, row.block, ctx.watched_from):
        flags |= Flag.NOT_MADE_HERE
    if row.kind == "transfer" and is_poisoning(
        row.direction,
        row.amount,
        dust_limit(row.decimals),
        row.counterparty,
        ctx.known,
        row.made_here,
    ):
        flags |= Flag.POISONING
    if row.direction == "out" and row.status != "failed":
        earlier = ctx.earlier_outflows.setdefault(asset, [])
        if is_large_outflow(row.amount, earlier):
            flags |= Flag.LARGE_OUTFLOW
        if row.amount > 0:
            earlier.append(row.amount)
    return flags


class Action(StrEnum):
    REVOKE = "revoke"  # set the allowance back to zero
    MOVE_FUNDS = "move_funds"  # to a fresh wallet: the key may be known to someone else
    SUPPORT = "support"  # a ticket prefilled with the transaction
    VERIFY_ADDRESS = "verify_address"  # never copy addresses from history
    CHECK_FEE = "check_fee"  # a failed transaction still costs its fee


def advice(flags: Flag) -> list[Action]:
    """What to do, most urgent first."""
    out: list[Action] = []
    if flags & Flag.NOT_MADE_HERE:
        out += [Action.MOVE_FUNDS, Action.REVOKE]
    if flags & Flag.APPROVAL and Action.REVOKE not in out:
        out.append(Action.REVOKE)
    if flags & Flag.POISONING:
        out.append(Action.VERIFY_ADDRESS)
    if flags & Flag.LARGE_OUTFLOW and Action.MOVE_FUNDS not in out:
        out.append(Action.MOVE_FUNDS)
    if flags & Flag.FAILED:
        out.append(Action.CHECK_FEE)
    if flags:
        out.append(Action.SUPPORT)
    return out


def flag_names(flags: int) -> list[str]:
    """Stable lower-case names (CSV, JSON, catalog keys), in bit order."""
    return [f.name.lower() for f in Flag if f.name and flags & f]
