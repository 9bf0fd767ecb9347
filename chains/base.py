"""Protocols the wallet layer programs against. Concrete backends live beside this file."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from chains.models import Asset, Balance, Network


@runtime_checkable
class ChainBackend(Protocol):
    """One per chain and network. Async; every method is one logical request to the backend
    (batched where the protocol allows) so the UI can count and bound round trips."""

    network: Network

    async def balances(self, addresses: Sequence[str], assets: Sequence[Asset]) -> list[Balance]:
        """Every (address, asset) pair, in one batched round trip where possible."""
        ...

    async def block_number(self) -> int: ...

    async def aclose(self) -> None: ...
