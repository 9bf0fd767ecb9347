"""EVM transaction bytes for signers that return only (v, r, s).

A device signs what we serialise and answers with a signature; we assemble the raw
transaction ourselves. eth-account has no public API that takes an external signature, so the
RLP layouts (EIP-155 legacy, EIP-2930 type 1, EIP-1559 type 2, both with their access list)
are written here on pyrlp,
which eth-account itself uses. Contract tests compare the result byte for byte with
eth-account's own signing for the same key.
"""

from __future__ import annotations

from typing import Any

from devices.base import DevicePrompt, PromptAmount, PromptKind
from devices.emulator import EvmSignature, EvmTx

# Native symbols of the EVM chains the devices name; others are shown in wei.
_NATIVE = {1: "ETH", 17000: "ETH", 11155111: "ETH", 31337: "ETH"}


def _to(tx: EvmTx) -> bytes:
    return b"" if tx.to is None else bytes.fromhex(tx.to.removeprefix("0x"))


def _fields(tx: EvmTx) -> list[Any]:
    if tx.tx_type == 2:
        return [
            tx.chain_id,
            tx.nonce,
            tx.max_priority_fee_per_gas,
            tx.max_fee_per_gas,
            tx.gas,
            _to(tx),
            tx.value,
            tx.data,
            tx.access_list_rlp(),
        ]
    if tx.tx_type == 1:
        return [
            tx.chain_id,
            tx.nonce,
            tx.gas_price,
            tx.gas,
            _to(tx),
            tx.value,
            tx.data,
            tx.access_list_rlp(),
        ]
    return [tx.nonce, tx.gas_price, tx.gas, _to(tx), tx.value, tx.data]


def unsigned_payload(tx: EvmTx) -> bytes:
    """The bytes whose keccak is signed: EIP-155 RLP for legacy, type byte || RLP for the
    typed transactions (EIP-2930, EIP-1559)."""
    import rlp

    if tx.tx_type:
        return bytes([tx.tx_type]) + rlp.encode(_fields(tx))
    return bytes(rlp.encode([*_fields(tx), tx.chain_id, 0, 0]))


def assemble(tx: EvmTx, v: int, r: int, s: int) -> EvmSignature:
    """The signed transaction. `v` is the y parity (0/1) for typed transactions, the EIP-155
    v for legacy."""
    import rlp
    from eth_utils import keccak

    if tx.tx_type:
        raw = bytes([tx.tx_type]) + rlp.encode([*_fields(tx), v, r, s])
    else:
        raw = bytes(rlp.encode([*_fields(tx), v, r, s]))
    return EvmSignature(v=v, r=r, s=s, raw_transaction=raw, tx_hash=bytes(keccak(raw)))


def _native(chain_id: int, value: int) -> PromptAmount:
    symbol = _NATIVE.get(chain_id)
    if symbol is None:
        return PromptAmount(value=value, decimals=0, symbol="wei")
    return PromptAmount(value=value, decimals=18, symbol=symbol)


def evm_prompt(device: str, path: str, tx: EvmTx) -> DevicePrompt:
    """What a device shows for `tx`: recipient, amount, maximum fee, chain."""
    fee = tx.gas * (tx.max_fee_per_gas if tx.is_eip1559 else tx.gas_price or 0)
    return DevicePrompt(
        kind=PromptKind.SIGN_TX,
        device=device,
        chain_id=tx.chain_id,
        path=path,
        address=tx.to,
        amount=_native(tx.chain_id, tx.value),
        fee=_native(tx.chain_id, fee),
        has_data=bool(tx.data),
    )


def typed_data_hashes(data: dict[str, Any]) -> tuple[bytes, bytes | None]:
    """(domain separator hash, message hash) of an EIP-712 document, for devices that sign the
    hashes (Trezor One, Ledger's hashed mode); the message hash is None for a domain-only
    document (primaryType EIP712Domain). Hashed as MetaMask's V4 does: devices/eip712.py."""
    from devices.eip712 import hashes

    h = hashes(data)
    return h.domain, h.message
