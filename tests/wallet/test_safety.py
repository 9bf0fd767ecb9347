"""Recipient checks and the approval rule (pure functions: no node needed)."""

from __future__ import annotations

import pytest

from wallet.safety import (
    UNLIMITED_APPROVAL,
    RecipientError,
    UnlimitedApproval,
    WarningKind,
    check_approval,
    lookalikes,
    parse_evm_address,
    recipient_warnings,
)

KNOWN = "0x9858EfFD232B4033E47d90003D41EC34EcaEda94"


def test_eip55_checksum_is_enforced_for_mixed_case() -> None:
    assert parse_evm_address(KNOWN).had_checksum
    plain = parse_evm_address(KNOWN.lower())
    assert plain.address == KNOWN and not plain.had_checksum
    flipped = KNOWN[:2] + KNOWN[2].swapcase() + KNOWN[3:]  # '9' stays '9': flip a letter
    flipped = KNOWN.replace("EfFD", "efFD", 1)
    with pytest.raises(RecipientError) as info:
        parse_evm_address(flipped)
    assert info.value.reason == "checksum" and info.value.code == "BAD_RECIPIENT"


@pytest.mark.parametrize("text", ["alice.eth", "vitalik.eth ", "foo.xyz"])
def test_names_are_refused_not_half_resolved(text: str) -> None:
    with pytest.raises(RecipientError) as info:
        parse_evm_address(text)
    assert info.value.reason == "name"


def test_poisoned_lookalike_is_found_and_exact_match_is_not() -> None:
    poison = "0x9858" + "0" * 32 + "da94"
    assert lookalikes(poison, [KNOWN, "0x" + "1" * 40]) == [KNOWN]
    assert lookalikes(KNOWN, [KNOWN]) == []
    assert lookalikes("0x9858" + "0" * 32 + "da95", [KNOWN]) == []


def test_warnings_for_a_new_contract_lookalike() -> None:
    parsed = parse_evm_address("0x9858" + "0" * 32 + "da94")
    kinds = [
        w.kind
        for w in recipient_warnings(
            parsed, is_contract=True, token_contract=None, own=[], known=[KNOWN], sent_before=False
        )
    ]
    assert kinds == [
        WarningKind.CONTRACT,
        WarningKind.NEW,
        WarningKind.LOOKALIKE,
        WarningKind.NO_CHECKSUM,
    ]
    mine = recipient_warnings(
        parse_evm_address(KNOWN),
        is_contract=False,
        token_contract=None,
        own=[KNOWN],
        known=[],
        sent_before=False,
    )
    assert [w.kind for w in mine] == [WarningKind.SELF]


def test_unlimited_approval_is_refused_by_default() -> None:
    assert check_approval(10**18) == 10**18
    with pytest.raises(UnlimitedApproval):
        check_approval(2**256 - 1)
    assert check_approval(UNLIMITED_APPROVAL, allow_unlimited=True) == UNLIMITED_APPROVAL
