"""Built-in EVM networks. A user's own RPC URLs (settings `rpc_urls`) replace the built-in ones
for that network (get_network); chains/evm.py falls back on the next URL of the list in use
when one is down (never beyond it; `one_server` keeps only the first).
"""

from __future__ import annotations

from chains.models import ChainKind, Network
from said import Said


def _evm(
    id: str,
    name: str,
    chain_id: int,
    symbol: str,
    rpc: tuple[str, ...],
    explorer: str,
    *,
    testnet: bool = False,
) -> Network:
    return Network(
        id=id,
        name=name,
        kind=ChainKind.EVM,
        native_symbol=symbol,
        native_decimals=18,
        evm_chain_id=chain_id,
        rpc_urls=rpc,
        explorer_url=explorer,
        testnet=testnet,
    )


NETWORKS: dict[str, Network] = {
    n.id: n
    for n in (
        _evm(
            "eth",
            "Ethereum",
            1,
            "ETH",
            ("https://ethereum-rpc.publicnode.com", "https://eth.llamarpc.com"),
            "https://etherscan.io",
        ),
        _evm(
            "sepolia",
            "Sepolia",
            11155111,
            "ETH",
            ("https://ethereum-sepolia-rpc.publicnode.com", "https://rpc.sepolia.org"),
            "https://sepolia.etherscan.io",
            testnet=True,
        ),
        _evm(
            "polygon",
            "Polygon",
            137,
            "POL",
            ("https://polygon-bor-rpc.publicnode.com", "https://polygon-rpc.com"),
            "https://polygonscan.com",
        ),
        _evm(
            "arbitrum",
            "Arbitrum One",
            42161,
            "ETH",
            ("https://arbitrum-one-rpc.publicnode.com", "https://arb1.arbitrum.io/rpc"),
            "https://arbiscan.io",
        ),
        _evm(
            "base",
            "Base",
            8453,
            "ETH",
            ("https://base-rpc.publicnode.com", "https://mainnet.base.org"),
            "https://basescan.org",
        ),
        _evm(
            "bnb",
            "BNB Chain",
            56,
            "BNB",
            ("https://bsc-rpc.publicnode.com", "https://bsc-dataseed.bnbchain.org"),
            "https://bscscan.com",
        ),
    )
}

DEVNET_ID = "devnet"


def devnet(rpc_url: str, chain_id: int = 31337) -> Network:
    """The embedded demo chain: anvil on loopback."""
    return Network(
        id=DEVNET_ID,
        name="Devnet",
        kind=ChainKind.EVM,
        native_symbol="ETH",
        native_decimals=18,
        evm_chain_id=chain_id,
        rpc_urls=(rpc_url,),
        testnet=True,
    )


def network_ids() -> tuple[str, ...]:
    return (*NETWORKS, DEVNET_ID)


def get_network(network_id: str, rpc_overrides: dict[str, list[str]] | None = None) -> Network:
    """The network with the user's RPC URLs instead of the built-in ones when there are any.
    'devnet' has no built-in URL: it needs one in rpc_urls (the demo sets its own)."""
    urls = tuple((rpc_overrides or {}).get(network_id) or ())
    if network_id == DEVNET_ID:
        if not urls:
            raise ValueError(
                Said(
                    "networks.devnet_has_no_built",
                    "the devnet has no built-in RPC URL: set rpc_urls.devnet in settings",
                )
            )
        return devnet(urls[0]).model_copy(update={"rpc_urls": urls})
    try:
        net = NETWORKS[network_id]
    except KeyError:
        known = ", ".join(network_ids())
        raise ValueError(
            Said(
                "networks.unknown_network_choose_one",
                "unknown network '{network_id}': choose one of {known}",
                network_id=network_id,
                known=known,
            )
        ) from None
    if not urls:
        return net
    # The user's URLs replace the public defaults rather than going first: someone who runs
    # their own node does not want their addresses sent to a public one when it is down.
    # Fallback happens among the user's own URLs, in their order.
    return net.model_copy(update={"rpc_urls": tuple(dict.fromkeys(urls))})


def explorer_tx_url(network: Network, tx_hash: str) -> str | None:
    return f"{network.explorer_url}/tx/{tx_hash}" if network.explorer_url else None
