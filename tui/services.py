"""The one place concrete parts are wired. Tests hand make_app() their own Services."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from textual.screen import Screen

    from wallet.keystore import Keystore, UnlockedWallet
    from wallet.lockout import Lockout
    from wallet.paths import Paths
    from wallet.session import WalletSession
    from wallet.settings import Settings
    from wallet.store import Store
    from wallet.totp import TotpGuard
    from wallet.user import UserWallet
    from wallet.wallets import WalletRow


class Services(Protocol):
    demo: bool

    async def open_session(self) -> WalletSession: ...

    async def close(self) -> None: ...


class UserServices:
    """The user's own wallet, from the config and data dirs. Settings are read in
    open_session (a worker), not before the first frame: see wallet/startup.py."""

    demo = False

    def __init__(self, paths: Paths, settings: Settings | None = None, **overrides: object) -> None:
        self.paths = paths
        self.settings = settings
        self.overrides = overrides
        self.wallet: UserWallet | None = None
        self.misplaced_config: list[Path] = []  # config files never read; the app says so
        # What early_gate opened for the unlock prompt; the wallet opens on the same objects.
        self._early: tuple[Store, Keystore, Lockout] | None = None

    async def open_session(self) -> WalletSession:
        return await asyncio.to_thread(self._open)

    def _open(self) -> WalletSession:
        from wallet.backends import load_client_library
        from wallet.user import UserWallet

        # Here, on the worker's thread: web3's import (about 0.6 s) on the app's loop, in the
        # first balance read, froze the screen and the typing of a password.
        if self.wallet is None:
            self.misplaced_config = self.paths.misplaced_config_files()
            if self._early is None:
                self.wallet = UserWallet.open(self.paths, self.settings, **self.overrides)
            else:
                from wallet.settings import load_settings

                store, keystore, lockout = self._early
                self.wallet = UserWallet(
                    paths=self.paths.ensure(),
                    settings=self.settings
                    or load_settings(self.paths.config_file, **self.overrides),
                    store=store,
                    keystore=keystore,
                    lockout=lockout,
                )
            self.settings = self.wallet.settings
        session = self.wallet.session()
        if session.addresses:  # balances to read: the first read must not import web3 itself
            load_client_library(session.network.kind.value)
        return session

    def early_gate(self) -> Screen[Any] | None:
        """The unlock prompt before the session opens, when it is sure to be the first screen:
        a keystore, at most one wallet that signs, and that one not on a device. It needs the
        keystore, the store and the lockout (about 15 ms), not the settings and the chain
        libraries (about a second), which open behind it while the user types. None: the
        session decides, as before (first run, watch-only, a device wallet, a choice of
        wallets)."""
        from wallet.keystore import Keystore

        keystore = Keystore(self.paths.data_dir / "keystore.json")
        if not keystore.exists():
            return None
        from wallet.lockout import Lockout
        from wallet.store import Store
        from wallet.wallets import WalletBook

        store = Store(self.paths.database)
        book = WalletBook(store)
        current = book.current(software_exists=True)
        if len(book.signing()) > 1 or (current is not None and current.is_device):
            store.close()
            return None
        lockout = Lockout(store)
        self._early = (store, keystore, lockout)
        return self._unlock_screen(store, keystore, lockout)

    def gate_screen(self) -> Screen[Any] | None:
        """The screen that must come first: first-run setup or unlock; None when open."""
        from wallet.user import Gate

        assert self.wallet is not None, "open_session first"
        gate = self.wallet.gate()
        if gate is Gate.FIRST_RUN:
            from tui.screens.onboarding import OnboardingScreen

            return OnboardingScreen(self.wallet.keystore, self.wallet.store)
        if gate is Gate.UNLOCK:
            return self.unlock_screen()
        return None

    def wallet_choices(self) -> list[WalletRow]:
        """The wallets that sign (wallet/wallets.py): the app offers a choice when several."""
        from wallet.wallets import WalletBook

        assert self.wallet is not None, "open_session first"
        return WalletBook(self.wallet.store).signing()

    def unlock_screen(self, reason: str | None = None) -> Screen[Any]:
        assert self.wallet is not None
        w = self.wallet
        return self._unlock_screen(w.store, w.keystore, w.lockout, reason)

    @staticmethod
    def _unlock_screen(
        store: Store, keystore: Keystore, lockout: Lockout, reason: str | None = None
    ) -> Screen[Any]:
        from tui.screens.unlock import UnlockScreen

        def totp(unlocked: UnlockedWallet) -> TotpGuard | None:
            from wallet.totp import TotpGuard

            guard = TotpGuard(store, unlocked)
            return guard if guard.enabled else None

        return UnlockScreen(keystore, lockout, totp=totp, reason=reason)

    def unlocked(self, unlocked: UnlockedWallet) -> None:
        assert self.wallet is not None
        self.wallet.unlocked = unlocked

    def lock(self) -> bool:
        """Forget the unlocked keys; True if there was something to lock."""
        if self.wallet is None or self.wallet.unlocked is None:
            return False
        self.wallet.lock()
        return True

    @property
    def auto_lock_minutes(self) -> int:
        return self.settings.auto_lock_minutes if self.settings is not None else 0

    async def close(self) -> None:
        self.lock()
        if self.wallet is None and self._early is not None:
            self._early[0].close()  # the prompt's store: the session never opened on it


class DemoServices:
    """The offline demo; its data dir is deleted when the app closes."""

    demo = True

    def __init__(self, home: Path | None = None) -> None:
        self._own_home = home is None
        self.home = home or Path(tempfile.mkdtemp(prefix="termwallet-demo-"))
        self._opening: asyncio.Future[WalletSession] | None = None
        self._spawned: Any = None  # spawn_devnet: anvil's process, before the first frame

    def spawn_devnet(self) -> None:
        """Run the demo's anvil now, before the app starts: the session waits for it later
        (wallet/demo_devnet.py)."""
        from wallet.demo_devnet import spawn_demo_devnet

        self._spawned = spawn_demo_devnet(self.home)

    def stop_devnet(self) -> None:
        """Stop the spawned anvil (safe twice): for an end before the app ran."""
        if self._spawned is not None:
            self._spawned.stop()

    async def open_session(self) -> WalletSession:
        from wallet.demo import open_demo
        from wallet.paths import Paths

        # Shielded: when the app ends while anvil is starting (a signal in the first second),
        # the app's worker is cancelled but the thread starting anvil is not; close() waits
        # for it and stops what it started, so no anvil outlives the app.
        # The demo's world is prepared once, in the user's cache folder (wallet/demo_state.py).
        prepared = Paths.default().cache_dir
        self._opening = asyncio.ensure_future(open_demo(self.home, prepared, self._spawned))
        return await asyncio.shield(self._opening)

    async def close(self) -> None:
        try:
            if self._opening is not None:
                try:
                    session = await self._opening
                except Exception:  # it failed to start: nothing of it is running
                    session = None
                # Each safe twice: the app may have stopped them already.
                parts = ("support", "electrum", "devnet")
                for part in (getattr(session, name, None) for name in parts):
                    if part is not None:
                        await asyncio.to_thread(part.stop)
        finally:
            # Never waited for (the app ended first), or handed over and stopped already.
            await asyncio.to_thread(self.stop_devnet)
            if self._own_home:
                shutil.rmtree(self.home, ignore_errors=True)


class AttachedDemoServices:
    """The demo on a devnet someone else started and owns (tests, the screenshot command): many
    app runs share one anvil instead of starting one each."""

    demo = True

    def __init__(
        self,
        deployment: object,
        address: str,
        home: Path,
        *,
        support: bool = False,
        clock: Callable[[], datetime] | None = None,
        ticket_references: Callable[[], str] | None = None,
        utxo: bool = False,
    ) -> None:
        self.deployment = deployment
        self.address = address
        self.home = home
        # With support=True the session gets the demo's own helpdesk and mail sink, as
        # `termwallet demo` has them; stopped when the app closes.
        self.with_support = support
        # A fixed clock and seeded references for the support desk and the demo helpdesk
        # (the snapshots and `termwallet screenshots`: a ticket's due time and reference are
        # then the same on every run). None: the real clock, random references.
        self.clock = clock
        self.ticket_references = ticket_references
        # With utxo=True the session gets the demo's Litecoin account on its own Electrum
        # server (wallet/demo_utxo.py), as `termwallet demo` has it; stopped when it closes.
        self.with_utxo = utxo

    async def open_session(self) -> WalletSession:
        from wallet.demo import demo_session

        session = demo_session(self.deployment, self.address, self.home)
        session.support_clock = self.clock
        session.ticket_references = self.ticket_references
        if self.with_support:
            from wallet.demo_support import start_demo_support

            session.support = await asyncio.to_thread(start_demo_support, clock=self.clock)
        if self.with_utxo:
            from wallet.demo import attach_demo_utxo
            from wallet.demo_utxo import start_demo_electrum

            session.electrum = await asyncio.to_thread(start_demo_electrum)
            attach_demo_utxo(session, session.electrum.url)
            session.utxo.clock = self.clock
        return session

    async def close(self) -> None:
        return None
