"""Token lists per network (chains/tokenlists/<network>.json): the well-known tokens a wallet
shows without asking. Anything else is a user-added token and is flagged as unknown.

The lists are short on purpose: each entry is checked against its contract in review, and a
test proves every address is EIP-55 checksummed (a typo in a mixed-case address breaks it).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from chains.models import Asset

_DIR = Path(__file__).parent / "tokenlists"


@cache
def listed_tokens(network_id: str) -> tuple[Asset, ...]:
    path = _DIR / f"{network_id}.json"
    if not path.exists():
        return ()
    data = json.loads(path.read_text("utf-8"))
    return tuple(
        Asset(
            network=network_id,
            symbol=t["symbol"],
            name=t["name"],
            decimals=int(t["decimals"]),
            contract=t["address"],
        )
        for t in data["tokens"]
    )


def find_listed(network_id: str, contract: str) -> Asset | None:
    low = contract.lower()
    for asset in listed_tokens(network_id):
        if asset.contract is not None and asset.contract.lower() == low:
            return asset
    return None


def impersonates(network_id: str, symbol: str, contract: str) -> Asset | None:
    """A listed token with the same symbol at another address: what a fake token looks like."""
    listed = find_listed(network_id, contract)
    if listed is not None:
        return None
    for asset in listed_tokens(network_id):
        if asset.symbol.upper() == symbol.strip().upper():
            return asset
    return None
