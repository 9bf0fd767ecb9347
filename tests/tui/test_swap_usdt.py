"""The swap review in the app for a USDT-style token with a stale allowance, quoted by a local
0x-style API and executed on anvil by a LocalExchangeProxy (tests/fixtures/swap_contracts.py):
both approval transactions are listed with their fees before ctrl+s signs them."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Static

from chains.devnet.deploy import connect
from tests.fixtures.devnet import DEMO_DERIVATION_PATH, Devnet
from tests.fixtures.swap_contracts import ZeroExQuoteApi, deploy_exchange, stale_allowance
from tui.app import make_app
from tui.screens.swap_review import SwapReviewScreen
from tui.screenshots import settle
from tui.services import AttachedDemoServices
from tui.swap_text import money
from wallet.settings import Settings
from wallet.swap import SwapDraft, swapper_for

pytestmark = pytest.mark.devnet


def _text(app: object, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())  # type: ignore[attr-defined]


@pytest.mark.parametrize("language", ["en", "zh-CN"])
async def test_review_lists_the_reset_and_the_exact_approval_then_swaps(
    devnet_snapshot: Devnet, tmp_path: Path, language: str
) -> None:
    d = devnet_snapshot
    w3 = connect(d.rpc_url)
    dusd = d.deployment.token("DUSD").address
    usdt, proxy = deploy_exchange(w3, d.demo_address, dusd)
    stale_allowance(w3, d.rpc, d.demo_address, usdt.address, proxy.address, 2 * 10**6)
    services = AttachedDemoServices(d.deployment, d.demo_address, tmp_path)
    app = make_app(Settings(language=language), services)
    with ZeroExQuoteApi(proxy, w3.eth.chain_id).serve() as api:
        async with app.run_test(size=(110, 50)) as pilot:
            await settle(pilot)
            session = app.session  # type: ignore[attr-defined]
            settings = Settings(swap_aggregator_url=api.url, swap_aggregator_exchange=proxy.address)
            swapper = swapper_for(session, settings, poll=0.05)
            from tui.cli_wallet import asset_for

            (sell, _), (buy, _) = (
                await asset_for(session, usdt.address),
                await asset_for(session, dusd),
            )
            review = await swapper.review(
                SwapDraft(sell=sell, buy=buy, amount=50 * 10**6, slippage_bps=100),
                d.demo_address, DEMO_DERIVATION_PATH,
            )  # fmt: skip
            app.push_screen(SwapReviewScreen(review, swapper))
            await settle(pilot)
            reset, approval = (
                _text(app, "#swap-review-approval-reset"),
                _text(app, "#swap-review-approval"),
            )
            (_, reset_fee), (_, fee) = review.approval_fees()
            if language == "en":
                assert reset.startswith("1. This token (like USDT) refuses") and "2 USDT" in reset
                assert approval.startswith("2. Then the approval") and "50 USDT" in approval
            else:
                assert reset.startswith("1. 此代币（如 USDT）") and "2 USDT" in reset
                assert approval.startswith("2. 然后授权") and "50 USDT" in approval
            assert proxy.address in approval
            # Each line names its own fee, as approval_fees() computes it from the reviewed gas.
            assert money(reset_fee, review.native, 18) in reset
            assert money(fee, review.native, 18) in approval and reset_fee != fee
            await pilot.press("ctrl+s")
            for _ in range(200):
                await pilot.pause(0.05)
                if app.screen.result is not None:  # type: ignore[attr-defined]
                    break
            record = app.screen.result  # type: ignore[attr-defined]
            assert getattr(record, "state", record) == "done", record
            await swapper.aclose()
    assert usdt.functions.balanceOf(d.demo_address).call() == 4_950 * 10**6
    assert usdt.functions.allowance(d.demo_address, proxy.address).call() == 0


@pytest.mark.parametrize("language", ["en", "zh-CN"])
async def test_the_review_names_an_aggregator_whose_quote_was_refused(
    devnet_snapshot: Devnet, tmp_path: Path, language: str
) -> None:
    """DUSD -> ETH: the demo's Uniswap V2 pool quotes honestly, the aggregator's calldata lies
    (minimum 0). The review is Uniswap's and says, in the user's language, that the
    aggregator's quote was refused and why."""
    d = devnet_snapshot
    w3 = connect(d.rpc_url)
    dusd = d.deployment.token("DUSD").address
    _, proxy = deploy_exchange(w3, d.demo_address, dusd)
    services = AttachedDemoServices(d.deployment, d.demo_address, tmp_path)
    app = make_app(Settings(language=language), services)
    api = ZeroExQuoteApi(proxy, w3.eth.chain_id, tamper_call=lambda a: a.update(min_buy=0))
    with api.serve():
        async with app.run_test(size=(110, 50)) as pilot:
            await settle(pilot)
            session = app.session  # type: ignore[attr-defined]
            settings = Settings(swap_aggregator_url=api.url, swap_aggregator_exchange=proxy.address)
            swapper = swapper_for(session, settings, poll=0.05)
            from tui.cli_wallet import asset_for

            (sell, _), (buy, _) = await asset_for(session, dusd), await asset_for(session, "ETH")
            review = await swapper.review(
                SwapDraft(sell=sell, buy=buy, amount=30 * 10**6, slippage_bps=100),
                d.demo_address, DEMO_DERIVATION_PATH,
            )  # fmt: skip
            assert review.quote.provider == "uniswap_v2"
            app.push_screen(SwapReviewScreen(review, swapper))
            await settle(pilot)
            note = _text(app, ".swap-review-refused")
            await swapper.aclose()
    if language == "en":
        assert note.startswith("aggregator offered a quote that was refused:")
        assert note.endswith("This review shows uniswap_v2's quote instead.")
    else:
        assert note.startswith("aggregator 的报价被拒绝：") and "uniswap_v2 的报价" in note
