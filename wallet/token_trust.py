"""Which decimals and symbol of a token are the truth: the token list's, or what the user
confirmed on first using it (stored in user_tokens). A node's later answer is only checked
against them (wallet/send_checks.py check_token); it never changes what an amount means.

A token is "confirmed" once a row for it is in user_tokens: tokens added by contract address
are stored there on their first use, and a listed token gets its row (listed = 1) the first
time the user signs with it, so a review can say "first use" exactly once per token.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from chains.evm import EvmBackend
from chains.models import Asset
from wallet.store import Store


@dataclass(frozen=True)
class FirstUse:
    """A token used for the first time: its decimals, and where they came from."""

    asset: Asset
    source: Literal["list", "contract"]


def _stored(store: Store, asset: Asset) -> bool:
    assert asset.contract is not None
    row = store.db.execute(
        "SELECT 1 FROM user_tokens WHERE network = ? AND lower(contract) = ?",
        (asset.network, asset.contract.lower()),
    ).fetchone()
    return row is not None


def first_use_of(store: Store, asset: Asset) -> FirstUse | None:
    """None for the native coin and for a token the user confirmed before."""
    if asset.contract is None or _stored(store, asset):
        return None
    from chains.tokens import find_listed

    listed = find_listed(asset.network, asset.contract) is not None
    return FirstUse(asset, "list" if listed else "contract")


def remember(store: Store, first: FirstUse) -> None:
    """The user confirmed the review that named this token's decimals: they are its truth."""
    a = first.asset
    with store.db:
        store.db.execute(
            "INSERT INTO user_tokens(network, contract, symbol, name, decimals, listed, "
            "added_at) VALUES(?, ?, ?, ?, ?, ?, ?) ON CONFLICT(network, contract) DO NOTHING",
            (a.network, a.contract, a.symbol, a.name, a.decimals, int(first.source == "list"),
             datetime.now(UTC).isoformat()),
        )  # fmt: skip


async def check_against_node(store: Store, backend: EvmBackend, asset: Asset) -> None:
    """TokenChanged (wallet/send_checks.py) when the node's decimals() or symbol() for `asset`
    differ from the truth the wallet holds; nothing for the native coin. A listed token's
    symbol may be written differently on the list, so only its decimals count."""
    if asset.contract is None:
        return
    from chains.tokens import find_listed
    from wallet.send_checks import check_token

    meta = await backend.token_metadata(asset.contract)
    listed = find_listed(asset.network, asset.contract) is not None or not _stored(store, asset)
    check_token(asset, meta.symbol or "?", meta.decimals, listed=listed)
