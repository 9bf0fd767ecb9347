"""EVM transaction bytes for signers that return only (v, r, s).

A device signs what we serialise and answers with a signature; we assemble the raw
transaction ourselves. eth-account has no public API that takes an external signature, so the
RLP layouts (EIP-155 legacy, EIP-1559 type 2, empty access list) are written here on pyrlp,
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
    if tx.is_eip1559:
        return [
            tx.chain_id,
            tx.nonce,
            tx.max_priority_fee_per_gas,
            tx.max_fee_per_gas,
            tx.gas,
            _to(tx),
            tx.value,
            tx.data,
            [],  # access list
        ]
    return [tx.nonce, tx.gas_price, tx.gas, _to(tx), tx.value, tx.data]


def unsigned_payload(tx: EvmTx) -> bytes:
    """The bytes whose keccak is signed (EIP-155 for legacy, 0x02 || RLP for EIP-1559)."""
    import rlp

    if tx.is_eip1559:
        return b"\x02" + rlp.encode(_fields(tx))
    return bytes(rlp.encode([*_fields(tx), tx.chain_id, 0, 0]))


def assemble(tx: EvmTx, v: int, r: int, s: int) -> EvmSignature:
    """The signed transaction. `v` is the y parity (0/1) for EIP-1559, the EIP-155 v for
    legacy."""
    import rlp
    from eth_utils import keccak

    if tx.is_eip1559:
        raw = b"\x02" + rlp.encode([*_fields(tx), v, r, s])
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


def typed_data_hashes(data: dict[str, Any]) -> tuple[bytes, bytes]:
    """(domain separator hash, message hash) of an EIP-712 document, for devices that sign the
    hashes (Trezor One, Ledger's hashed mode)."""
    from eth_account.messages import encode_typed_data

    from devices.emulator import SigningError

    try:
        msg = encode_typed_data(full_message=data)
    except Exception as exc:  # eth_account raises many kinds for a malformed document
        raise SigningError(f"the typed data is not valid EIP-712: {type(exc).__name__}") from None
    return bytes(msg.header), bytes(msg.body)
