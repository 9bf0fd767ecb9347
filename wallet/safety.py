"""Checks on a recipient before anything is signed.

Refusals (typed errors): not an address, a wrong EIP-55 checksum, a name (ENS is not
supported: resolving it properly needs the registry, the resolver and a normalisation library,
and a half-done resolver is how money goes to the wrong place), the zero address.

Warnings (the review shows them; the user decides): the recipient is a contract, is new to
this wallet, looks like an address the wallet knows (same first and last characters, the
address-poisoning trick), is the token's own contract, or was typed without a checksum.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from said import Said

_HEX_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
# Poisoners generate addresses that share the first and last characters people compare.
LOOKALIKE_PREFIX = 4  # hex digits after 0x
LOOKALIKE_SUFFIX = 4
UNLIMITED_APPROVAL = 2**255  # anything this large is "unlimited" in practice (max uint256 etc.)


class RecipientError(ValueError):
    code = "BAD_RECIPIENT"

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.details = {"reason": reason}


class UnlimitedApproval(ValueError):
    code = "UNLIMITED_APPROVAL"


class WarningKind(StrEnum):
    CONTRACT = "contract"
    TOKEN_CONTRACT = "token_contract"  # noqa: S105 (a warning kind, not a secret)
    NEW = "new"
    LOOKALIKE = "lookalike"
    NO_CHECKSUM = "no_checksum"
    SELF = "self"
    # About the fee (chains.fees.FeeConcern), shown with the recipient's in one list.
    HIGH_FEE = "high_fee"
    FEE_ABOVE_AMOUNT = "fee_above_amount"
    BELOW_BASE_FEE = "below_base_fee"
    # A payment of the same amount to the same recipient is pending, or was re-sent just now
    # after a crash: sending again would pay twice. `other` is its transaction hash.
    DUPLICATE = "duplicate"


@dataclass(frozen=True)
class RecipientWarning:
    kind: WarningKind
    other: str | None = None  # LOOKALIKE: the known address it resembles


@dataclass(frozen=True)
class ParsedAddress:
    address: str  # EIP-55 checksummed
    had_checksum: bool


def parse_evm_address(text: str) -> ParsedAddress:
    from eth_utils import to_checksum_address

    s = text.strip()
    if "." in s and not s.startswith("0x"):
        raise RecipientError(
            Said(
                "safety.names_such_as_ens",
                "names such as ENS are not supported: paste the 0x address",
            ),
            "name",
        )
    if not _HEX_ADDRESS.fullmatch(s):
        raise RecipientError(
            Said("safety.address_0x_followed_by", "an address is 0x followed by 40 hex digits"),
            "format",
        )
    checked = str(to_checksum_address(s))
    body = s[2:]
    mixed = body != body.lower() and body != body.upper()
    if mixed and s != checked:
        raise RecipientError(
            Said(
                "safety.address_s_checksum_upper",
                "the address's checksum (its upper/lower case) is wrong: "
                "check it character by character, it may have been mistyped "
                "or altered",
            ),
            "checksum",
        )
    if int(body, 16) == 0:
        raise RecipientError(
            Said(
                "safety.zero_address_burns_whatever",
                "the zero address burns whatever is sent to it",
            ),
            "zero",
        )
    return ParsedAddress(checked, mixed)


def lookalikes(address: str, known: Iterable[str]) -> list[str]:
    a = address.lower()
    out = []
    for k in dict.fromkeys(known):
        kl = k.lower()
        if kl == a:
            continue
        if (
            kl[2 : 2 + LOOKALIKE_PREFIX] == a[2 : 2 + LOOKALIKE_PREFIX]
            and kl[-LOOKALIKE_SUFFIX:] == a[-LOOKALIKE_SUFFIX:]
        ):
            out.append(k)
    return out


def recipient_warnings(
    parsed: ParsedAddress,
    *,
    is_contract: bool,
    token_contract: str | None,
    own: Iterable[str],
    known: Iterable[str],
    sent_before: bool,
) -> tuple[RecipientWarning, ...]:
    """known: the address book and past recipients; own: the wallet's own addresses."""
    out: list[RecipientWarning] = []
    addr = parsed.address
    own_l = {a.lower() for a in own}
    known_l = {a.lower() for a in known}
    if token_contract is not None and addr.lower() == token_contract.lower():
        out.append(RecipientWarning(WarningKind.TOKEN_CONTRACT))
    elif is_contract:
        out.append(RecipientWarning(WarningKind.CONTRACT))
    if addr.lower() in own_l:
        out.append(RecipientWarning(WarningKind.SELF))
    elif not sent_before and addr.lower() not in known_l:
        out.append(RecipientWarning(WarningKind.NEW))
    for other in lookalikes(addr, [*own, *known]):
        out.append(RecipientWarning(WarningKind.LOOKALIKE, other))
    if not parsed.had_checksum:
        out.append(RecipientWarning(WarningKind.NO_CHECKSUM))
    return tuple(out)


def check_approval(amount: int, *, allow_unlimited: bool = False) -> int:
    """Approvals are for the exact amount needed; an unlimited one only when asked for."""
    if amount < 0:
        raise ValueError("an approval cannot be negative")
    if amount >= UNLIMITED_APPROVAL and not allow_unlimited:
        raise UnlimitedApproval(
            Said(
                "safety.unlimited_approval_lets_spender",
                "an unlimited approval lets the spender take every token of "
                "this kind, now and later: approve the exact amount instead",
            )
        )
    return amount
