"""What every signer takes and returns for Ethereum: one definition for the software signer
and the device adapters, so a transaction reviewed once is the one each of them signs."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator


class EvmTx(BaseModel):
    """An unsigned EVM transaction: legacy (EIP-155, gas_price set) or EIP-1559 (max fees set).
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
        if self.is_eip1559:
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
