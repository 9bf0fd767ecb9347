"""Built-in networks. Users add or override RPC URLs in settings (rpc_urls)."""

from __future__ import annotations

from chains.models import ChainKind, Network

NETWORKS: dict[str, Network] = {
    n.id: n
    for n in (
        Network(
            id="eth",
            name="Ethereum",
            kind=ChainKind.EVM,
            native_symbol="ETH",
            native_decimals=18,
            evm_chain_id=1,
            rpc_urls=("https://ethereum-rpc.publicnode.com",),
            explorer_url="https://etherscan.io",
        ),
        Network(
            id="sepolia",
            name="Sepolia",
            kind=ChainKind.EVM,
            native_symbol="ETH",
            native_decimals=18,
            evm_chain_id=11155111,
            rpc_urls=("https://ethereum-sepolia-rpc.publicnode.com",),
            explorer_url="https://sepolia.etherscan.io",
            testnet=True,
        ),
    )
}


def devnet(rpc_url: str, chain_id: int = 31337) -> Network:
    """The embedded demo chain: anvil on loopback."""
    return Network(
        id="devnet",
        name="Devnet",
        kind=ChainKind.EVM,
        native_symbol="ETH",
        native_decimals=18,
        evm_chain_id=chain_id,
        rpc_urls=(rpc_url,),
        testnet=True,
    )


def get_network(network_id: str, rpc_overrides: dict[str, list[str]] | None = None) -> Network:
    try:
        net = NETWORKS[network_id]
    except KeyError:
        known = ", ".join(sorted(NETWORKS))
        raise ValueError(f"unknown network '{network_id}': choose one of {known}") from None
    urls = (rpc_overrides or {}).get(network_id)
    return net.model_copy(update={"rpc_urls": (*urls, *net.rpc_urls)}) if urls else net
