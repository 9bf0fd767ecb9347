"""Which backend serves which network. The one place wallet/ picks concrete chain classes."""

from __future__ import annotations

from chains.base import ChainBackend
from chains.models import ChainKind, Network


def backend_for(network: Network) -> ChainBackend:
    if network.kind is ChainKind.EVM:
        from chains.evm import EvmBackend

        return EvmBackend(network)
    raise NotImplementedError(f"{network.name}: UTXO chains are not built yet")
