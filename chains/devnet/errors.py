"""Errors of the embedded devnet. Each says what to do; codes are stable (support quotes them)."""

from __future__ import annotations

from chains.errors import ChainError


class DevnetError(ChainError):
    code = "DEVNET"


class DevnetMissing(DevnetError):
    """anvil, or a compiled contract the demo deploys, is not installed."""

    code = "DEVNET_MISSING"


class DevnetStartFailed(DevnetError):
    """anvil was found but did not come up (exited, or did not answer in time)."""

    code = "DEVNET_START_FAILED"


class DevnetDeployFailed(DevnetError):
    """A demo deployment step failed on the devnet."""

    code = "DEVNET_DEPLOY_FAILED"
