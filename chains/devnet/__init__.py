"""The embedded Ethereum devnet behind `termwallet demo` and the tests: anvil on 127.0.0.1 with
WETH9, Uniswap V2 and two demo tokens deployed at fixed addresses (see deploy.py).

Importing this package is cheap; web3 is imported only when deploying.
"""

from chains.devnet.anvil import CHAIN_ID, Anvil
from chains.devnet.deploy import DemoPair, DemoToken, DevnetDeployment, deploy_demo
from chains.devnet.errors import DevnetDeployFailed, DevnetError, DevnetMissing, DevnetStartFailed

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
