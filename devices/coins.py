"""What the signers know about networks: the EVM ids, each Bitcoin-like network's address
prefix and key versions, and the BIP43 purpose of a path.

Apart from devices/emulator.py (which re-exports it) so a device adapter can use it without
loading the software signer's models (pydantic)."""

from __future__ import annotations

from dataclasses import dataclass

from devices.errors import Unsupported
from said import Said

# The EVM network ids of chains/networks.py (devices may not import chains; a test keeps the
# two in step). Every EVM network uses the same keys and address format.
EVM_CHAINS = frozenset({"eth", "bnb", "arbitrum", "sepolia", "polygon", "devnet", "base"})


@dataclass(frozen=True)
class UtxoChain:
    """What the signer needs to know about a Bitcoin-like network: its bech32 prefix."""

    hrp: str
    coin_type: int  # BIP44 coin type of this network's accounts
    xpub_version: bytes  # BIP32 version bytes of a public key on this network


_MAIN_PUB = bytes.fromhex("0488b21e")  # xpub
_TEST_PUB = bytes.fromhex("043587cf")  # tpub

UTXO_CHAINS: dict[str, UtxoChain] = {
    "btc": UtxoChain("bc", 0, _MAIN_PUB),
    "btc-testnet": UtxoChain("tb", 1, _TEST_PUB),
    "btc-regtest": UtxoChain("bcrt", 1, _TEST_PUB),
    "ltc": UtxoChain("ltc", 2, _MAIN_PUB),
    "ltc-testnet": UtxoChain("tltc", 1, _TEST_PUB),
    "ltc-regtest": UtxoChain("rltc", 1, _TEST_PUB),
}


def normalized_path(path: str) -> str:
    """A path with hardened steps written ' ('m/84h/0H' -> "m/84'/0'")."""
    return path.replace("H", "'").replace("h", "'")


def address_purpose(path: str) -> int:
    """The BIP43 purpose of a path ('m/84h/0h/0h/0/0' -> 84); it picks the address type."""
    parts = normalized_path(path).split("/")
    if len(parts) < 2 or parts[0] != "m" or not parts[1].rstrip("'").isdigit():
        raise Unsupported(
            Said(
                "coins.not_derivation_path_expected",
                "not a derivation path (expected m/84'/0'/0'/0/0 or similar)",
            )
        )
    return int(parts[1].rstrip("'"))
