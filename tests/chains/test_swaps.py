"""Swap providers: Uniswap V2 on the real anvil devnet (artifacts from npm), and the arithmetic
that turns pool reserves into fees and price impact."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from chains.evm import EvmBackend
from chains.networks import devnet as devnet_network
from chains.swaps.base import NoRoute, QuoteRequest, min_out
from chains.swaps.uniswap_v2 import (
    DEPLOYMENTS,
    UniswapV2Provider,
    decode_swap_call,
    lp_fee,
    price_impact_bps,
)
from tests.fixtures.devnet import Devnet


def test_lp_fee_is_point_three_percent_per_pool() -> None:
    assert lp_fee(1_000_000, 1) == 3_000
    assert lp_fee(1_000_000, 2) == 1_000_000 - 1_000_000 * 997 // 1000 * 997 // 1000


def test_price_impact_of_a_tiny_trade_is_zero_and_grows_with_size() -> None:
    reserves = [(100 * 10**18, 300_000 * 10**6)]

    def out(a: int) -> int:  # Uniswap V2's getAmountOut
        return a * 997 * reserves[0][1] // (reserves[0][0] * 1000 + a * 997)

    assert price_impact_bps(10**15, out(10**15), reserves) <= 1  # 0.001 ETH: nothing
    small, big = (price_impact_bps(a, out(a), reserves) for a in (10**18, 10 * 10**18))
    assert 90 <= small <= 100  # 1 % of the pool: about 1 %
    assert 900 <= big <= 920  # 10 %: about 9.1 %


def test_min_out_rounds_down() -> None:
    assert min_out(1_000, 50) == 995
    assert min_out(999, 50) == 994  # 994.005 -> 994: the router compares >=


pytestmark_devnet = pytest.mark.devnet


@pytest.fixture
async def provider(devnet: Devnet) -> AsyncIterator[UniswapV2Provider]:
    backend = EvmBackend(devnet_network(devnet.rpc_url), timeout=10)
    yield UniswapV2Provider(backend, DEPLOYMENTS["devnet"])
    await backend.aclose()


@pytestmark_devnet
def test_devnet_addresses_match_a_fresh_deployment(devnet: Devnet) -> None:
    d, known = devnet.deployment, DEPLOYMENTS["devnet"]
    assert (known.router, known.factory, known.weth) == (d.router, d.factory, d.weth)
    assert known.bases == (d.token("DUSD").address,)


@pytestmark_devnet
async def test_quote_matches_the_routers_amounts_and_carries_the_protection(
    devnet: Devnet, provider: UniswapV2Provider
) -> None:
    d = devnet.deployment
    dgld = d.token("DGLD").address
    req = QuoteRequest(sell_token=None, buy_token=dgld, sell_amount=10**17, slippage_bps=100,
                       taker=devnet.demo_address)  # fmt: skip
    q = await provider.quote(req)
    # ETH -> DGLD has no direct pool: through DUSD.
    assert q.route == (d.weth, d.token("DUSD").address, dgld)
    amounts = await provider.amounts_out(10**17, q.route)
    assert amounts is not None and q.buy_amount == amounts[-1]
    assert q.provider_fee_bps == 60 and q.provider_fee == lp_fee(10**17, 2)
    args = decode_swap_call(q.call.data)
    assert args["min_out"] == q.min_buy_amount == q.buy_amount * 9900 // 10000
    assert args["to"] == devnet.demo_address and args["deadline"] == q.deadline
    assert q.call.value == 10**17 and q.spender is None


@pytestmark_devnet
async def test_same_asset_is_no_route(devnet: Devnet, provider: UniswapV2Provider) -> None:
    with pytest.raises(NoRoute):
        await provider.quote(QuoteRequest(sell_token=None, buy_token=devnet.deployment.weth,
                                          sell_amount=1, slippage_bps=50,
                                          taker=devnet.demo_address))  # fmt: skip
