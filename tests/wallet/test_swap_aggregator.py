"""Aggregator swaps executed on anvil, and USDT-style approvals, through the wallet's Swapper.

The quote comes over HTTP from a local API in 0x's /swap/v1/quote shape; its calldata calls a
LocalExchangeProxy deployed on the devnet, which pulls the sold token with transferFrom and pays
the bought one from its own inventory, refusing less than the quote's minimum on chain. The
sold token is either a standard ERC-20 (the demo's DUSD) or UsdtLikeToken, which, like Tether
USD, reverts approve() from one non-zero allowance to another; one test sells it on a Uniswap V2
pool instead (the reset is the wallet's, whatever the spender). Contracts and API:
tests/fixtures/swap_contracts.py (compiled from tests/fixtures/contracts/*.sol with npm solc).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from chains.devnet.deploy import connect
from chains.evm import EvmBackend
from chains.models import Asset
from chains.networks import devnet as devnet_network
from chains.swaps.aggregator import AggregatorProvider
from chains.swaps.base import AggregatorError, PriceMoved, erc20_allowance
from tests.fixtures.devnet import DEMO_DERIVATION_PATH, DEMO_MNEMONIC, Devnet
from tests.fixtures.swap_contracts import (
    APPROVE_ABI,
    DUSD_ETH_RATE,
    ETHER,
    RATE_ONE,
    USDT_RATE,
    ZeroExQuoteApi,
    deploy_exchange,
    set_rate,
    stale_allowance,
)
from wallet.send import EvmSender
from wallet.store import Store
from wallet.swap import SwapDraft, Swapper, SwapReverted

pytestmark = pytest.mark.devnet


@dataclass
class Env:
    devnet: Devnet
    w3: Any
    backend: EvmBackend
    store: Store
    signer: Any
    api: ZeroExQuoteApi
    usdt: Asset
    dusd: Asset
    eth: Asset

    @property
    def proxy(self) -> str:
        return str(self.api.proxy.address)

    @property
    def me(self) -> str:
        return self.devnet.demo_address

    def swapper(self, exchange: str | None = None) -> Swapper:
        net = self.backend.network
        assert net.evm_chain_id is not None
        provider = AggregatorProvider(self.api.url, network=net.id, chain_id=net.evm_chain_id,
                                      exchange=exchange or self.proxy, timeout=10)  # fmt: skip
        sender = EvmSender(self.store, net, self.backend, [self.me])
        return Swapper(self.store, net, self.backend, sender, [provider], poll=0.05, timeout=30)

    async def bal(self, asset: Asset, who: str | None = None) -> int:
        return (await self.backend.balances([who or self.me], [asset]))[0].amount

    async def review(self, sw: Swapper, sell: Asset, buy: Asset, amount: int) -> Any:
        draft = SwapDraft(sell=sell, buy=buy, amount=amount, slippage_bps=100)
        return await sw.review(draft, self.me, DEMO_DERIVATION_PATH)

    def stale_allowance(self, token: Asset, amount: int) -> None:
        self.stale_allowance_to(token, self.proxy, amount)

    def stale_allowance_to(self, token: Asset, spender: str, amount: int) -> None:
        stale_allowance(self.w3, self.devnet.rpc, self.me, token.contract or "", spender, amount)

    def set_rate(self, sell: Asset, buy: Asset, rate: int) -> None:
        set_rate(self.w3, self.api.proxy, sell.contract, buy.contract, rate)


@pytest.fixture
def signer() -> Iterator[Any]:
    from devices.emulator import SoftwareSigner

    s = SoftwareSigner.from_mnemonic(DEMO_MNEMONIC)
    yield s
    s.close()


@pytest.fixture
async def env(devnet_snapshot: Devnet, tmp_path: Path, signer: Any) -> AsyncIterator[Env]:
    d = devnet_snapshot
    w3 = connect(d.rpc_url)
    dusd = d.deployment.token("DUSD").address
    usdt, proxy = deploy_exchange(w3, d.demo_address, dusd)
    backend = EvmBackend(devnet_network(d.rpc_url), timeout=10)
    store = Store(tmp_path / "wallet.sqlite")
    assert backend.network.evm_chain_id is not None
    api = ZeroExQuoteApi(proxy, backend.network.evm_chain_id)
    with api.serve():
        e = Env(d, w3, backend, store, signer, api,
                Asset(network="devnet", symbol="USDT", name="Tether USD (test)", decimals=6,
                      contract=usdt.address),
                Asset(network="devnet", symbol="DUSD", name="Demo Dollar", decimals=6,
                      contract=dusd),
                Asset(network="devnet", symbol="ETH", name="Ether", decimals=18))  # fmt: skip
        yield e
    await backend.aclose()
    store.close()


async def test_usdt_with_a_stale_allowance_resets_it_then_approves_exactly(env: Env) -> None:
    amount = 1_000 * 10**6
    env.stale_allowance(env.usdt, 7 * 10**6)  # non-zero, not enough
    sw = env.swapper()
    usdt0, dusd0, eth0 = [await env.bal(a) for a in (env.usdt, env.dusd, env.eth)]
    review = await env.review(sw, env.usdt, env.dusd, amount)
    assert review.allowance == 7 * 10**6
    assert review.resets_allowance and review.approval_amount == amount  # exact
    fees = review.approval_fees()
    assert [a for a, _ in fees] == [0, amount]  # approve(0), then approve(exact)
    assert all(f > 0 for _, f in fees)
    assert sum(f for _, f in fees) + review.fee.max_cost(review.swap_gas) == review.network_fee_max
    assert review.quote.spender == env.proxy and review.quote.call.to == env.proxy
    steps: list[str] = []
    seen: list[int] = []

    async def on_step(name: str, tx: str | None) -> None:
        steps.append(name)
        if name in ("approve", "sign_swap"):
            seen.append(await erc20_allowance(env.backend, env.usdt.contract or "", env.me,
                                              env.proxy))  # fmt: skip

    record = await sw.execute(review, env.signer, on_step=on_step)
    assert steps == ["approve_reset", "approve", "sign_swap", "swap_sent", "done"]
    assert seen == [0, amount]  # reset mined before the approval; exact before the swap
    assert record.state == "done"
    assert await erc20_allowance(env.backend, env.usdt.contract or "", env.me, env.proxy) == 0
    assert usdt0 - await env.bal(env.usdt) == amount
    assert await env.bal(env.dusd) - dusd0 == review.quote.buy_amount == record.received
    assert review.quote.buy_amount == amount * USDT_RATE // RATE_ONE
    # Three transactions paid for: reset, approval, swap; all within the reviewed maximum.
    kinds = [k for (k,) in env.store.db.execute("SELECT kind FROM outbox ORDER BY nonce")]
    assert kinds == ["approve", "approve", "swap"]
    assert record.network_fee_paid == eth0 - await env.bal(env.eth)
    assert 0 < record.network_fee_paid <= review.network_fee_max
    approvals = await sw.approvals(env.me)
    assert [(a.approved, a.current) for a in approvals] == [(amount, 0)]


async def test_standard_token_with_a_stale_allowance_gets_a_single_approve(env: Env) -> None:
    amount = 300 * 10**6
    env.stale_allowance(env.dusd, 5 * 10**6)
    sw = env.swapper()
    eth0, dusd0 = await env.bal(env.eth), await env.bal(env.dusd)
    review = await env.review(sw, env.dusd, env.eth, amount)
    assert review.allowance == 5 * 10**6 and not review.resets_allowance
    assert [a for a, _ in review.approval_fees()] == [amount]
    steps: list[str] = []
    record = await sw.execute(review, env.signer, on_step=lambda n, _: steps.append(n))  # type: ignore[func-returns-value]
    assert steps == ["approve", "sign_swap", "swap_sent", "done"]
    assert dusd0 - await env.bal(env.dusd) == amount
    expected = amount * DUSD_ETH_RATE // RATE_ONE
    assert review.quote.buy_amount == expected
    # The coin arrived from the proxy; what left is only the network fee.
    assert await env.bal(env.eth) - eth0 == expected - (record.network_fee_paid or 0)
    assert env.api.requests[-1]["takerAddress"] == [env.me]


async def test_selling_the_coin_sends_the_reviewed_value_and_needs_no_approval(env: Env) -> None:
    sw = env.swapper()
    dusd0 = await env.bal(env.dusd)
    review = await env.review(sw, env.eth, env.dusd, ETHER // 10)
    assert review.approval_amount is None and review.quote.call.value == ETHER // 10
    await sw.execute(review, env.signer)
    assert await env.bal(env.dusd) - dusd0 == review.quote.buy_amount == 300 * 10**6


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        (lambda b: b.update(to="0x000000000000000000000000000000000000dEaD"), "target"),
        (lambda b: b.update(chainId=b["chainId"] + 1), "chain"),
        (lambda b: b.update(allowanceTarget="0x000000000000000000000000000000000000dEaD"),
         "allowance"),
    ],
)  # fmt: skip
async def test_a_quote_that_disagrees_with_the_configured_proxy_or_chain_is_refused(
    env: Env, tamper: Any, reason: str
) -> None:
    env.api.tamper = tamper
    sw = env.swapper()
    with pytest.raises(AggregatorError) as err:
        await env.review(sw, env.usdt, env.dusd, 10**6)
    assert err.value.details.get("reason") == reason
    assert env.store.db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == 0


def _unknown_function(body: dict[str, Any]) -> None:
    """The same trade through a function the wallet does not read (the fixture's old custom
    sellToToken): the JSON is honest, the calldata opaque."""
    from eth_abi import encode

    from chains.swaps.aggregator_calldata import selector

    args = [body["sellTokenAddress"], body["buyTokenAddress"], int(body["sellAmount"]), 0]
    data = selector("sellToToken(address,address,uint256,uint256)") + encode(
        ["address", "address", "uint256", "uint256"], args
    )
    body["data"] = "0x" + data.hex()


@pytest.mark.parametrize("function", ["transformERC20", "sellToUniswap"])
@pytest.mark.parametrize(
    ("tamper_call", "tamper", "reason"),
    [
        (lambda a: a.update(min_buy=0), None, "calldata_min"),  # sandwich bait
        (lambda a: a.update(min_buy=a["min_buy"] - 1), None, "calldata_min"),
        (lambda a: a.update(amount=a["amount"] * 2), None, "calldata_amount"),
        (lambda a: a.update(buy="0xEeeeeEeeeEeEeeEeEeEeeEEEeeeeEeeeeeeeEEeE"), None,
         "calldata_token"),
        (None, _unknown_function, "calldata_function"),
    ],
    ids=["min-zero", "min-one-less", "other-amount", "other-token", "unknown-function"],
)  # fmt: skip
async def test_calldata_that_is_not_the_reviewed_trade_is_never_signed(
    env: Env, function: str, tamper_call: Any, tamper: Any, reason: str
) -> None:
    """The quote's JSON passes every check; only the calldata (what would be signed) lies.
    Nothing is signed or sent: the nonce, the balances and the allowance stay as they were."""
    env.api.function, env.api.tamper_call, env.api.tamper = function, tamper_call, tamper
    sw = env.swapper()
    nonce0 = env.w3.eth.get_transaction_count(env.me)
    before = [await env.bal(a) for a in (env.usdt, env.dusd, env.eth)]
    with pytest.raises(AggregatorError) as err:
        await env.review(sw, env.usdt, env.dusd, 10 * 10**6)
    assert err.value.details.get("reason") == reason
    assert "Uniswap route or another aggregator" in str(err.value)
    assert env.store.db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == 0
    assert env.w3.eth.get_transaction_count(env.me) == nonce0
    assert [await env.bal(a) for a in (env.usdt, env.dusd, env.eth)] == before
    assert await erc20_allowance(env.backend, env.usdt.contract or "", env.me, env.proxy) == 0


async def test_calldata_changed_after_the_review_is_refused_right_before_signing(
    env: Env,
) -> None:
    """Defence in depth (wallet/swap_checks.py check_call): the calldata about to be signed is
    decoded again against the review, whatever happened to the quote object since."""
    import dataclasses

    from chains.swaps.aggregator_calldata import decode_exchange_call

    sw = env.swapper()
    review = await env.review(sw, env.eth, env.dusd, ETHER // 10)
    q = review.quote
    c = decode_exchange_call(q.call.data)
    data = env.api.calldata({"sell": c.sell_token, "buy": c.buy_token, "amount": c.sell_amount,
                             "min_buy": 0})  # fmt: skip
    call = q.call.model_copy(update={"data": bytes.fromhex(data[2:])})
    bad = dataclasses.replace(review, quote=q.model_copy(update={"call": call}))
    nonce0, dusd0 = env.w3.eth.get_transaction_count(env.me), await env.bal(env.dusd)
    with pytest.raises(AggregatorError) as err:
        await sw.execute(bad, env.signer)
    assert err.value.details.get("reason") == "calldata_min"
    assert env.w3.eth.get_transaction_count(env.me) == nonce0
    assert await env.bal(env.dusd) == dusd0
    assert env.store.db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == 0


async def test_an_honest_sell_to_uniswap_quote_executes(env: Env) -> None:
    env.api.function = "sellToUniswap"
    sw = env.swapper()
    amount = 50 * 10**6
    usdt0, dusd0 = await env.bal(env.usdt), await env.bal(env.dusd)
    review = await env.review(sw, env.usdt, env.dusd, amount)
    assert review.quote.call.data[:4].hex() == "d9627aa4"
    record = await sw.execute(review, env.signer)
    assert record.state == "done"
    assert usdt0 - await env.bal(env.usdt) == amount
    assert await env.bal(env.dusd) - dusd0 == review.quote.buy_amount == record.received


async def test_a_proxy_other_than_the_configured_one_is_refused(env: Env) -> None:
    sw = env.swapper(exchange="0xDef1C0ded9bec7F1a1670819833240f027b25EfF")  # 0x's mainnet one
    with pytest.raises(AggregatorError):
        await env.review(sw, env.usdt, env.dusd, 10**6)


async def test_rate_worse_before_signing_is_refused_and_nothing_is_signed(env: Env) -> None:
    sw = env.swapper()
    review = await env.review(sw, env.usdt, env.dusd, 10 * 10**6)
    env.set_rate(env.usdt, env.dusd, USDT_RATE * 90 // 100)
    with pytest.raises(PriceMoved):
        await sw.execute(review, env.signer)
    assert env.store.db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == 0


@pytest.mark.parametrize("function", ["transformERC20", "sellToUniswap"])
async def test_the_proxy_enforces_the_minimum_on_chain(env: Env, function: str) -> None:
    """The reviewed minimum is the one in the signed calldata, so the chain holds to it."""
    env.api.function = function
    sw = env.swapper()
    amount = 10 * 10**6
    usdt0 = await env.bal(env.usdt)
    review = await env.review(sw, env.usdt, env.dusd, amount)

    def worse(name: str, tx: str | None) -> None:
        if name == "sign_swap":  # approved; the rate falls before the swap is mined
            env.set_rate(env.usdt, env.dusd, USDT_RATE * 90 // 100)

    with pytest.raises(SwapReverted):
        await sw.execute(review, env.signer, on_step=worse)
    assert await env.bal(env.usdt) == usdt0  # nothing sold
    # 90 % of the quote is below the reviewed minimum (99 %), which is the calldata's.
    from chains.swaps.aggregator_calldata import decode_exchange_call

    signed = decode_exchange_call(review.quote.call.data)
    assert (
        signed.min_buy_amount
        == review.quote.min_buy_amount
        > amount * USDT_RATE * 90 // (100 * RATE_ONE)
    )


async def test_the_fixture_token_refuses_a_change_between_non_zero_allowances(env: Env) -> None:
    """What the wallet relies on to tell a USDT-style token apart: the node's simulation."""
    from chains.evm import TxRejected, erc20_approve_data

    token = env.usdt.contract or ""
    env.stale_allowance(env.usdt, 1)
    with pytest.raises(TxRejected):
        await env.backend.estimate_gas(env.me, token, 0, erc20_approve_data(env.proxy, 2))
    assert await env.backend.estimate_gas(env.me, token, 0, erc20_approve_data(env.proxy, 0)) > 0
    # DUSD, a standard ERC-20, takes the same change.
    env.stale_allowance(env.dusd, 1)
    dusd = env.dusd.contract or ""
    assert await env.backend.estimate_gas(env.me, dusd, 0, erc20_approve_data(env.proxy, 2)) > 0


async def test_an_allowance_that_changed_since_the_review_stops_before_signing(env: Env) -> None:
    from wallet.swap import StepFailed

    sw = env.swapper()
    review = await env.review(sw, env.usdt, env.dusd, 10 * 10**6)
    assert review.allowance == 0 and not review.resets_allowance
    env.stale_allowance(env.usdt, 1)  # granted elsewhere after the review
    with pytest.raises(StepFailed):
        await sw.execute(review, env.signer)
    assert env.store.db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == 0


async def test_usdt_on_uniswap_resets_a_stale_router_allowance_too(env: Env) -> None:
    """The same two approvals when Uniswap V2 (npm artifacts) is the spender: the reset is the
    wallet's, not the aggregator's."""
    from wallet.swap import providers_for

    d = env.devnet.deployment
    _usdt_dusd_pool(env)
    env.stale_allowance_to(env.usdt, d.router, 4 * 10**6)
    net = env.backend.network
    sender = EvmSender(env.store, net, env.backend, [env.me])
    sw = Swapper(env.store, net, env.backend, sender, providers_for(net, env.backend),
                 poll=0.05, timeout=30)  # fmt: skip
    usdt0, dusd0 = await env.bal(env.usdt), await env.bal(env.dusd)
    review = await env.review(sw, env.usdt, env.dusd, 20 * 10**6)
    assert review.quote.provider == "uniswap_v2" and review.quote.spender == d.router
    assert review.resets_allowance and [a for a, _ in review.approval_fees()] == [0, 20 * 10**6]
    steps: list[str] = []
    record = await sw.execute(review, env.signer, on_step=lambda n, _: steps.append(n))  # type: ignore[func-returns-value]
    assert steps == ["approve_reset", "approve", "sign_swap", "swap_sent", "done"]
    assert usdt0 - await env.bal(env.usdt) == 20 * 10**6
    assert await env.bal(env.dusd) - dusd0 == review.quote.buy_amount == record.received
    assert await erc20_allowance(env.backend, env.usdt.contract or "", env.me, d.router) == 0


def _usdt_dusd_pool(env: Env) -> None:
    """A USDT/DUSD Uniswap V2 pool at 1:1 (npm artifacts), from the deployer."""
    from chains.devnet.artifacts import load_artifact
    from tests.fixtures.swap_contracts import mined

    d, w3 = env.devnet.deployment, env.w3
    owner = w3.eth.accounts[0]
    router = w3.eth.contract(address=d.router, abi=list(load_artifact("UniswapV2Router02").abi))
    for token in (env.usdt, env.dusd):
        c = w3.eth.contract(address=token.contract, abi=APPROVE_ABI)
        mined(w3, c.functions.approve(d.router, 10**12).transact({"from": owner}))
    deadline = w3.eth.get_block("latest")["timestamp"] + 600
    mined(w3, router.functions.addLiquidity(
        env.usdt.contract, env.dusd.contract, 10**11, 10**11, 0, 0, owner, deadline,
    ).transact({"from": owner}))  # fmt: skip


async def test_an_aggregator_refused_beside_uniswap_is_named_in_the_review(
    env: Env, capsys: pytest.CaptureFixture[str]
) -> None:
    """The aggregator's calldata lies (minimum 0) while Uniswap V2 quotes honestly: the review
    is Uniswap's, and it says the aggregator's quote was refused and why (app and CLI), rather
    than dropping the refusal in silence."""
    from tui.commands.swap import _print, review_dict
    from wallet.swap import QuoteRefused, providers_for

    _usdt_dusd_pool(env)
    env.api.tamper_call = lambda a: a.update(min_buy=0)
    net = env.backend.network
    sender = EvmSender(env.store, net, env.backend, [env.me])
    aggregator = env.swapper().providers[0]
    sw = Swapper(env.store, net, env.backend, sender,
                 [*providers_for(net, env.backend), aggregator], poll=0.05, timeout=30)  # fmt: skip
    review = await env.review(sw, env.usdt, env.dusd, 10 * 10**6)
    assert review.quote.provider == "uniswap_v2"
    assert [type(r) for r in review.refused] == [QuoteRefused]
    (refusal,) = review.refused
    assert refusal.provider == aggregator.name
    assert isinstance(refusal.error, AggregatorError)
    assert refusal.error.details.get("reason") == "calldata_min"
    d = review_dict(review)
    assert [r["provider"] for r in d["refused"]] == [aggregator.name]
    _print(d)
    err = capsys.readouterr().err
    assert f"WARNING: {aggregator.name} offered a quote that was refused:" in err
    assert "uniswap_v2's quote" in err
