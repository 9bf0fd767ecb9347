"""The embedded Ethereum devnet behind `termwallet demo` and the tests: anvil on 127.0.0.1 with
WETH9, Uniswap V2 and two demo tokens deployed at fixed addresses (see deploy.py).

Importing this package imports none of its modules: the demo starts anvil before the app's
first frame (tui/services.py DemoServices), and chains.devnet.anvil must come without
pydantic or web3 then. The names below load their module on first use (PEP 562); a package
that imported its submodules also deadlocked Python's import locks when two threads imported
two of them at once (wallet/demo.py open_demo).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chains.devnet.anvil import CHAIN_ID, Anvil
    from chains.devnet.deploy import DemoPair, DemoToken, DevnetDeployment, deploy_demo
    from chains.devnet.errors import (
        DevnetDeployFailed,
        DevnetError,
        DevnetMissing,
        DevnetStartFailed,
    )

_HOMES = {
    "CHAIN_ID": "anvil",
    "Anvil": "anvil",
    "DemoPair": "deploy",
    "DemoToken": "deploy",
    "DevnetDeployment": "deploy",
    "deploy_demo": "deploy",
    "DevnetDeployFailed": "errors",
    "DevnetError": "errors",
    "DevnetMissing": "errors",
    "DevnetStartFailed": "errors",
}
__all__ = [
    "CHAIN_ID",
    "Anvil",
    "DemoPair",
    "DemoToken",
    "DevnetDeployFailed",
    "DevnetDeployment",
    "DevnetError",
    "DevnetMissing",
    "DevnetStartFailed",
    "deploy_demo",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
