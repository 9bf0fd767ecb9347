"""Receive on an Ethereum (EVM) account: its address, a QR code and the URI the code holds.

One address receives the coin and every token of the network, so a token's Receive shows the
account's address too. The QR holds an EIP-681 URI with the chain id (`ethereum:<address>@<id>`)
and never a token transfer URI (`ethereum:<token>/transfer?address=...`): a scanning wallet
that does not know EIP-681 transfers would read the token contract as the recipient and send
the coins there, where they are lost.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from wallet.qr import qr_text
from wallet.utxo_portfolio import ReceiveInfo

if TYPE_CHECKING:
    from chains.models import Asset, Network


def evm_uri(address: str, network: Network) -> str:
    """EIP-681 `ethereum:` URI of `address` on `network` (the chain id keeps a wallet that
    reads it on the same chain)."""
    if network.evm_chain_id is None:
        raise ValueError(f"{network.name} is not an EVM network")
    return f"ethereum:{address}@{network.evm_chain_id}"


def evm_receive(network: Network, asset: Asset, address: str, path: str | None) -> ReceiveInfo:
    """What the Receive screen shows for `asset` on the account `address` (EIP-55, as the
    session holds it). `path`: the derivation path, for showing it on a device."""
    uri = evm_uri(address, network)
    return ReceiveInfo(
        key=asset.key,
        network_name=network.name,
        symbol=asset.symbol,
        script="",  # no script kinds on EVM
        address=address,
        uri=uri,
        qr=qr_text(uri),
        checked=True,  # derived from the key: nothing to ask a server
        chain="eth",
        path=path,
    )
