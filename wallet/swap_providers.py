"""Which swap providers a network has: Uniswap V2 where the wallet knows its deployment, and a
0x-style aggregator when the user configured one."""

from __future__ import annotations

from chains.evm import EvmBackend
from chains.models import Network
from chains.swaps.base import SwapProvider


def providers_for(
    network: Network,
    backend: EvmBackend,
    *,
    aggregator_url: str | None = None,
    aggregator_key: str | None = None,
    aggregator_exchange: str | None = None,
) -> list[SwapProvider]:
    """The providers for a network: Uniswap V2 where it is deployed, and a 0x-style
    aggregator when the user configured one."""
    from chains.swaps.uniswap_v2 import DEPLOYMENTS, UniswapV2Provider

    out: list[SwapProvider] = []
    if network.id in DEPLOYMENTS:
        out.append(UniswapV2Provider(backend, DEPLOYMENTS[network.id]))
    if aggregator_url and network.evm_chain_id is not None:
        from chains.swaps.aggregator import AggregatorProvider

        out.append(AggregatorProvider(
            aggregator_url, network=network.id, chain_id=network.evm_chain_id,
            exchange=aggregator_exchange or ZEROEX_EXCHANGE_PROXY, api_key=aggregator_key,
        ))  # fmt: skip
    return out


ZEROEX_EXCHANGE_PROXY = "0xDef1C0ded9bec7F1a1670819833240f027b25EfF"
