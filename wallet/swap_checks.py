"""What a swap is checked against before anything is signed, apart from the quote itself:
the calldata against the review, the tokens' decimals and symbols against the list or the
user's first confirmation, and the network fee against evidence other than the fee history
it came from (the same bound as a payment: chains/fees.py fee_concerns)."""

from __future__ import annotations

from chains.evm import EvmBackend
from chains.fees import FeeConcern, FeeQuote, fee_concerns
from chains.models import Asset
from chains.swaps.base import Quote, SwapError
from said import Said
from wallet.store import Store
from wallet.swap_models import SwapReview
from wallet.token_trust import FirstUse, check_against_node, first_use_of


def weth_of(quote: Quote) -> str | None:
    if quote.buy_token is None and quote.provider == "uniswap_v2" and quote.route:
        return quote.route[-1]
    return None


def check_call(review: SwapReview) -> None:
    """The calldata about to be signed carries the reviewed trade. Uniswap V2: the minimum,
    deadline, amount and the wallet's own address as recipient. The aggregator: the tokens,
    amount and at least the reviewed minimum, decoded from 0x's functions (they pay
    msg.sender, the wallet; chains/swaps/aggregator_calldata.py), as when the quote came."""
    q = review.quote
    if q.provider == "aggregator":
        from chains.swaps.aggregator import check_calldata

        check_calldata(q.sell_token, q.buy_token, q.call.data, q.sell_amount, q.min_buy_amount)
        return
    if q.provider != "uniswap_v2":
        return
    from chains.swaps.uniswap_v2 import decode_swap_call

    args = decode_swap_call(q.call.data)
    ok = (
        args["min_out"] == q.min_buy_amount and args["min_out"] > 0
        and args["deadline"] == q.deadline and args["to"] == review.sender
        and args["amount_in"] in (None, q.sell_amount)
        and (q.call.value == q.sell_amount if args["amount_in"] is None else q.call.value == 0)
    )  # fmt: skip
    if not ok:
        raise SwapError(
            Said(
                "swap_checks.swap_transaction_does_not",
                "the swap transaction does not match the review; nothing was signed",
            )
        )


async def check_tokens(
    store: Store, backend: EvmBackend, assets: tuple[Asset, ...]
) -> tuple[FirstUse, ...]:
    """TokenChanged when the node's decimals or symbol of a token differ from what the wallet
    holds as true (an amount in base units would mean something else than reviewed); else the
    tokens used for the first time, which the review names."""
    firsts: list[FirstUse] = []
    for asset in assets:
        await check_against_node(store, backend, asset)
        first = first_use_of(store, asset)
        if first is not None:
            firsts.append(first)
    return tuple(firsts)


async def fee_bound(
    backend: EvmBackend, fee: FeeQuote, gas: int, *, network: str, native_sold: int | None
) -> tuple[FeeConcern, ...]:
    """The payment's fee bound over a swap's total gas: the network's typical range, the
    latest block's own base fee, and (selling the native coin) the amount sold."""
    block_base = await backend.latest_base_fee()
    return fee_concerns(fee, gas, network=network, block_base_fee=block_base, value=native_sold)
