"""Ethereum and EVM chains over JSON-RPC: the only module that touches web3.py.

web3 is imported on first use (it takes over a second to import). Its exceptions are turned
into chains.errors here and nowhere else.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from chains.errors import BadResponse, ChainError, NodeUnreachable
from chains.models import Asset, Balance, Network

ERC20_ABI: list[dict[str, Any]] = [
    {
        "name": "balanceOf",
        "type": "function",
        "stateMutability": "view",
        "inputs": [{"name": "owner", "type": "address"}],
        "outputs": [{"name": "", "type": "uint256"}],
    },
]


class EvmBackend:
    def __init__(self, network: Network, *, timeout: float = 10.0) -> None:
        if not network.rpc_urls:
            raise ChainError(f"{network.name}: no RPC URL configured; add one in settings")
        self.network = network
        self.url = network.rpc_urls[0]
        self._timeout = timeout
        self._w3: Any = None

    def _web3(self) -> Any:
        if self._w3 is None:
            from web3 import AsyncHTTPProvider, AsyncWeb3

            self._w3 = AsyncWeb3(
                AsyncHTTPProvider(self.url, request_kwargs={"timeout": self._timeout})
            )
        return self._w3

    async def block_number(self) -> int:
        async with self._errors():
            return int(await self._web3().eth.block_number)

    async def balances(self, addresses: Sequence[str], assets: Sequence[Asset]) -> list[Balance]:
        """All (address, asset) balances and the block number in ONE JSON-RPC batch request."""
        w3 = self._web3()
        from web3 import AsyncWeb3

        pairs = [(AsyncWeb3.to_checksum_address(a), asset) for a in addresses for asset in assets]
        async with self._errors():
            async with w3.batch_requests() as batch:
                batch.add(w3.eth.get_block_number())
                for address, asset in pairs:
                    if asset.contract is None:
                        batch.add(w3.eth.get_balance(address))
                    else:
                        token = w3.eth.contract(
                            address=AsyncWeb3.to_checksum_address(asset.contract), abi=ERC20_ABI
                        )
                        batch.add(token.functions.balanceOf(address))
                results = await batch.async_execute()
        if len(results) != len(pairs) + 1:
            raise BadResponse(f"{self.url} answered {len(results)} of {len(pairs) + 1} requests")
        block, values = int(results[0]), results[1:]
        now = datetime.now(UTC)
        out = []
        for (address, asset), value in zip(pairs, values, strict=True):
            if not isinstance(value, int) or value < 0:
                raise BadResponse(f"{self.url} gave a malformed balance for {asset.symbol}")
            out.append(Balance(asset=asset, address=address, amount=value, block=block, as_of=now))
        return out

    async def aclose(self) -> None:
        if self._w3 is not None:
            await self._w3.provider.disconnect()
            self._w3 = None

    def _errors(self) -> _ErrorMap:
        return _ErrorMap(self.url)


class _ErrorMap:
    """Turns web3/aiohttp failures into NodeUnreachable / BadResponse with the node's URL."""

    def __init__(self, url: str) -> None:
        self.url = url

    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> bool:
        if exc is None or isinstance(exc, ChainError):
            return False
        import aiohttp
        from web3.exceptions import Web3Exception

        if isinstance(exc, asyncio.TimeoutError | TimeoutError):
            raise NodeUnreachable(self.url, "timed out") from None
        if isinstance(exc, aiohttp.ClientConnectionError | OSError):
            raise NodeUnreachable(self.url, type(exc).__name__) from None
        if isinstance(exc, aiohttp.ClientResponseError):
            raise NodeUnreachable(self.url, f"HTTP {exc.status}") from None
        if isinstance(exc, Web3Exception | ValueError | aiohttp.ContentTypeError):
            raise BadResponse(f"{self.url}: {str(exc)[:200]}") from None
        return False
