"""The keys of a Bitcoin or Litecoin account: its receive and change addresses, derived from the
stored account-level xpub (no password needed), with their scripts and full paths."""

from __future__ import annotations

from dataclasses import dataclass

from chains.utxo import script_to_address
from chains.utxo_networks import UtxoNetwork
from said import Said
from wallet.keys import ScriptKind

RECEIVE, CHANGE = 0, 1


class UtxoAccountError(ValueError):
    code = "UTXO_ACCOUNT"


@dataclass(frozen=True)
class AddressKey:
    change: int
    index: int
    address: str
    script: bytes
    pubkey: bytes  # 33-byte compressed key (P2TR: the BIP86 internal key)
    path: tuple[int, ...]  # full path from the master key


H = 0x80000000


def _parse_path(path: str) -> tuple[int, ...]:
    out = []
    for part in path.split("/")[1:]:
        hardened = part[-1:] in ("'", "h", "H")
        out.append(int(part.rstrip("'hH")) + (H if hardened else 0))
    return tuple(out)


class AccountKeys:
    """Addresses and keys below one account xpub (embit: parsed once, children cached)."""

    def __init__(self, network: UtxoNetwork, script: ScriptKind, xpub: str, account_path: str):
        if script not in (ScriptKind.P2WPKH, ScriptKind.P2TR):
            raise UtxoAccountError(
                Said(
                    "utxo_keys.not_bitcoin_like_account",
                    "{script} is not a Bitcoin-like account",
                    script=script,
                )
            )
        from embit.bip32 import HDKey

        try:
            self._root = HDKey.from_string(xpub)
        except Exception:
            raise UtxoAccountError(
                Said(
                    "utxo_keys.account_s_extended_public",
                    "the account's extended public key does not parse",
                )
            ) from None
        if self._root.is_private:
            raise UtxoAccountError(
                Said(
                    "utxo_keys.account_must_stored_as", "an account must be stored as a public key"
                )
            )
        self.network = network
        self.script = script
        self.account_path = _parse_path(account_path)
        self._chains = [self._root.derive([0]), self._root.derive([1])]
        self._cache: dict[tuple[int, int], AddressKey] = {}

    @property
    def kind(self) -> str:
        return "p2tr" if self.script is ScriptKind.P2TR else "p2wpkh"

    def key(self, change: int, index: int) -> AddressKey:
        hit = self._cache.get((change, index))
        if hit is not None:
            return hit
        from embit import hashes
        from embit.script import p2tr

        node = self._chains[change].derive([index])
        pub = node.key
        if self.script is ScriptKind.P2TR:
            script = p2tr(pub).data
        else:
            script = b"\x00\x14" + hashes.hash160(pub.sec())
        address = script_to_address(script, self.network)
        assert address is not None
        k = AddressKey(
            change, index, address, script, pub.sec(), (*self.account_path, change, index)
        )
        self._cache[(change, index)] = k
        return k
