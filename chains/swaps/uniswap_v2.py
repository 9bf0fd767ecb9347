"""Uniswap V2 (and its forks): quotes from the router's getAmountsOut, executed with
swapExactTokensForTokens / swapExactETHForTokens / swapExactTokensForETH, which enforce
amountOutMin and a deadline on chain.

Routes: the direct pool, or one hop through a base token (WETH, a stablecoin), whichever pays
the most, all read at one block. Price impact comes from the pools' reserves at that block.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from pydantic import Field

from chains.errors import BadResponse
from chains.evm import EvmBackend, checksum
from chains.models import Frozen
from chains.swaps.base import (
    BPS,
    NoRoute,
    Quote,
    QuoteRequest,
    SwapCall,
    SwapError,
    eth_call,
    latest_block,
    min_out,
)
from said import Said

FEE_NUM, FEE_DEN = 997, 1000  # each pool keeps 0.3 % of what goes in
POOL_FEE_BPS = 30
# Gas before an allowance exists (the node cannot simulate a swap it would refuse): measured on
# the devnet (about 110k for one hop, about 60k more per hop), rounded up; the wallet estimates
# for real whenever the swap can be simulated.
GAS_FIRST_HOP = 130_000
GAS_PER_EXTRA_HOP = 75_000


class UniswapV2Deployment(Frozen):
    network: str
    router: str
    factory: str
    weth: str
    bases: tuple[str, ...] = Field(default=())  # intermediate tokens tried for two-hop routes


# The devnet's addresses are fixed (chains/devnet/deploy.py: same deployer, same nonces);
# tests/chains/test_swaps_uniswap.py checks them against a fresh deployment.
DEPLOYMENTS: dict[str, UniswapV2Deployment] = {
    "eth": UniswapV2Deployment(
        network="eth",
        router="0x7a250d5630B4cF539739dF2C5dAcb4c659F2488D",
        factory="0x5C69bEe701ef814a2B6a3EDD4B1652CB9cc5aA6f",
        weth="0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2",
        bases=(
            "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48",  # USDC
            "0xdAC17F958D2ee523a2206206994597C13D831ec7",  # USDT
            "0x6B175474E89094C44Da98b954EedeAC495271d0F",  # DAI
        ),
    ),
    "devnet": UniswapV2Deployment(
        network="devnet",
        router="0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0",
        factory="0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512",
        weth="0x5FbDB2315678afecb367f032d93F642f64180aa3",
        bases=("0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9",),  # DUSD
    ),
}


def _sel(signature: str) -> bytes:
    from eth_utils import function_signature_to_4byte_selector

    return bytes(function_signature_to_4byte_selector(signature))


class UniswapV2Provider:
    name = "uniswap_v2"

    def __init__(self, backend: EvmBackend, deployment: UniswapV2Deployment) -> None:
        self.backend = backend
        self.d = deployment

    async def aclose(self) -> None:
        return None

    # -- quote -------------------------------------------------------------------------------

    def _wrap(self, token: str | None) -> str:
        return checksum(token) if token is not None else checksum(self.d.weth)

    def candidate_paths(self, sell: str | None, buy: str | None) -> list[tuple[str, ...]]:
        a, b = self._wrap(sell), self._wrap(buy)
        if a == b:
            raise NoRoute("wrapping or unwrapping ETH is not a swap; pick two different assets")
        paths: list[tuple[str, ...]] = [(a, b)]
        for base in (self.d.weth, *self.d.bases):
            mid = checksum(base)
            if mid not in (a, b):
                paths.append((a, mid, b))
        return paths

    async def amounts_out(
        self, amount: int, path: tuple[str, ...], block: int | str = "latest"
    ) -> list[int] | None:
        """The router's getAmountsOut; None when a pool on the path does not exist."""
        from eth_abi import decode, encode

        data = _sel("getAmountsOut(uint256,address[])") + encode(
            ["uint256", "address[]"], [amount, list(path)]
        )
        try:
            raw = await eth_call(self.backend, self.d.router, data, block)
        except SwapError:
            return None  # the router reverts when a pool is missing or empty
        try:
            return [int(v) for v in decode(["uint256[]"], raw)[0]]
        except Exception:
            return None

    async def reserves(self, a: str, b: str, block: int | str = "latest") -> tuple[int, int]:
        """(reserve of a, reserve of b) in the a/b pool."""
        from eth_abi import decode, encode

        pair_raw = await eth_call(
            self.backend, self.d.factory,
            _sel("getPair(address,address)") + encode(["address", "address"], [a, b]), block,
        )  # fmt: skip
        pair = checksum(decode(["address"], pair_raw)[0])
        if int(pair, 16) == 0:
            raise NoRoute(f"no pool for {a}/{b}")
        r_raw, t0_raw = await asyncio.gather(
            eth_call(self.backend, pair, _sel("getReserves()"), block),
            eth_call(self.backend, pair, _sel("token0()"), block),
        )
        r0, r1, _ = decode(["uint112", "uint112", "uint32"], r_raw)
        token0 = checksum(decode(["address"], t0_raw)[0])
        return (int(r0), int(r1)) if token0 == a else (int(r1), int(r0))

    async def quote(self, request: QuoteRequest) -> Quote:
        if self.backend.network.id != self.d.network:
            raise SwapError(
                Said(
                    "swaps.uniswap_v2.uniswap_deployment",
                    "this Uniswap deployment is for {network}",
                    network=self.d.network,
                )
            )
        block, timestamp = await latest_block(self.backend)
        paths = self.candidate_paths(request.sell_token, request.buy_token)
        results = await asyncio.gather(
            *(self.amounts_out(request.sell_amount, p, block) for p in paths)
        )
        best: tuple[int, tuple[str, ...]] | None = None
        for path, amounts in zip(paths, results, strict=True):
            if amounts and len(amounts) == len(path) and amounts[-1] > 0:
                if best is None or amounts[-1] > best[0]:
                    best = (amounts[-1], path)
        if best is None:
            raise NoRoute("no Uniswap V2 pool route between these assets")
        out, path = best
        hops = len(path) - 1
        reserves = await asyncio.gather(
            *(self.reserves(path[i], path[i + 1], block) for i in range(hops))
        )
        impact = price_impact_bps(request.sell_amount, out, reserves)
        minimum = min_out(out, request.slippage_bps)
        deadline = timestamp + request.deadline_seconds
        call = self.swap_call(request, path, minimum, deadline)
        return Quote(
            provider=self.name, network=self.d.network,
            sell_token=request.sell_token, buy_token=request.buy_token,
            sell_amount=request.sell_amount, buy_amount=out, min_buy_amount=minimum,
            slippage_bps=request.slippage_bps, price_impact_bps=impact,
            provider_fee=lp_fee(request.sell_amount, hops),
            provider_fee_token=request.sell_token, provider_fee_bps=POOL_FEE_BPS * hops,
            route=path,
            spender=None if request.sell_token is None else checksum(self.d.router),
            call=call, deadline=deadline, block=block, quoted_at=datetime.now(UTC),
            gas_estimate=GAS_FIRST_HOP + GAS_PER_EXTRA_HOP * (hops - 1),
        )  # fmt: skip

    def swap_call(
        self, request: QuoteRequest, path: tuple[str, ...], minimum: int, deadline: int
    ) -> SwapCall:
        from eth_abi import encode

        to = checksum(request.taker)
        addresses = list(path)
        if request.sell_token is None:
            data = _sel("swapExactETHForTokens(uint256,address[],address,uint256)") + encode(
                ["uint256", "address[]", "address", "uint256"], [minimum, addresses, to, deadline]
            )
            return SwapCall(to=checksum(self.d.router), data=data, value=request.sell_amount)
        fn = "swapExactTokensForETH" if request.buy_token is None else "swapExactTokensForTokens"
        data = _sel(f"{fn}(uint256,uint256,address[],address,uint256)") + encode(
            ["uint256", "uint256", "address[]", "address", "uint256"],
            [request.sell_amount, minimum, addresses, to, deadline],
        )
        return SwapCall(to=checksum(self.d.router), data=data, value=0)


def decode_swap_call(data: bytes) -> dict[str, Any]:
    """The router call's arguments: the wallet checks the signed bytes carry the reviewed
    minimum, recipient and deadline before anything is stored or sent."""
    from eth_abi import decode

    sel = data[:4]
    if sel == _sel("swapExactETHForTokens(uint256,address[],address,uint256)"):
        m, path, to, dl = decode(["uint256", "address[]", "address", "uint256"], data[4:])
        return {
            "amount_in": None,
            "min_out": int(m),
            "path": tuple(checksum(p) for p in path),
            "to": checksum(to),
            "deadline": int(dl),
        }
    for fn in ("swapExactTokensForETH", "swapExactTokensForTokens"):
        if sel == _sel(f"{fn}(uint256,uint256,address[],address,uint256)"):
            a, m, path, to, dl = decode(
                ["uint256", "uint256", "address[]", "address", "uint256"], data[4:]
            )
            return {
                "amount_in": int(a),
                "min_out": int(m),
                "path": tuple(checksum(p) for p in path),
                "to": checksum(to),
                "deadline": int(dl),
            }
    raise BadResponse("not a Uniswap V2 exact-input swap")


def lp_fee(amount_in: int, hops: int) -> int:
    """What the pools keep, in input-token units: 0.3 % of the input at the first pool, and
    0.3 % of what is left at each further one (valued at the input token)."""
    kept = amount_in
    for _ in range(hops):
        kept = kept * FEE_NUM // FEE_DEN
    return amount_in - kept


def price_impact_bps(amount_in: int, amount_out: int, reserves: list[tuple[int, int]]) -> int:
    """How much less than the pools' current price (after their fee) the trade gets, in basis
    points, rounded up: 1 - out / (in x product of (0.997 x reserve_out / reserve_in))."""
    num = amount_out * BPS
    den = amount_in
    for r_in, r_out in reserves:
        if r_in == 0 or r_out == 0:
            raise NoRoute("a pool on the route is empty")
        num *= FEE_DEN * r_in
        den *= FEE_NUM * r_out
    return max(BPS - num // den, 0)
