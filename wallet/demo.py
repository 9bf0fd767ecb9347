"""The embedded offline demo: a local anvil devnet, demo tokens, a Uniswap V2 pool, and the
software signer on a fixed, public test mnemonic. Everything lives in a throw-away directory.
"""

from __future__ import annotations

import asyncio
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
    """A session that owns its devnet process and stops it when closed."""

    devnet: Any = None

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
            if self.devnet is not None:
                await asyncio.to_thread(self.devnet.stop)


def start_devnet(home: Path) -> tuple[Any, Any, str]:
    """Blocking: start anvil and deploy; runs in a worker thread, never before the first frame."""
    from chains.devnet.anvil import Anvil
    from chains.devnet.deploy import deploy_demo
    from devices.emulator import SoftwareSigner

    signer = SoftwareSigner.from_mnemonic(DEMO_MNEMONIC, label="demo")
    address = signer.get_address("eth", DEMO_PATH)
    signer.close()
    anvil = Anvil(log_dir=home / "logs")
    anvil.start()
    try:
        deployment = deploy_demo(anvil.rpc_url, address)
    except BaseException:
        anvil.stop()
        raise
    return anvil, deployment, address


async def open_demo(home: Path) -> DemoSession:
    anvil, deployment, address = await asyncio.to_thread(start_devnet, home)
    session = demo_session(deployment, address, home)
    session.devnet = anvil
    return session


def demo_session(deployment: Any, address: str, home: Path) -> DemoSession:
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
        active_signer=demo_signer(),
        paths={address: DEMO_PATH},
    )
    session.prices = PriceBook(store, DEMO_CURRENCY, [DemoPrices(backend, assets)], demo=True)
    return session


def demo_signer() -> Any:
    """The software signer on the public demo mnemonic: what signs the demo's sends."""
    from devices.emulator import SoftwareSigner

    return SoftwareSigner.from_mnemonic(DEMO_MNEMONIC, label="demo")
