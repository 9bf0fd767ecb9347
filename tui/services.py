"""The one place concrete parts are wired. Tests hand make_app() their own Services."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from wallet.paths import Paths
    from wallet.session import WalletSession
    from wallet.settings import Settings


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

    async def open_session(self) -> WalletSession:
        return await asyncio.to_thread(self._open)

    def _open(self) -> WalletSession:
        from wallet.session import open_user_session
        from wallet.settings import load_settings

        self.paths.ensure()
        if self.settings is None:
            self.settings = load_settings(self.paths.config_file, **self.overrides)
        return open_user_session(
            self.settings.network, self.settings.rpc_urls, str(self.paths.database)
        )

    async def close(self) -> None:
        return None


class DemoServices:
    """The offline demo; its data dir is deleted when the app closes."""

    demo = True

    def __init__(self, home: Path | None = None) -> None:
        self._own_home = home is None
        self.home = home or Path(tempfile.mkdtemp(prefix="termwallet-demo-"))

    async def open_session(self) -> WalletSession:
        from wallet.demo import open_demo

        return await open_demo(self.home)

    async def close(self) -> None:
        if self._own_home:
            shutil.rmtree(self.home, ignore_errors=True)


class AttachedDemoServices:
    """The demo on a devnet someone else started and owns (tests, the screenshot command): many
    app runs share one anvil instead of starting one each."""

    demo = True

    def __init__(self, deployment: object, address: str, home: Path) -> None:
        self.deployment = deployment
        self.address = address
        self.home = home

    async def open_session(self) -> WalletSession:
        from wallet.demo import demo_session

        return demo_session(self.deployment, self.address, self.home)

    async def close(self) -> None:
        return None
