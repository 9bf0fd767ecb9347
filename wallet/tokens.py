"""Tokens the user added by contract address: read from the contract (symbol, decimals) and
flagged when not on the built-in list, or when they copy a listed token's symbol."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from chains.evm import EvmBackend
from chains.models import Asset
from chains.tokens import find_listed, impersonates
from wallet.safety import parse_evm_address
from wallet.send_checks import check_token
from wallet.store import Store


@dataclass(frozen=True)
class TokenCandidate:
    asset: Asset
    listed: bool  # on the built-in list for this network
    impersonates: Asset | None  # a listed token with the same symbol at another address


class UserTokens:
    def __init__(self, store: Store) -> None:
        self.db = store.db

    async def inspect(self, backend: EvmBackend, contract: str) -> TokenCandidate:
        """What the contract says it is; nothing is saved yet (the user confirms first)."""
        address = parse_evm_address(contract).address
        network = backend.network.id
        meta = await backend.token_metadata(address)
        asset = Asset(
            network=network,
            symbol=meta.symbol or "?",
            name=meta.name or "?",
            decimals=meta.decimals,
            contract=meta.contract,
        )
        listed = find_listed(network, address)
        known = listed or self.stored(network, address)
        if known is not None:
            # Known already: the list or the user's first confirmation is the truth, and a
            # different answer now stops here rather than changing what an amount means.
            check_token(known, asset.symbol, asset.decimals, listed=listed is not None)
            asset = known
        return TokenCandidate(
            asset=asset,
            listed=listed is not None,
            impersonates=impersonates(network, asset.symbol, address),
        )

    def add(self, candidate: TokenCandidate) -> Asset:
        a = candidate.asset
        with self.db:
            self.db.execute(
                "INSERT INTO user_tokens(network, contract, symbol, name, decimals, listed, "
                "added_at) VALUES(?, ?, ?, ?, ?, ?, ?) ON CONFLICT(network, contract) DO NOTHING",
                (
                    a.network,
                    a.contract,
                    a.symbol,
                    a.name,
                    a.decimals,
                    int(candidate.listed),
                    datetime.now(UTC).isoformat(),
                ),
            )
        return a

    def stored(self, network: str, contract: str) -> Asset | None:
        """The token as the user first confirmed it, if it was."""
        for a in self.assets(network):
            if a.contract is not None and a.contract.lower() == contract.lower():
                return a
        return None

    def assets(self, network: str) -> list[Asset]:
        rows = self.db.execute(
            "SELECT * FROM user_tokens WHERE network = ? ORDER BY added_at", (network,)
        ).fetchall()
        return [
            Asset(
                network=network,
                symbol=r["symbol"],
                name=r["name"],
                decimals=int(r["decimals"]),
                contract=r["contract"],
            )
            for r in rows
        ]
