"""Value objects of the chain layer (pydantic, frozen). Amounts are int base units."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ChainKind(StrEnum):
    EVM = "evm"
    UTXO = "utxo"


class Network(Frozen):
    """One chain on one network: 'eth' mainnet, 'devnet', 'btc-testnet', ..."""

    id: str
    name: str
    kind: ChainKind
    native_symbol: str
    native_decimals: int
    evm_chain_id: int | None = None
    rpc_urls: tuple[str, ...] = ()
    explorer_url: str | None = None
    testnet: bool = False

    @property
    def native_asset(self) -> Asset:
        """The network's own coin (ETH, POL, BNB, BTC, ...)."""
        return Asset(
            network=self.id,
            symbol=self.native_symbol,
            name="Ether" if self.id == "devnet" else self.name,
            decimals=self.native_decimals,
        )


class Asset(Frozen):
    network: str
    symbol: str
    name: str
    decimals: int = Field(ge=0, le=36)
    contract: str | None = None  # None: the network's native coin

    @property
    def key(self) -> str:
        return f"{self.network}:{self.contract or 'native'}"


class Balance(Frozen):
    asset: Asset
    address: str
    amount: int = Field(ge=0)
    block: int | None = None
    as_of: datetime
