"""What every signer takes and returns for Ethereum: one definition for the software signer
and the device adapters, so a transaction reviewed once is the one each of them signs."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")


class AccessListEntry(BaseModel):
    """One EIP-2930 access list item: a contract and the storage slots the transaction
    declares it will touch (each a 32-byte key)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    address: str
    storage_keys: tuple[bytes, ...] = ()

    @field_validator("address")
    @classmethod
    def _address(cls, value: str) -> str:
        if not _ADDRESS.fullmatch(value):
            raise ValueError("an access list address is 0x and 40 hex digits")
        return value

    @field_validator("storage_keys", mode="before")
    @classmethod
    def _keys(cls, value: Any) -> Any:
        # JSON gives hex strings; RLP wants the 32 bytes themselves.
        keys = []
        for key in value or ():
            raw = bytes.fromhex(key.removeprefix("0x")) if isinstance(key, str) else key
            if len(raw) != 32:
                raise ValueError("an access list storage key is 32 bytes")
            keys.append(raw)
        return tuple(keys)


class EvmTx(BaseModel):
    """An unsigned EVM transaction: legacy (EIP-155, gas_price set), EIP-2930 (gas_price and
    an access list, type 1) or EIP-1559 (max fees set, type 2, access list optional).
    Integers in wei; `to` None deploys a contract."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    chain_id: int
    nonce: int
    gas: int
    to: str | None
    value: int = 0
    data: bytes = b""
    gas_price: int | None = None
    max_fee_per_gas: int | None = None
    max_priority_fee_per_gas: int | None = None
    # None: no access list (legacy stays type 0); a tuple, even empty, with gas_price: type 1.
    access_list: tuple[AccessListEntry, ...] | None = None

    @model_validator(mode="after")
    def _one_fee_model(self) -> EvmTx:
        legacy = self.gas_price is not None
        dynamic = self.max_fee_per_gas is not None and self.max_priority_fee_per_gas is not None
        if legacy == dynamic:
            raise ValueError("set either gas_price (legacy) or both max fees (EIP-1559)")
        for name in ("chain_id", "nonce", "gas", "value"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        return self

    @property
    def is_eip1559(self) -> bool:
        return self.gas_price is None

    @property
    def tx_type(self) -> int:
        """The EIP-2718 type: 0 legacy, 1 EIP-2930, 2 EIP-1559."""
        if self.is_eip1559:
            return 2
        return 0 if self.access_list is None else 1

    def access_list_rlp(self) -> list[list[Any]]:
        """The access list as RLP wants it: [[address bytes, [key, ...]], ...]."""
        return [
            [bytes.fromhex(e.address[2:]), list(e.storage_keys)] for e in self.access_list or ()
        ]

    def to_eth_account(self) -> dict[str, Any]:
        tx: dict[str, Any] = {
            "chainId": self.chain_id,
            "nonce": self.nonce,
            "gas": self.gas,
            "value": self.value,
            "data": self.data,
        }
        if self.to is not None:
            tx["to"] = self.to
        if self.access_list is not None:
            tx["accessList"] = [
                {"address": e.address, "storageKeys": ["0x" + k.hex() for k in e.storage_keys]}
                for e in self.access_list
            ]
        if self.tx_type == 1:
            tx |= {"type": 1, "gasPrice": self.gas_price}
        elif self.is_eip1559:
            tx |= {
                "type": 2,
                "maxFeePerGas": self.max_fee_per_gas,
                "maxPriorityFeePerGas": self.max_priority_fee_per_gas,
            }
        else:
            tx["gasPrice"] = self.gas_price
        return tx


class EvmSignature(BaseModel):
    model_config = ConfigDict(frozen=True)

    v: int
    r: int
    s: int
    raw_transaction: bytes
    tx_hash: bytes
