"""The software signer: keys derived from a BIP39 mnemonic in this process.

The signer of last resort, and the reference every device signer is compared with.
bip_utils and eth_account are imported on first use, never at start-up.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from devices.base import Capability, DeviceInfo, SignerKind


class SoftwareSigner:
    def __init__(self, seed: bytes, *, label: str | None = None) -> None:
        self._seed = seed
        self.info = DeviceInfo(kind=SignerKind.EMULATOR, model="software", label=label)

    @classmethod
    def from_mnemonic(cls, mnemonic: str, passphrase: str = "", **kw: Any) -> SoftwareSigner:
        from bip_utils import Bip39SeedGenerator

        return cls(bytes(Bip39SeedGenerator(mnemonic).Generate(passphrase)), **kw)

    def __repr__(self) -> str:  # never show the seed
        return f"SoftwareSigner(label={self.info.label!r})"

    def capabilities(self) -> frozenset[Capability]:
        return frozenset({Capability.ETH_ADDRESS})

    @cached_property
    def _root(self) -> Any:
        from bip_utils import Bip32Slip10Secp256k1

        return Bip32Slip10Secp256k1.FromSeed(self._seed)

    def get_address(self, chain: str, path: str, *, display: bool = False) -> str:
        if chain not in {"eth", "devnet"} and not chain.startswith("eth"):
            raise NotImplementedError(f"software signer: {chain} addresses are not built yet")
        from bip_utils import EthAddrEncoder

        node = self._root.DerivePath(path)
        return str(EthAddrEncoder.EncodeKey(node.PublicKey().KeyObject()))

    def get_xpub(self, path: str) -> str:
        return str(self._root.DerivePath(path).PublicKey().ToExtended())

    def close(self) -> None:
        self._seed = b""
        self.__dict__.pop("_root", None)
