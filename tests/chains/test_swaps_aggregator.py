"""The 0x-style aggregator provider against a local HTTP server on 127.0.0.1 that serves the
documented /swap/v1/quote JSON shape. No aggregator can run here (0x is a hosted service), so
this fixture stands in for it; tests/wallet/test_swap_aggregator.py executes such a quote on
the devnet."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from chains.errors import BadResponse
from chains.swaps.aggregator import AggregatorProvider
from chains.swaps.base import AggregatorError, NoRoute, QuoteRequest

EXCHANGE = "0xDef1C0ded9bec7F1a1670819833240f027b25EfF"
WETH = "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2"
DAI = "0x6B175474E89094C44Da98b954EedeAC495271d0F"
TAKER = "0x9858EfFD232B4033E47d90003D41EC34EcaEda94"


SELL = 10**16
MIN = 15808998522410634420  # guaranteedPrice x sellAmount: 0.01 x 1580.899852241063442


def uniswap_data(
    tokens: tuple[str, ...] = (WETH, DAI), amount: int = SELL, minimum: int = MIN
) -> str:
    """sellToUniswap calldata, as the documented quote's data ('0xd9627aa4...') calls."""
    from eth_abi import encode

    from chains.swaps.aggregator_calldata import SELL_TO_UNISWAP, selector

    args = encode(
        ["address[]", "uint256", "uint256", "bool"], [list(tokens), amount, minimum, False]
    )
    return "0x" + (selector(SELL_TO_UNISWAP) + args).hex()


def documented_quote(**over: Any) -> dict[str, Any]:
    """Selling 0.01 WETH for DAI, in the shape of 0x's published v1 example."""
    q = {
        "chainId": 1, "price": "1596.8685376172358", "guaranteedPrice": "1580.899852241063442",
        "estimatedPriceImpact": "0.3366", "to": EXCHANGE.lower(), "data": uniswap_data(),
        "value": "0", "gas": "111000", "estimatedGas": "111000", "gasPrice": "15000000000",
        "protocolFee": "0", "minimumProtocolFee": "0", "buyTokenAddress": DAI.lower(),
        "sellTokenAddress": WETH.lower(), "buyAmount": "15968685376172358000",
        "sellAmount": "10000000000000000",
        "sources": [{"name": "Uniswap_V2", "proportion": "1"},
                    {"name": "Curve", "proportion": "0"}],
        "allowanceTarget": EXCHANGE.lower(), "sellTokenToEthRate": "1",
        "buyTokenToEthRate": "1596.8685376172358",
    }  # fmt: skip
    q.update(over)
    return q


class Fixture:
    def __init__(self) -> None:
        self.status = 200
        self.body: Any = documented_quote()
        self.requests: list[dict[str, list[str]]] = []
        fixture = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urlparse(self.path)
                fixture.requests.append({"path": [url.path], **parse_qs(url.query)})
                raw = (
                    fixture.body
                    if isinstance(fixture.body, bytes)
                    else json.dumps(fixture.body).encode()
                )
                self.send_response(fixture.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)


@pytest.fixture
def api() -> Iterator[Fixture]:
    f = Fixture()
    f.thread.start()
    yield f
    f.server.shutdown()
    f.server.server_close()


def provider(url: str) -> AggregatorProvider:
    return AggregatorProvider(url, network="eth", chain_id=1, exchange=EXCHANGE, timeout=5)


REQ = QuoteRequest(sell_token=WETH, buy_token=DAI, sell_amount=10**16, slippage_bps=100,
                   taker=TAKER)  # fmt: skip


async def test_documented_shape_becomes_a_quote(api: Fixture) -> None:
    p = provider(api.url)
    try:
        q = await p.quote(REQ)
    finally:
        await p.aclose()
    (sent,) = api.requests
    assert sent["path"] == ["/swap/v1/quote"]
    assert sent["sellToken"] == [WETH] and sent["buyToken"] == [DAI]
    assert sent["sellAmount"] == ["10000000000000000"] and sent["takerAddress"] == [TAKER]
    assert sent["slippagePercentage"] == ["0.0100"]
    assert q.buy_amount == 15968685376172358000
    # guaranteedPrice x sellAmount, cut to 18 places: 0.01 x 1580.899852241063442
    assert q.min_buy_amount == 15808998522410634420 == MIN
    assert q.price_impact_bps == 34  # 0.3366 % rounded up
    assert q.spender == EXCHANGE and q.call.to == EXCHANGE and q.call.value == 0
    assert q.sources == ("Uniswap_V2",) and q.deadline is None and q.gas_estimate == 111000


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"chainId": 137}, "chain"),
        ({"to": "0x0000000000000000000000000000000000000bad"}, "target"),
        ({"allowanceTarget": "0x0000000000000000000000000000000000000bad"}, "allowance"),
        ({"guaranteedPrice": "1500"}, "guaranteed"),  # 6 % below: beyond 1 % slippage
        ({"sellAmount": "20000000000000000"}, "amount"),
        ({"value": "5"}, "value"),
        # The JSON honest, the calldata (what is signed) not:
        ({"data": uniswap_data(minimum=0)}, "calldata_min"),
        ({"data": uniswap_data(minimum=MIN - 1)}, "calldata_min"),
        ({"data": uniswap_data(amount=SELL * 2)}, "calldata_amount"),
        ({"data": uniswap_data(tokens=(WETH, WETH))}, "calldata_token"),
        ({"data": uniswap_data(tokens=(DAI, WETH, DAI))}, "calldata_token"),
        ({"data": "0x12345678" + "00" * 128}, "calldata_function"),
        ({"data": uniswap_data()[:-64]}, "calldata_malformed"),
    ],
)
async def test_quotes_the_wallet_cannot_trust_are_refused(
    api: Fixture, change: dict[str, str], reason: str
) -> None:
    api.body = documented_quote(**change)
    p = provider(api.url)
    try:
        with pytest.raises(AggregatorError) as err:
            await p.quote(REQ)
    finally:
        await p.aclose()
    assert err.value.details["reason"] == reason


async def test_a_higher_minimum_in_the_calldata_is_accepted_and_the_review_keeps_its_own(
    api: Fixture,
) -> None:
    """A stricter chain-side minimum only risks a revert, never a worse price."""
    api.body = documented_quote(data=uniswap_data(minimum=MIN + 10**18))
    p = provider(api.url)
    try:
        q = await p.quote(REQ)
    finally:
        await p.aclose()
    assert q.min_buy_amount == MIN


async def test_unreadable_calldata_says_what_to_do(api: Fixture) -> None:
    from chains.swaps.base import CalldataUnreadable

    api.body = documented_quote(data="0x12345678" + "00" * 128)
    p = provider(api.url)
    try:
        with pytest.raises(CalldataUnreadable, match="Uniswap route or another aggregator"):
            await p.quote(REQ)
    finally:
        await p.aclose()


async def test_errors_are_typed(api: Fixture) -> None:
    p = provider(api.url)
    try:
        api.status, api.body = 400, {"code": 100, "reason": "Validation Failed",
                                     "validationErrors": [{"field": "buyAmount", "code": 1004,
                                     "reason": "INSUFFICIENT_ASSET_LIQUIDITY"}]}  # fmt: skip
        with pytest.raises(NoRoute):
            await p.quote(REQ)
        api.status, api.body = 503, {"reason": "down"}
        with pytest.raises(AggregatorError, match="HTTP 503"):
            await p.quote(REQ)
        api.status, api.body = 200, b"<html>not json</html>"
        with pytest.raises(BadResponse):
            await p.quote(REQ)
        api.body = documented_quote(buyAmount="-1")
        with pytest.raises(BadResponse):
            await p.quote(REQ)
    finally:
        await p.aclose()


async def test_unreachable_api_is_reported() -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    p = provider(f"http://127.0.0.1:{port}")
    try:
        with pytest.raises(AggregatorError) as err:
            await p.quote(REQ)
    finally:
        await p.aclose()
    assert err.value.details["reason"] == "unreachable"
