"""The software signer: keys derived from a BIP39 mnemonic in this process.

The signer of last resort, and the reference every device signer is compared with.
bip_utils, eth_account and embit are imported on first use, never at start-up.

Ethereum signing is eth-account's; BIP32 derivation and address encoding are bip_utils';
PSBT parsing, sighashes and signatures are embit's (devices/psbt.py says why embit).
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from devices.base import Capability, DeviceInfo, SignerKind
from devices.coins import EVM_CHAINS, UTXO_CHAINS, UtxoChain, address_purpose
from devices.errors import DeviceError, Unsupported
from devices.models import EvmSignature, EvmTx
from said import Said

# Re-exported: every signer takes and returns these (devices/models.py), and what it knows of
# networks (devices/coins.py).
__all__ = [
    "EVM_CHAINS",
    "UTXO_CHAINS",
    "EvmSignature",
    "EvmTx",
    "SigningError",
    "SoftwareSigner",
    "UtxoChain",
    "address_purpose",
]


class SigningError(DeviceError):
    """The request cannot be signed as given (malformed transaction, PSBT or typed data)."""

    code = "SIGNING_REFUSED"


# Key-level operations: the signer derives a key and calls these. They are public so the EIP
# vectors (which give a private key, not a mnemonic) can test the exact code the signer runs.


def sign_evm_tx_with_key(key: bytes, tx: EvmTx) -> EvmSignature:
    from eth_account import Account

    try:
        signed = Account.sign_transaction(tx.to_eth_account(), key)
    except (TypeError, ValueError) as exc:
        raise SigningError(
            Said(
                "emulator.transaction_cannot_signed",
                "the transaction cannot be signed: {kind}",
                kind=type(exc).__name__,
            )
        ) from None
    return EvmSignature(
        v=signed.v,
        r=signed.r,
        s=signed.s,
        raw_transaction=bytes(signed.raw_transaction),
        tx_hash=bytes(signed.hash),
    )


def sign_message_with_key(key: bytes, message: bytes) -> bytes:
    """EIP-191 version 0x45 (personal_sign): 65 bytes r || s || v."""
    from eth_account import Account
    from eth_account.messages import encode_defunct

    return bytes(Account.sign_message(encode_defunct(primitive=message), key).signature)


def sign_typed_data_with_key(key: bytes, data: dict[str, Any]) -> bytes:
    """EIP-712 typed data (the full eth_signTypedData_v4 document, hashed as MetaMask's V4
    does: devices/eip712.py), domain-only documents included: 65 bytes r || s || v."""
    from eth_account import Account
    from eth_account.messages import SignableMessage

    from devices.eip712 import hashes

    h = hashes(data)
    # eth-account signs keccak(0x19 || version || header || body): with version 0x01 that is
    # EIP-712's keccak(0x1901 || domain || message), the message absent for domain-only.
    message = SignableMessage(b"\x01", h.domain, h.message or b"")
    return bytes(Account.sign_message(message, key).signature)


class SoftwareSigner:
    def __init__(self, seed: bytes | None = None, *, label: str | None = None, root: Any = None):
        self._seed = seed
        if root is not None:
            self.__dict__["_root"] = root
        self.info = DeviceInfo(kind=SignerKind.EMULATOR, model="software", label=label)

    @classmethod
    def from_mnemonic(cls, mnemonic: str, passphrase: str = "", **kw: Any) -> SoftwareSigner:
        from bip_utils import Bip39SeedGenerator

        try:
            seed = bytes(Bip39SeedGenerator(mnemonic).Generate(passphrase))
        except ValueError:
            # bip_utils quotes the words in its message: never let them reach a log.
            raise SigningError(
                Said(
                    "emulator.recovery_phrase_not_valid",
                    "the recovery phrase is not a valid BIP39 phrase",
                )
            ) from None
        return cls(seed, **kw)

    @classmethod
    def from_xprv(cls, xprv: str, **kw: Any) -> SoftwareSigner:
        """A signer for an extended private key (BIP174's vectors give a tprv, not a seed)."""
        from bip_utils import Bip32KeyNetVersions, Bip32Slip10Secp256k1

        versions = {
            "xprv": Bip32KeyNetVersions(bytes.fromhex("0488b21e"), bytes.fromhex("0488ade4")),
            "tprv": Bip32KeyNetVersions(bytes.fromhex("043587cf"), bytes.fromhex("04358394")),
        }
        net = versions.get(xprv[:4])
        if net is None:
            raise SigningError(
                Said(
                    "emulator.only_xprv_tprv_extended",
                    "only xprv and tprv extended keys are accepted",
                )
            )
        try:
            root = Bip32Slip10Secp256k1.FromExtendedKey(xprv, net)
        except Exception:
            raise SigningError(
                Said("emulator.extended_private_key_not", "the extended private key is not valid")
            ) from None
        return cls(None, root=root, **kw)

    def __repr__(self) -> str:  # never show the seed
        return f"SoftwareSigner(label={self.info.label!r})"

    def __reduce__(self) -> Any:
        raise TypeError("a SoftwareSigner holds secrets and cannot be pickled")

    def capabilities(self) -> frozenset[Capability]:
        return frozenset(
            {
                Capability.ETH_ADDRESS,
                Capability.ETH_SIGN_TX,
                Capability.ETH_SIGN_MESSAGE,
                Capability.ETH_SIGN_TYPED_DATA,
                Capability.BTC_ADDRESS,
                Capability.BTC_SIGN_PSBT,
                Capability.BTC_SIGN_MESSAGE,
                Capability.BTC_SIGN_BIP322,
                Capability.LTC_ADDRESS,
                Capability.LTC_SIGN_PSBT,
            }
        )

    @cached_property
    def _root(self) -> Any:
        from bip_utils import Bip32Slip10Secp256k1

        if not self._seed:
            raise DeviceError("the software signer is closed")
        return Bip32Slip10Secp256k1.FromSeed(self._seed)

    def _node(self, path: str) -> Any:
        root = self._root  # raises DeviceError once closed
        try:
            return root.DerivePath(path)
        except Exception:
            # bip_utils quotes the path in its errors; whatever was passed stays out of ours.
            raise Unsupported(
                Said(
                    "emulator.not_derivation_path_expected",
                    "not a derivation path (expected m/84'/0'/0'/0/0 or similar)",
                )
            ) from None

    def _key(self, path: str) -> bytes:
        return bytes(self._node(path).PrivateKey().Raw().ToBytes())

    @property
    def fingerprint(self) -> bytes:
        """The master key fingerprint PSBTs name us by (BIP32)."""
        return bytes(self._root.FingerPrint().ToBytes())

    def master_fingerprint(self) -> bytes:
        return self.fingerprint

    def get_address(self, chain: str, path: str, *, display: bool = False) -> str:
        pub = self._node(path).PublicKey().KeyObject()
        if chain in EVM_CHAINS:
            from bip_utils import EthAddrEncoder

            return str(EthAddrEncoder.EncodeKey(pub))
        net = UTXO_CHAINS.get(chain)
        if net is None:
            raise Unsupported(
                Said(
                    "emulator.software_signer_does_not",
                    "the software signer does not know the network {chain!r}",
                    chain=chain,
                )
            )
        purpose = address_purpose(path)
        if purpose == 84:
            from bip_utils import P2WPKHAddrEncoder

            return str(P2WPKHAddrEncoder.EncodeKey(pub, hrp=net.hrp, wit_ver=0))
        if purpose == 86:
            from bip_utils import P2TRAddrEncoder

            return str(P2TRAddrEncoder.EncodeKey(pub, hrp=net.hrp))
        raise Unsupported(
            Said(
                "emulator.addresses_are_built_bip84",
                "{chain} addresses are built for BIP84 (native segwit) and "
                "BIP86 (taproot) paths, not purpose {purpose}",
                chain=chain,
                purpose=purpose,
            ),
        )

    def get_xpub(self, path: str) -> str:
        return str(self._node(path).PublicKey().ToExtended())

    def sign_evm_tx(self, path: str, tx: EvmTx) -> EvmSignature:
        return sign_evm_tx_with_key(self._key(path), tx)

    def sign_message(self, path: str, message: bytes) -> bytes:
        return sign_message_with_key(self._key(path), message)

    def sign_typed_data(self, path: str, data: dict[str, Any]) -> bytes:
        return sign_typed_data_with_key(self._key(path), data)

    def sign_btc_message(self, chain: str, path: str, message: bytes, fmt: str) -> bytes:
        """BIP322 simple for BIP84 and BIP86 paths; legacy for BIP44/49/84 paths."""
        from devices import btcmsg

        if chain not in UTXO_CHAINS:
            raise Unsupported(
                Said(
                    "emulator.software_signer_signs_no",
                    "the software signer signs no {chain!r} messages",
                    chain=chain,
                )
            )
        purpose = address_purpose(path)
        node = self._node(path)
        key = bytes(node.PrivateKey().Raw().ToBytes())
        if fmt == "legacy":
            script = btcmsg.LEGACY_SCRIPT_BY_PURPOSE.get(purpose)
            if script is None:
                raise Unsupported(btcmsg.NO_LEGACY_FOR_TAPROOT)
            return btcmsg.sign_legacy_with_key(key, message, chain, script)
        if fmt != "bip322":
            raise Unsupported(
                Said(
                    "emulator.no_message_format_bip322",
                    "no message format {fmt!r} (bip322 or legacy)",
                    fmt=fmt,
                )
            )
        pub = bytes(node.PublicKey().RawCompressed().ToBytes())
        return btcmsg.sign_bip322_with_key(key, message, btcmsg.script_for(pub, purpose))

    def sign_psbt(self, psbt: bytes, chain: str) -> bytes:
        """Sign every P2WPKH and P2TR key-path input whose derivation names our fingerprint;
        other inputs are left alone. Returns the PSBT with signatures added (not finalized)."""
        if chain not in UTXO_CHAINS:
            raise Unsupported(
                Said(
                    "emulator.software_signer_does_not_2",
                    "the software signer does not sign PSBTs for {chain!r}",
                    chain=chain,
                )
            )
        from devices.psbt import sign_psbt

        return sign_psbt(psbt, self._node_for_psbt()).psbt

    def _node_for_psbt(self) -> Any:
        from devices.psbt import embit_root

        node = self._root
        return embit_root(
            bytes(node.PrivateKey().Raw().ToBytes()),
            bytes(node.ChainCode().ToBytes()),
            depth=int(node.Depth().ToInt()),
            fingerprint=bytes(node.ParentFingerPrint().ToBytes()),
            index=int(node.Index().ToInt()),
        )

    def close(self) -> None:
        self._seed = b""
        self.__dict__.pop("_root", None)
