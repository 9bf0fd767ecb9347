"""Balances of the user's accounts: fetched in one batch, cached in the store, and shown as
stale (with the reason) rather than as current when the node cannot be reached."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from chains.base import ChainBackend
from chains.errors import ChainError
from chains.models import Asset, Balance
from wallet.store import Store


@dataclass(frozen=True)
class Holding:
    asset: Asset
    amount: int  # base units, summed over the accounts
    as_of: datetime | None


@dataclass(frozen=True)
class PortfolioView:
    network: str
    holdings: tuple[Holding, ...]
    block: int | None
    stale: bool = False
    error: ChainError | None = None  # why the view is stale


class Portfolio:
    def __init__(self, store: Store, backend: ChainBackend) -> None:
        self.store = store
        self.backend = backend

    async def refresh(self, addresses: Sequence[str], assets: Sequence[Asset]) -> PortfolioView:
        network = self.backend.network.id
        try:
            balances = await self.backend.balances(addresses, assets)
        except ChainError as exc:
            return self._cached(network, addresses, assets, exc)
        self._save(network, balances)
        return PortfolioView(
            network=network,
            holdings=_sum(assets, balances),
            block=max((b.block or 0 for b in balances), default=None),
        )

    def _save(self, network: str, balances: Sequence[Balance]) -> None:
        with self.store.db:
            self.store.db.executemany(
                "INSERT INTO balances(network, address, asset, amount, block, as_of) "
                "VALUES(?, ?, ?, ?, ?, ?) ON CONFLICT(network, address, asset) DO UPDATE SET "
                "amount = excluded.amount, block = excluded.block, as_of = excluded.as_of",
                [
                    (network, b.address, b.asset.key, str(b.amount), b.block, b.as_of.isoformat())
                    for b in balances
                ],
            )

    def _cached(
        self, network: str, addresses: Sequence[str], assets: Sequence[Asset], exc: ChainError
    ) -> PortfolioView:
        by_key = {a.key: a for a in assets}
        wanted = {a.lower() for a in addresses}
        rows = self.store.db.execute(
            "SELECT address, asset, amount, block, as_of FROM balances WHERE network = ?",
            (network,),
        ).fetchall()
        balances = [
            Balance(
                asset=by_key[r["asset"]],
                address=r["address"],
                amount=int(r["amount"]),
                block=r["block"],
                as_of=datetime.fromisoformat(r["as_of"]),
            )
            for r in rows
            if r["asset"] in by_key and r["address"].lower() in wanted
        ]
        return PortfolioView(
            network=network,
            holdings=_sum(assets, balances) if balances else (),
            block=max((b.block or 0 for b in balances), default=None),
            stale=True,
            error=exc,
        )


def _sum(assets: Sequence[Asset], balances: Sequence[Balance]) -> tuple[Holding, ...]:
    out = []
    for asset in assets:
        mine = [b for b in balances if b.asset.key == asset.key]
        out.append(
            Holding(
                asset=asset,
                amount=sum(b.amount for b in mine),
                as_of=min((b.as_of for b in mine), default=None),
            )
        )
    return tuple(out)
