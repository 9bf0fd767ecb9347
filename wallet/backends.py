"""Which backend serves which network. The one place wallet/ picks concrete chain classes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from chains.base import ChainBackend
from chains.models import ChainKind, Network
from said import Said

if TYPE_CHECKING:
    from chains.cert_pins import CertPins
    from chains.utxo import UtxoBackend
    from chains.utxo_networks import UtxoNetwork


class NoUtxoServer(ValueError):
    code = "UTXO_ACCOUNT"


def backend_for(network: Network) -> ChainBackend:
    if network.kind is ChainKind.EVM:
        from chains.evm import EvmBackend

        return EvmBackend(network)
    raise NotImplementedError(
        f"{network.name}: Bitcoin-like networks use utxo_backend_for (their own protocol)"
    )


def load_client_library(kind: str) -> None:
    """Import what a network kind's first balance read needs on the calling thread (the app's
    session worker): for "evm", the JSON-RPC client (httpx) and EIP-55's keccak, not web3
    (about 0.6 s, needed to sign: `load_signing_library`). The first balance read must not
    import anything heavy on the app's event loop: that froze the screen (and the typing of a
    password), and waiting for web3 here kept the balances off the screen as long."""
    if kind == ChainKind.EVM.value:
        from chains.evm import load_first_read_libraries

        load_first_read_libraries()


def load_signing_library(kind: str) -> None:
    """Start importing a network kind's signing library ("evm": web3) on a thread of its own;
    returns at once. The app calls it once the first balances are drawn: started sooner, the
    import's half second of CPU held the GIL while the balances were read and drawn."""
    if kind == ChainKind.EVM.value:
        from chains.evm import preload_web3

        preload_web3()


def utxo_network_for(
    network_id: str,
    electrum_servers: Mapping[str, Sequence[str]] | None = None,
    esplora_urls: Mapping[str, Sequence[str]] | None = None,
) -> UtxoNetwork:
    """A built-in Bitcoin-like network with the user's servers. When the user names any server
    for a network, those are the only ones it talks to (both protocols): falling back on a
    public server when theirs is down would hand that server every address of the wallet."""
    from chains.utxo_networks import UTXO_NETWORKS

    try:
        net = UTXO_NETWORKS[network_id]
    except KeyError:
        known = ", ".join(UTXO_NETWORKS)
        raise ValueError(f"unknown network '{network_id}': choose one of {known}") from None
    mine_e = tuple(dict.fromkeys((electrum_servers or {}).get(network_id, ())))
    mine_h = tuple(dict.fromkeys((esplora_urls or {}).get(network_id, ())))
    if mine_e or mine_h:
        net = replace(net, electrum_servers=mine_e, esplora_urls=mine_h)
    return net


def utxo_backend_for(
    net: UtxoNetwork,
    prefer: str = "electrum",
    *,
    pins: CertPins | None = None,
    one_server: bool = False,
    proxy: str | None = None,
) -> UtxoBackend:
    """The Electrum protocol unless Esplora is preferred (and known) or the only one known.
    `pins`: where TLS certificates are pinned on first use (without, only authorities'
    certificates pass); `one_server`: never another server than the first."""
    if (prefer == "esplora" and net.esplora_urls) or not net.electrum_servers:
        if not net.esplora_urls:
            raise NoUtxoServer(
                Said(
                    "backends.no_server_configured_add",
                    "no server is configured for {name}: add one to "
                    'electrum_servers (e.g. {id} = ["ssl://host:50002"]) or '
                    "esplora_urls in config.toml",
                    name=net.name,
                    id=net.id,
                )
            )
        from chains.esplora import EsploraBackend

        return EsploraBackend(net, proxy=proxy)
    from chains.electrum import ElectrumBackend

    return ElectrumBackend(net, pins=pins, one_server=one_server, proxy=proxy)
