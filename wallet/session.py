"""One open wallet as the UI sees it: its network, accounts, signer and the use-cases on them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from chains.base import ChainBackend
from chains.models import Asset, Network
from wallet.portfolio import Portfolio, PortfolioView
from wallet.store import Store


@dataclass(frozen=True)
class SessionStatus:
    """What the header shows. `signer` is 'software', a device model, 'watch_only' or
    'no_wallet'; `locked` is None where there is nothing to lock."""

    network: str
    network_name: str
    signer: str
    locked: bool | None
    demo: bool = False


class WalletSession:
    def __init__(
        self,
        *,
        store: Store,
        network: Network,
        backend: ChainBackend,
        addresses: Sequence[str],
        assets: Sequence[Asset],
        signer: str,
        demo: bool = False,
    ) -> None:
        self.store = store
        self.network = network
        self.backend = backend
        self.addresses = tuple(addresses)
        self.assets = tuple(assets)
        self.signer = signer
        self.demo = demo
        self.locked = False
        self._portfolio = Portfolio(store, backend)

    @property
    def status(self) -> SessionStatus:
        return SessionStatus(
            network=self.network.id,
            network_name=self.network.name,
            signer=self.signer,
            locked=None if self.signer == "no_wallet" else self.locked,
            demo=self.demo,
        )

    async def portfolio(self) -> PortfolioView:
        return await self._portfolio.refresh(self.addresses, self.assets)

    async def aclose(self) -> None:
        await self.backend.aclose()
        self.store.close()


def native_asset(network: Network) -> Asset:
    return Asset(
        network=network.id,
        symbol=network.native_symbol,
        name=network.name if network.id != "devnet" else "Ether",
        decimals=network.native_decimals,
    )


def open_user_session(network_id: str, rpc_overrides: dict[str, list[str]], database: str) -> WalletSession:
    """The user's own wallet on one network. With no accounts yet, a session with none: the UI
    offers to create or restore a wallet."""
    from chains.networks import get_network
    from wallet.backends import backend_for

    network = get_network(network_id, rpc_overrides)
    store = Store(database)
    rows = store.db.execute(
        "SELECT a.address, w.kind FROM accounts a JOIN wallets w ON w.id = a.wallet_id "
        "WHERE a.network = ? ORDER BY a.id",
        (network.id,),
    ).fetchall()
    kinds = {r["kind"] for r in rows}
    signer = "no_wallet" if not rows else "software" if "software" in kinds else "watch_only"
    return WalletSession(
        store=store,
        network=network,
        backend=backend_for(network),
        addresses=[r["address"] for r in rows],
        assets=[native_asset(network)],
        signer=signer,
    )
