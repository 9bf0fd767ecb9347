"""A 0x-style swap aggregator over HTTP (`GET {base}/swap/v1/quote`): the quote comes with the
calldata to send, which the aggregator's contract checks on chain against `guaranteedPrice`
(the minimum the wallet reviews). The base URL is configurable: 0x itself, a self-hosted
instance or any API that serves the same JSON.

0x retired v1 in April 2025 (v2 moved to /swap/permit2 and /swap/allowance-holder); v1's
shape is the one issue 7 asked for and the one many 0x-compatible APIs still serve.

The JSON is checked (the chain, the amounts, that the transaction goes to the contract this
provider was configured to trust, that the allowance goes to it too, that the guaranteed
minimum is within the user's slippage), and so is the calldata, which is what is signed: its
tokens, amount sold and on-chain minimum are decoded (chains/swaps/aggregator_calldata.py) and
must be the quote's, the minimum at least the one reviewed. Calldata the wallet cannot decode
is refused: a review must never show a minimum the wallet did not find in what is signed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from chains.errors import BadResponse
from chains.evm import checksum
from chains.proxy import httpx_proxy
from chains.swaps.aggregator_calldata import UnknownFunction, decode_exchange_call
from chains.swaps.base import (
    BPS,
    AggregatorError,
    CalldataMismatch,
    CalldataUnreadable,
    NoRoute,
    Quote,
    QuoteRequest,
    SwapCall,
    min_out,
)
from chains.units import parse_amount
from said import Said

NATIVE_PLACEHOLDER = "0xEeeeeEeeeEeEeeEeEeEeeEEEeeeeEeeeeeeeEEeE"  # how 0x names the coin
PRICE_PLACES = 18  # guaranteedPrice digits kept (cut, never rounded up: the minimum only falls)
# guaranteedPrice is a decimal string; after cutting it to PRICE_PLACES the minimum may be a
# hair below ours. One basis point of tolerance for that, not for a worse price.
ROUNDING_TOLERANCE_BPS = 1


class _Fee(BaseModel):
    model_config = ConfigDict(extra="ignore")
    feeType: str | None = None
    feeToken: str
    feeAmount: str


class _Source(BaseModel):
    model_config = ConfigDict(extra="ignore")
    name: str
    proportion: str


class ZeroExQuote(BaseModel):
    """The fields of 0x's /swap/v1/quote reply the wallet uses (others are ignored)."""

    model_config = ConfigDict(extra="ignore")
    chainId: int
    price: str
    guaranteedPrice: str
    estimatedPriceImpact: str | None = None
    to: str
    data: str
    value: str
    gas: str | None = None
    estimatedGas: str | None = None
    protocolFee: str = "0"
    buyTokenAddress: str
    sellTokenAddress: str
    buyAmount: str
    sellAmount: str
    allowanceTarget: str
    sources: list[_Source] = []
    fees: dict[str, _Fee | None] | None = None


def _int(text: str, field: str) -> int:
    if not text.isdigit():
        raise BadResponse(f"the aggregator's {field} is not an integer")
    return int(text)


def _slippage_text(bps: int) -> str:
    return f"{bps // BPS}.{bps % BPS:04d}"  # 50 bps -> "0.0050" (a fraction, as 0x takes it)


def _cut(text: str, places: int) -> tuple[str, bool]:
    """text with at most `places` decimals, and whether anything non-zero was cut."""
    whole, _, frac = text.strip().partition(".")
    return (f"{whole or '0'}.{frac[:places] or '0'}", bool(frac[places:].strip("0")))


def _impact_bps(text: str | None) -> int:
    """estimatedPriceImpact is a percentage ('0.3366'); in basis points, rounded up."""
    if text is None or text.startswith("-"):
        return 0
    cut, more = _cut(text, 2)
    try:
        return parse_amount(cut, 2) + int(more)
    except ValueError:
        raise BadResponse("the aggregator's estimatedPriceImpact is not a number") from None


WHAT_TO_DO = "nothing was signed: use the built-in Uniswap route or another aggregator"


def _mismatch(why: str, reason: str) -> CalldataMismatch:
    return CalldataMismatch(
        f"the aggregator's calldata does not match its quote: {why}; {WHAT_TO_DO}",
        mismatch=why,
        reason=reason,
    )


def check_calldata(
    sell_token: str | None, buy_token: str | None, data: bytes, sell_amount: int, guaranteed: int
) -> None:
    """The trade the calldata asks the exchange for is the quote's, with an on-chain minimum
    no lower than the reviewed one (a higher one only makes the chain stricter). Checked when
    the quote arrives, and again right before signing (wallet/swap_checks.py). No tolerance:
    0x's API rounds a sell's guaranteedPrice down (ROUND_FLOOR in its getSwapQuotePrice) and
    `guaranteed` is cut down again, so an honest calldata minimum is never below it."""
    try:
        call = decode_exchange_call(data)
    except UnknownFunction as exc:
        raise CalldataUnreadable(
            f"{exc}, so it cannot show the minimum the chain would enforce; {WHAT_TO_DO}",
            reason="calldata_function",
        ) from None
    except BadResponse as exc:
        raise _mismatch(str(exc), "calldata_malformed") from None
    sell = checksum(sell_token or NATIVE_PLACEHOLDER)
    buy = checksum(buy_token or NATIVE_PLACEHOLDER)
    if (call.sell_token, call.buy_token) != (sell, buy):
        why = f"{call.function} trades {call.sell_token} for {call.buy_token}, not {sell} for {buy}"
        raise _mismatch(why, "calldata_token")
    if call.sell_amount != sell_amount:
        why = f"{call.function} sells {call.sell_amount}, not {sell_amount} (base units)"
        raise _mismatch(why, "calldata_amount")
    if call.min_buy_amount < guaranteed:
        why = (
            f"{call.function} enforces a minimum of {call.min_buy_amount}, below the "
            f"{guaranteed} reviewed (base units)"
        )
        raise _mismatch(why, "calldata_min")


class AggregatorProvider:
    name = "aggregator"

    def __init__(
        self,
        base_url: str,
        *,
        network: str,
        chain_id: int,
        exchange: str,
        api_key: str | None = None,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        """exchange: the one contract quotes may send to and take allowances for (0x's
        Exchange Proxy on mainnet); anything else is refused."""
        self.base_url = base_url.rstrip("/")
        self.network = network
        self.chain_id = chain_id
        self.exchange = checksum(exchange)
        headers = {"0x-api-key": api_key} if api_key else {}
        # trust_env=False: a quote API on 127.0.0.1 (tests, self-hosted) must not go via a proxy.
        self._client = httpx.AsyncClient(
            base_url=self.base_url, headers=headers, timeout=timeout, transport=transport,
            **{"trust_env": False, **httpx_proxy(self.base_url)},
        )  # fmt: skip

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _get(self, params: dict[str, str]) -> Any:
        try:
            reply = await self._client.get("/swap/v1/quote", params=params)
        except httpx.TimeoutException:
            raise AggregatorError(
                Said(
                    "swaps.aggregator.did_not_answer_time",
                    "{base_url} did not answer in time",
                    base_url=self.base_url,
                ),
                reason="timeout",
            ) from None
        except httpx.TransportError as exc:
            raise AggregatorError(
                Said(
                    "swaps.aggregator.cannot_reach",
                    "cannot reach {base_url}: {kind}",
                    base_url=self.base_url,
                    kind=type(exc).__name__,
                ),
                reason="unreachable",
            ) from None
        if reply.status_code == 400:
            try:
                body = reply.json()
            except ValueError:
                body = {}
            reasons = [
                str(e.get("reason", "")) for e in (body.get("validationErrors") or [])
                if isinstance(e, dict)
            ]  # fmt: skip
            if any("LIQUIDITY" in r for r in reasons):
                raise NoRoute("the aggregator found no liquidity for this trade")
            why = "; ".join(reasons) or str(body.get("reason", "invalid request"))
            raise AggregatorError(
                Said(
                    "swaps.aggregator.aggregator_refused_request",
                    "the aggregator refused the request: {reason}",
                    reason=why[:200],
                ),
                reason=why[:200],
            )
        if reply.status_code != 200:
            raise AggregatorError(
                Said(
                    "swaps.aggregator.answered_http",
                    "{base_url} answered HTTP {status_code}",
                    base_url=self.base_url,
                    status_code=reply.status_code,
                ),
                reason=f"HTTP {reply.status_code}",
            )
        try:
            return reply.json()
        except ValueError:
            raise BadResponse(f"{self.base_url} sent a reply that is not JSON") from None

    async def quote(self, request: QuoteRequest) -> Quote:
        sell = request.sell_token or NATIVE_PLACEHOLDER
        buy = request.buy_token or NATIVE_PLACEHOLDER
        raw = await self._get({
            "sellToken": sell,
            "buyToken": buy,
            "sellAmount": str(request.sell_amount),
            "takerAddress": checksum(request.taker),
            "slippagePercentage": _slippage_text(request.slippage_bps),
        })  # fmt: skip
        try:
            q = ZeroExQuote.model_validate(raw)
        except ValidationError as exc:
            where = ".".join(str(p) for p in exc.errors()[0]["loc"])
            raise BadResponse(f"the aggregator's quote is malformed at '{where}'") from None
        return self._checked(request, q)

    def _checked(self, request: QuoteRequest, q: ZeroExQuote) -> Quote:
        if q.chainId != self.chain_id:
            raise AggregatorError(
                Said(
                    "swaps.aggregator.quote_chain_not",
                    "the quote is for chain {chainId}, not {chain_id}",
                    chainId=q.chainId,
                    chain_id=self.chain_id,
                ),
                reason="chain",
            )
        sell_amount = _int(q.sellAmount, "sellAmount")
        buy_amount = _int(q.buyAmount, "buyAmount")
        protocol_fee = _int(q.protocolFee, "protocolFee")
        value = _int(q.value, "value")
        if sell_amount != request.sell_amount:
            raise AggregatorError(
                Said(
                    "swaps.aggregator.quote_sells_another_amount",
                    "the quote sells another amount than asked",
                ),
                reason="amount",
            )
        for asked, got in (
            (request.sell_token, q.sellTokenAddress),
            (request.buy_token, q.buyTokenAddress),
        ):
            expected = (asked or NATIVE_PLACEHOLDER).lower()
            if got.lower() != expected and not (asked is None and got.lower() == "eth"):
                raise AggregatorError(
                    Said(
                        "swaps.aggregator.quote_other_tokens_than",
                        "the quote is for other tokens than asked",
                    ),
                    reason="token",
                )
        if checksum(q.to) != self.exchange:
            raise AggregatorError(
                Said(
                    "swaps.aggregator.quote_sends_not_trusted",
                    "the quote sends to {to}, not the trusted {exchange}",
                    to=q.to,
                    exchange=self.exchange,
                ),
                reason="target",
            )
        if request.sell_token is not None and checksum(q.allowanceTarget) != self.exchange:
            raise AggregatorError(
                Said(
                    "swaps.aggregator.quote_wants_allowance_unknown",
                    "the quote wants an allowance for an unknown contract",
                ),
                reason="allowance",
            )
        expected_value = protocol_fee + (sell_amount if request.sell_token is None else 0)
        if value != expected_value:
            raise AggregatorError(
                Said(
                    "swaps.aggregator.quote_s_eth_value",
                    "the quote's ETH value does not match the trade",
                ),
                reason="value",
            )
        cut, _ = _cut(q.guaranteedPrice, PRICE_PLACES)
        try:
            price = parse_amount(cut, PRICE_PLACES)
        except ValueError:
            raise BadResponse("the aggregator's guaranteedPrice is not a number") from None
        guaranteed = (
            sell_amount
            * price
            * 10**request.buy_decimals
            // (10**PRICE_PLACES * 10**request.sell_decimals)
        )
        ours = min_out(buy_amount, request.slippage_bps)
        if guaranteed * BPS < ours * (BPS - ROUNDING_TOLERANCE_BPS) or guaranteed > buy_amount:
            raise AggregatorError(
                Said(
                    "swaps.aggregator.quote_s_guaranteed_minimum",
                    "the quote's guaranteed minimum does not match your slippage setting",
                ),
                reason="guaranteed",
            )
        fee_amount, fee_token = 0, request.buy_token
        for fee in (q.fees or {}).values():
            if fee is not None:
                fee_amount += _int(fee.feeAmount, "feeAmount")
                token = fee.feeToken
                fee_token = None if token.lower() == NATIVE_PLACEHOLDER.lower() else token
        gas = q.gas or q.estimatedGas
        try:
            data = bytes.fromhex(q.data.removeprefix("0x"))
        except ValueError:
            raise BadResponse("the aggregator's calldata is not hex") from None
        check_calldata(request.sell_token, request.buy_token, data, sell_amount, guaranteed)
        return Quote(
            provider=self.name, network=self.network,
            sell_token=request.sell_token, buy_token=request.buy_token,
            sell_amount=sell_amount, buy_amount=buy_amount, min_buy_amount=guaranteed,
            slippage_bps=request.slippage_bps, price_impact_bps=_impact_bps(q.estimatedPriceImpact),
            provider_fee=fee_amount, provider_fee_token=fee_token,
            provider_fee_bps=(fee_amount * BPS // buy_amount) if buy_amount and fee_amount else 0,
            native_fee=protocol_fee,
            route=(request.sell_token or NATIVE_PLACEHOLDER, request.buy_token or
                   NATIVE_PLACEHOLDER),
            sources=tuple(s.name for s in q.sources if s.proportion not in ("0", "0.0")),
            spender=None if request.sell_token is None else checksum(q.allowanceTarget),
            call=SwapCall(to=checksum(q.to), data=data, value=value),
            deadline=None, block=None, quoted_at=datetime.now(UTC),
            gas_estimate=_int(gas, "gas") if gas else None,
        )  # fmt: skip
