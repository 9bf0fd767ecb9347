"""Which history API serves an EVM network: the user's (`[explorers.<network>]`), else the
network's public Blockscout instance (no key needed), else the node. Etherscan needs a key on
public networks since 2025, so a fresh wallet reads Blockscout; a key alone still means
Etherscan's V2 API (one key for every chain)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from wallet.settings import Settings

ETHERSCAN_V2 = "https://api.etherscan.io/v2/api"
EXPLORER_KEY_ENV = "TERMWALLET_EXPLORER_KEY"  # the older name of the key's variable


@dataclass(frozen=True)
class HistoryApi:
    kind: Literal["etherscan", "blockscout"]
    url: str
    key: str | None

    def __repr__(self) -> str:  # never the key
        return f"HistoryApi({self.kind!r}, {self.url!r})"


def history_api_for(network_id: str, settings: Settings) -> HistoryApi | None:
    """The API for `network_id`, or None: read the node (the devnet always does)."""
    from chains.blockscout import INSTANCES

    table = settings.explorers.get(network_id)
    key = (table.key.get_secret_value() if table is not None and table.key else None) or (
        os.environ.get(EXPLORER_KEY_ENV) or None
    )
    kind = table.api if table is not None else None
    url = table.url if table is not None else None
    if kind == "node" or (network_id == "devnet" and url is None):
        return None
    if kind == "blockscout" or (kind is None and url is None and key is None):
        url = url or INSTANCES.get(network_id)
        return HistoryApi("blockscout", url.rstrip("/"), key) if url else None
    if url is None and key is None:
        return None  # "etherscan" named without a URL or a key: nothing to ask
    return HistoryApi("etherscan", url or ETHERSCAN_V2, key)
