"""The user's own wallet on disk: settings, store, keystore and lockout, and the session over
its accounts. What the app needs to decide between first run, unlock, and the wallet itself."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from wallet.keystore import Keystore, UnlockedWallet
from wallet.lockout import Lockout
from wallet.paths import Paths
from wallet.session import WalletSession, assets_for
from wallet.settings import Settings, apply_network_settings, load_settings
from wallet.store import Store
from wallet.wallets import WalletBook, WalletRow

if TYPE_CHECKING:
    from wallet.device_wallet import DeviceWalletSigner
    from wallet.utxo_portfolio import UtxoPortfolio


class Gate(StrEnum):
    """What stands between the user and the wallet screens."""

    FIRST_RUN = "first_run"  # no keystore and no watch-only accounts: create or restore
    UNLOCK = "unlock"  # a keystore: the password (and TOTP if on) first
    OPEN = "open"  # watch-only accounts only: nothing to unlock


@dataclass
class UserWallet:
    paths: Paths
    settings: Settings
    store: Store
    keystore: Keystore
    lockout: Lockout
    unlocked: UnlockedWallet | None = None

    @classmethod
    def open(
        cls, paths: Paths, settings: Settings | None = None, **overrides: object
    ) -> UserWallet:
        paths.ensure()
        settings = settings or load_settings(paths.config_file, **overrides)
        apply_network_settings(settings)
        store = Store(paths.database)
        return cls(
            paths=paths,
            settings=settings,
            store=store,
            keystore=Keystore(paths.data_dir / "keystore.json"),
            lockout=Lockout(store),
        )

    def current(self) -> WalletRow | None:
        """The wallet that opens: see wallet/wallets.py."""
        return WalletBook(self.store).current(software_exists=self.keystore.exists())

    def gate(self) -> Gate:
        current = self.current()
        if current is not None and current.is_device:
            return Gate.OPEN  # its keys are on the device: nothing to unlock here
        if self.keystore.exists():
            return Gate.OPEN if self.unlocked is not None else Gate.UNLOCK
        watched = self.store.db.execute(
            "SELECT 1 FROM accounts WHERE watch_only = 1 LIMIT 1"
        ).fetchone()
        return Gate.OPEN if watched else Gate.FIRST_RUN

    def device_signer(self, wallet: WalletRow) -> DeviceWalletSigner:
        """The signer of a device wallet (it finds its device when first asked); the app and
        the CLI give it their Interaction and DeviceWait."""
        from wallet.accounts import AccountBook
        from wallet.device_wallet import DeviceWalletSigner

        accounts = [a for a in AccountBook(self.store, wallet.id).list() if not a.watch_only]
        return DeviceWalletSigner(wallet, accounts, None)

    def session(self, utxo_networks: Sequence[str] | None = None) -> WalletSession:
        """The wallet on the configured EVM network. Ethereum accounts serve every EVM network
        (same keys), so they are stored under the 'eth' family. Beside it, the Bitcoin-like
        networks (`utxo_networks`, else settings, else btc/ltc where there are accounts)."""
        from chains.networks import get_network
        from wallet.backends import backend_for

        network = get_network(self.settings.network, self.settings.rpc_urls)
        if self.settings.one_server:  # never another node than the first (as for Electrum)
            network = network.model_copy(update={"rpc_urls": network.rpc_urls[:1]})
        current = self.current()
        wallet_id = None if current is None else current.id
        rows = self.store.db.execute(
            "SELECT a.address, a.path, a.account_index, a.watch_only FROM accounts a "
            "WHERE a.network = 'eth' AND (a.script = 'eth' OR a.script IS NULL) "
            "AND (:w IS NULL OR a.wallet_id = :w OR a.watch_only = 1) ORDER BY a.id",
            {"w": wallet_id},
        ).fetchall()
        # An Ethereum account's stored path is the parent (m/44'/60'/0'/0); account i signs
        # with its child i.
        paths = {
            r["address"]: f"{r['path']}/{r['account_index']}"
            for r in rows
            if r["path"] and r["account_index"] is not None and not r["watch_only"]
        }
        active: Any = self.unlocked.signer() if self.unlocked is not None else None
        device: DeviceWalletSigner | None = None
        if current is not None and current.is_device:
            from devices.thread import OnDeviceThread

            device = self.device_signer(current)
            signer, active = current.model or "device", OnDeviceThread(device)
        elif self.keystore.exists():
            signer = "software"
        elif rows:
            signer = "watch_only"
        else:
            signer = "no_wallet"
        session = WalletSession(
            store=self.store,
            network=network,
            backend=backend_for(network),
            addresses=[r["address"] for r in rows],
            assets=assets_for(network, self.store),
            signer=signer,
            active_signer=active,
            paths=paths,
            utxo=self.utxo_portfolio(utxo_networks, wallet_id),
        )
        if self.settings.fiat_prices:
            from wallet.prices import PriceBook, default_currency

            currency = self.settings.currency or default_currency(self.settings.language)
            session.prices = PriceBook(self.store, currency, api_url=self.settings.price_api_url)
            from wallet.day_prices import DayPrices

            session.day_prices = DayPrices(
                self.store, currency, api_url=self.settings.price_api_url
            )
        session.wallet = current
        session.device = device
        session.locked = device is None and self.keystore.exists() and self.unlocked is None
        return session

    def utxo_portfolio(
        self, networks: Sequence[str] | None = None, wallet_id: int | None = None
    ) -> UtxoPortfolio | None:
        """The Bitcoin/Litecoin accounts with the user's servers (which replace the built-in
        ones, see wallet/backends.py); None when there is nothing to show."""
        from wallet.utxo_portfolio import build_utxo_portfolio, wallet_utxo_networks

        s = self.settings
        ids = list(networks) if networks is not None else None
        ids = (
            ids if ids is not None else wallet_utxo_networks(self.store, s.utxo_networks, wallet_id)
        )
        if not ids:
            return None
        return build_utxo_portfolio(
            self.store,
            ids,
            wallet_id=wallet_id,
            electrum_servers=s.electrum_servers,
            esplora_urls=s.esplora_urls,
            prefer=s.utxo_backend,
            one_server=s.one_server,
            proxy=s.proxy,
        )

    def lock(self) -> None:
        if self.unlocked is not None:
            self.unlocked.lock()
            self.unlocked = None
