"""The embedded offline demo: a local anvil devnet, demo tokens, a Uniswap V2 pool, and the
software signer on a fixed, public test mnemonic. Everything lives in a throw-away directory.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from chains.models import Asset
from wallet.session import WalletSession
from wallet.store import Store

# BIP39's best-known test mnemonic: public, never for real funds. Its m/44'/60'/0'/0/0 is
# 0x9858EfFD232B4033E47d90003D41EC34EcaEda94.
DEMO_MNEMONIC = " ".join(["abandon"] * 11 + ["about"])
DEMO_PATH = "m/44'/60'/0'/0/0"


class DemoSession(WalletSession):
    """A session that owns its devnet process and the demo helpdesk, and stops them when closed."""

    devnet: Any = None
    support: Any = None  # wallet/demo_support.py: the demo's own helpdesk and mail sink
    electrum: Any = None  # wallet/demo_utxo.py: the demo's Electrum server (its Litecoin)
    # The support desk's clock and ticket references (wallet/support/tickets.py desk_for):
    # None for the real ones; the snapshots and screenshots fix them to be repeatable.
    support_clock: Any = None
    ticket_references: Any = None

    def price_symbol(self, asset: Any) -> str | None:
        return str(asset.symbol)  # every demo token has its pool

    def priced_symbols(self) -> list[str]:
        """Every demo asset: they are priced from the devnet's own pool (wallet/prices.py
        DemoPrices), which the screen says."""
        return [a.symbol for a in self.assets]

    async def aclose(self) -> None:
        try:
            await super().aclose()
        finally:
            if self.support is not None:
                await asyncio.to_thread(self.support.stop)
            if self.electrum is not None:
                await asyncio.to_thread(self.electrum.stop)
            if self.devnet is not None:
                await asyncio.to_thread(self.devnet.stop)


def start_devnet(
    home: Path,
    prepared: Path | None = None,
    before_deploying: Callable[[], object] | None = None,
    spawned: Any = None,
) -> tuple[Any, Any, str]:
    """Blocking: start anvil with the demo world on it; runs in a worker thread, never before
    the first frame. With `prepared` (a folder), the world deployed on an earlier run is loaded
    from there when it still matches this code and this anvil (wallet/demo_state.py), instead
    of deployed again; a world deployed here is saved there for the next run.
    `before_deploying` runs first when it comes to deploying (_open_demo: the imports on its
    other thread finish first; two threads importing the eth libraries at once are a known
    source of half-initialised modules). `spawned`: an anvil whose process already runs
    (spawn_demo_devnet), waited for here instead of started."""
    from chains.devnet.anvil import Anvil

    anvil = spawned if spawned is not None else Anvil(log_dir=home / "logs")
    anvil.start()
    try:
        loaded = None
        if prepared is not None:
            anvil, loaded = _restore(anvil, prepared)
        if loaded is not None:
            deployment, address = loaded
        else:
            if before_deploying is not None:
                before_deploying()
            deployment, address = _deploy(anvil, prepared)
    except BaseException:
        anvil.stop()
        raise
    return anvil, deployment, address


def _restore(anvil: Any, prepared: Path) -> tuple[Any, tuple[Any, str] | None]:
    """The prepared world on `anvil`, or on a fresh anvil when the one loaded did not check
    out (deploy_demo needs an empty chain)."""
    from chains.devnet.anvil import Anvil
    from wallet.demo_state import StaleDemoState, restore

    try:
        return anvil, restore(anvil, prepared)
    except (StaleDemoState, OSError, ValueError):  # not as saved, or anvil refused the load
        anvil.stop()
        anvil = Anvil(log_dir=anvil.log_dir)
        anvil.start()
        return anvil, None


def _deploy(anvil: Any, prepared: Path | None) -> tuple[Any, str]:
    from chains.devnet.deploy import deploy_demo

    address = demo_address()
    deployment = deploy_demo(anvil.rpc_url, address)
    if prepared is not None:
        from wallet.demo_state import save

        save(anvil, prepared, deployment, address)
    return deployment, address


def demo_address() -> str:
    """The demo account, derived from DEMO_MNEMONIC at DEMO_PATH (bip_utils: about 0.35 s)."""
    signer = demo_signer()
    try:
        return str(signer.get_address("eth", DEMO_PATH))
    finally:
        signer.close()


async def open_demo(home: Path, prepared: Path | None = None, spawned: Any = None) -> DemoSession:
    # The packages the threads below import, imported here first, on one thread: a
    # package whose __init__ imports its submodules (chains.devnet did; wallet.store's
    # migrations still do) deadlocked Python's import locks when one thread imported
    # chains.devnet.anvil while another imported chains.devnet.electrum_server
    # (_DeadlockError, about 1 demo start in 25). ~11 ms.
    import importlib

    for name in ("chains.devnet", "chains.devnet.electrum_server", "wallet.store"):
        importlib.import_module(name)  # wallet.store: its migrations package does the same
    from wallet.demo_support import start_demo_support
    from wallet.demo_utxo import start_demo_electrum

    # The helpdesk and mail sink (wallet/demo_support.py) and the Electrum server
    # (wallet/demo_utxo.py; its chain is built on a thread of its own) start beside anvil,
    # not before it: about 0.1 s less before the first balances.
    support_starting = asyncio.ensure_future(asyncio.to_thread(start_demo_support))
    electrum_starting = asyncio.ensure_future(asyncio.to_thread(start_demo_electrum))
    try:
        session = await asyncio.to_thread(_open_demo, home, prepared, spawned)
    except BaseException:
        for starting in (support_starting, electrum_starting):
            await _stop_when_started(starting)
        raise
    try:
        session.support = await support_starting
        session.electrum = await electrum_starting
        attach_demo_utxo(session, session.electrum.url)
    except BaseException:
        await session.aclose()  # anvil, and what of the others started
        if session.electrum is None:
            await _stop_when_started(electrum_starting)
        raise
    return session


async def _stop_when_started(starting: asyncio.Future[Any]) -> None:
    """Stop a demo server (the helpdesk, the Electrum server) once its start is done; one
    that failed to start runs nothing."""
    try:
        server = await starting
    except Exception:  # it did not start: nothing to stop
        return
    await asyncio.to_thread(server.stop)


def attach_demo_utxo(session: DemoSession, electrum_url: str) -> None:
    """The demo's Litecoin account on the demo's Electrum server (wallet/demo_utxo.py)."""
    from wallet.demo_utxo import demo_utxo_portfolio

    session.utxo = demo_utxo_portfolio(session.store, electrum_url)


def _open_demo(home: Path, prepared: Path | None, spawned: Any = None) -> DemoSession:
    """The first balance read's libraries (httpx, eth_hash) are imported on another thread
    while anvil starts; web3 (about 0.6 s) only when the world is deployed (chains/devnet
    imports it, after that thread: never two threads importing the eth libraries at once),
    else after the first balances are drawn (the app: load_signing_library)."""
    from concurrent.futures import ThreadPoolExecutor

    from wallet.backends import load_client_library

    with ThreadPoolExecutor(1, thread_name_prefix="demo-imports") as pool:
        imported = pool.submit(load_client_library, "evm")
        anvil, deployment, address = start_devnet(home, prepared, imported.result, spawned)
        try:
            imported.result()
            session = demo_session(deployment, address, home, signer=LazyDemoSigner())
        except BaseException:
            anvil.stop()
            raise
    session.devnet = anvil
    return session


def demo_session(deployment: Any, address: str, home: Path, *, signer: Any = None) -> DemoSession:
    """A session on a devnet that is already running and deployed (tests, screenshots)."""
    from chains.networks import devnet
    from wallet.backends import backend_for
    from wallet.paths import Paths

    paths = Paths.under(home).ensure()
    network = devnet(deployment.rpc_url, deployment.chain_id)
    assets = [network.native_asset] + [
        Asset(
            network=network.id,
            symbol=tok.symbol,
            name=tok.name,
            decimals=tok.decimals,
            contract=tok.address,
        )
        for tok in deployment.tokens
    ]
    from wallet.prices import DEMO_CURRENCY, DemoPrices, PriceBook

    backend = backend_for(network)
    store = Store(paths.database)
    session = DemoSession(
        store=store,
        network=network,
        backend=backend,
        addresses=[address],
        assets=assets,
        signer="software",
        demo=True,
        active_signer=signer if signer is not None else demo_signer(),
        paths={address: DEMO_PATH},
    )
    session.prices = PriceBook(store, DEMO_CURRENCY, [DemoPrices(backend, assets)], demo=True)
    return session


def demo_signer() -> Any:
    """The software signer on the public demo mnemonic: what signs the demo's sends."""
    from devices.emulator import SoftwareSigner

    return SoftwareSigner.from_mnemonic(DEMO_MNEMONIC, label="demo")


class LazyDemoSigner:
    """The demo's signer, derived when first used (to sign, show or close): deriving it takes
    bip_utils' import and a BIP32 derivation, about 0.35 s that the demo's balances need not
    wait for. Everything else is the SoftwareSigner's own."""

    def __init__(self) -> None:
        self._signer: Any = None
        self._lock = threading.Lock()

    def _get(self) -> Any:
        with self._lock:
            if self._signer is None:
                self._signer = demo_signer()
            return self._signer

    def __getattr__(self, name: str) -> Any:
        return getattr(self._get(), name)

    def close(self) -> None:
        with self._lock:
            signer, self._signer = self._signer, None
        if signer is not None:
            signer.close()
