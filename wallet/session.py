"""One open wallet as the UI sees it: its network, accounts, signer and the use-cases on them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chains.base import ChainBackend
from chains.models import Asset, ChainKind, Network
from wallet.portfolio import Portfolio, PortfolioView
from wallet.store import Store

if TYPE_CHECKING:
    from wallet.device_wallet import DeviceWalletSigner
    from wallet.pending import ReconcileReport
    from wallet.send import EvmSender
    from wallet.utxo_portfolio import UtxoHolding, UtxoPortfolio
    from wallet.wallets import WalletRow


@dataclass(frozen=True)
class SessionStatus:
    """What the header shows. `signer` is 'software', a device model, 'watch_only' or
    'no_wallet'; `locked` is None where there is nothing to lock."""

    network: str
    network_name: str
    signer: str
    locked: bool | None
    demo: bool = False
    wallet: str | None = None  # the open wallet's name, where there are wallets to tell apart
    connected: bool | None = None  # a device wallet: is its device in use now


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
        active_signer: Any = None,
        paths: dict[str, str] | None = None,
        utxo: UtxoPortfolio | None = None,
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
        # The signer object (devices.base.Signer) that signs sends; None while locked or for
        # watch-only wallets. `signer` above stays the label the header shows.
        self.active_signer = active_signer
        # What "Use the software wallet" switches back to, and the header's label for it.
        self._software, self._software_label = active_signer, signer
        self._paths = dict(paths or {})  # address -> derivation path
        self._sender: EvmSender | None = None
        self.reconciled: ReconcileReport | None = None
        # Bitcoin/Litecoin accounts shown beside the EVM network (None: none configured).
        self.utxo = utxo
        # Fiat prices beside balances (wallet/prices.py); None: no prices (the Value column
        # says so). Shown only: nothing that builds or signs a transaction reads them.
        self.prices: Any = None
        # History's "value at the time" (wallet/day_prices.py DayPrices); None: not shown.
        self.day_prices: Any = None
        # The wallet open (wallet/wallets.py; None: the demo, or no wallet yet) and, for a
        # device wallet, its signer (the app and the CLI give it their Interaction).
        self.wallet: WalletRow | None = None
        self.device: DeviceWalletSigner | None = None

    @property
    def status(self) -> SessionStatus:
        return SessionStatus(
            network=self.network.id,
            network_name=self.network.name,
            signer=self.signer,
            locked=None if self.signer == "no_wallet" else self.locked,
            demo=self.demo,
            wallet=None if self.wallet is None else self.wallet.name,
            connected=None if self.device is None else self.device.connected,
        )

    async def portfolio(self) -> PortfolioView:
        await self.reconcile_once()
        return await self._portfolio.refresh(self.addresses, self.assets)

    def price_symbol(self, asset: Asset) -> str | None:
        """The symbol an asset's price is looked up by, or None: the native coin and the
        network's listed tokens only. A token the user added could call itself USDT: a
        symbol is not proof of what a contract is, so it gets no price."""
        from chains.tokens import find_listed

        if asset.contract is None:
            return asset.symbol
        listed = find_listed(asset.network, asset.contract)
        return asset.symbol if listed is not None and listed.symbol == asset.symbol else None

    def priced_symbols(self) -> list[str]:
        """The coins of the rows on screen that have a market price (none on testnets)."""
        from wallet.prices import priced_symbols

        mine = [s for s in (self.price_symbol(a) for a in self.assets) if s is not None]
        symbols = priced_symbols(self.network.testnet, mine)
        for net in self.utxo.networks.values() if self.utxo else ():
            symbols += priced_symbols(net.testnet, [net.symbol])
        return list(dict.fromkeys(symbols))

    async def price_view(self) -> Any:
        """wallet.prices.PriceView of the coins on screen, or None without a price book."""
        if self.prices is None:
            return None
        return await self.prices.refresh(self.priced_symbols())

    def evm_source(self) -> str | None:
        """The node the EVM network's data comes from now (host only: wallet.view)."""
        from wallet.view import source_label

        return source_label(getattr(self.backend, "url", None))

    async def utxo_holdings(self) -> tuple[UtxoHolding, ...]:
        """Balances of the Bitcoin/Litecoin accounts (after broadcasting, once, what a crash
        left signed but unsent), and their transactions into the history store."""
        if not self.utxo:
            return ()
        from chains.errors import ChainError

        holdings = await self.utxo.refresh()
        try:
            await self.utxo.sync_history()
        except ChainError:
            pass  # history is read again on the next refresh; the balances stand
        return holdings

    async def sync_utxo_history(self) -> list[object]:
        """A fresh read of the Bitcoin/Litecoin histories (History screen, `history --sync`)."""
        if not self.utxo:
            return []
        return list(await self.utxo.sync_history(fresh=True))

    # -- sending -----------------------------------------------------------------------------

    @property
    def can_send(self) -> bool:
        return self.active_signer is not None and bool(self.addresses) and not self.locked

    def sender(self) -> EvmSender:

        if self.network.kind is not ChainKind.EVM:
            raise NotImplementedError(f"{self.network.name}: sending is not built yet")
        if self._sender is None:
            from wallet.send import EvmSender

            self._sender = EvmSender(
                self.store,
                self.network,
                self.backend,
                self.addresses,  # type: ignore[arg-type]
            )
        return self._sender

    def path_of(self, address: str) -> str:
        """The derivation path that signs for `address`: given by the session's maker (demo),
        else from the account rows (Ethereum account i is m/44'/60'/0'/0/i)."""
        for a, p in self._paths.items():
            if a.lower() == address.lower():
                return p
        row = self.store.db.execute(
            "SELECT path, account_index FROM accounts WHERE lower(address) = ? "
            "AND watch_only = 0 AND path IS NOT NULL ORDER BY id LIMIT 1",
            (address.lower(),),
        ).fetchone()
        if row is None:
            raise LookupError("this account has no key in the wallet (watch-only)")
        return f"{row['path']}/{int(row['account_index'] or 0)}"

    def use_signer(self, signer: Any, label: str) -> None:
        """Sign with `signer` from now on (a device, already checked to hold this session's
        accounts); the header shows `label`, a device model. A device used before is closed."""
        old = self.active_signer
        self.active_signer, self.signer = signer, label
        if old is not None and old is not self._software and old is not signer:
            old.close()

    def use_software(self) -> None:
        """Back to the software signer the session opened with (None while locked)."""
        old = self.active_signer
        self.active_signer = self._software
        self.signer = self._software_label
        if old is not None and old is not self._software:
            old.close()

    @property
    def software_signer(self) -> Any:
        return self._software

    async def reconcile_once(self) -> ReconcileReport | None:
        """Settle what a crash may have left in the outbox, once per session (on start). A node
        that cannot be reached now is tried again on the next call."""
        from chains.errors import ChainError

        if self.reconciled is not None or self.network.kind is not ChainKind.EVM:
            return self.reconciled
        try:
            self.reconciled = await self.sender().reconcile()
        except ChainError:
            return None
        return self.reconciled

    async def aclose(self) -> None:
        for signer in {id(s): s for s in (self.active_signer, self._software) if s}.values():
            signer.close()
        self.active_signer = self._software = None
        if self.utxo is not None:
            await self.utxo.aclose()
        if self.prices is not None:
            await self.prices.aclose()
        if self.day_prices is not None:
            await self.day_prices.aclose()
        await self.backend.aclose()
        self.store.close()


def assets_for(network: Network, store: Store) -> list[Asset]:
    """The native coin, the network's listed tokens and the tokens the user added."""
    from chains.tokens import listed_tokens
    from wallet.tokens import UserTokens

    out = [network.native_asset, *listed_tokens(network.id)]
    seen = {a.key.lower() for a in out}
    for asset in UserTokens(store).assets(network.id):
        if asset.key.lower() not in seen:
            out.append(asset)
    return out
