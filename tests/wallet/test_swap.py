"""The swap use-case on the real anvil devnet with Uniswap V2 from the npm artifacts: quote ->
review -> exact approval -> swap -> service fee -> history, checked against the chain."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from chains.evm import EvmBackend
from chains.models import Asset
from chains.networks import devnet as devnet_network
from chains.swaps.base import PriceMoved, erc20_allowance
from tests.fixtures.devnet import DEMO_DERIVATION_PATH, DEMO_MNEMONIC, Devnet
from wallet.pending import Outbox
from wallet.send import EvmSender
from wallet.store import Store
from wallet.swap import (
    UNLIMITED,
    HighImpactNotConfirmed,
    ServiceFee,
    SwapDraft,
    Swapper,
    SwapReverted,
    providers_for,
)

pytestmark = pytest.mark.devnet

OTHER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"  # anvil dev account 1 (unlocked)
FEE_TO = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"  # anvil dev account 2
ETHER = 10**18


@dataclass
class Env:
    devnet: Devnet
    backend: EvmBackend
    store: Store
    signer: Any
    eth: Asset
    dusd: Asset
    dgld: Asset

    def swapper(self, fee: ServiceFee | None = None) -> Swapper:
        net = self.backend.network
        sender = EvmSender(self.store, net, self.backend, [self.devnet.demo_address])
        return Swapper(self.store, net, self.backend, sender, providers_for(net, self.backend),
                       fee or ServiceFee(), poll=0.05, timeout=30)  # fmt: skip

    async def bal(self, asset: Asset, who: str | None = None) -> int:
        b = await self.backend.balances([who or self.devnet.demo_address], [asset])
        return b[0].amount

    async def review(self, sw: Swapper, sell: Asset, buy: Asset, amount: int, **kw: Any) -> Any:
        draft = SwapDraft(sell=sell, buy=buy, amount=amount, **kw)
        return await sw.review(draft, self.devnet.demo_address, DEMO_DERIVATION_PATH)

    def other_buys_dusd(self, wei: int) -> None:
        """Another account trades ETH -> DUSD on the same pool (moves the price)."""
        from chains.devnet.artifacts import load_artifact
        from chains.devnet.deploy import connect

        d = self.devnet.deployment
        w3 = connect(self.devnet.rpc_url)
        router = w3.eth.contract(address=d.router, abi=list(load_artifact("UniswapV2Router02").abi))
        deadline = w3.eth.get_block("latest")["timestamp"] + 600
        tx = router.functions.swapExactETHForTokens(
            0, [d.weth, d.token("DUSD").address], OTHER, deadline
        ).transact({"from": OTHER, "value": wei})
        assert w3.eth.wait_for_transaction_receipt(tx)["status"] == 1


def _asset(devnet: Devnet, symbol: str) -> Asset:
    t = devnet.deployment.token(symbol)
    return Asset(network="devnet", symbol=symbol, name=t.name, decimals=t.decimals,
                 contract=t.address)  # fmt: skip


@pytest.fixture
def signer() -> Iterator[Any]:
    from devices.emulator import SoftwareSigner

    s = SoftwareSigner.from_mnemonic(DEMO_MNEMONIC)
    yield s
    s.close()


@pytest.fixture
async def env(devnet_snapshot: Devnet, tmp_path: Path, signer: Any) -> AsyncIterator[Env]:
    backend = EvmBackend(devnet_network(devnet_snapshot.rpc_url), timeout=10)
    store = Store(tmp_path / "wallet.sqlite")
    yield Env(devnet_snapshot, backend, store, signer,
              Asset(network="devnet", symbol="ETH", name="Ether", decimals=18),
              _asset(devnet_snapshot, "DUSD"), _asset(devnet_snapshot, "DGLD"))  # fmt: skip
    await backend.aclose()
    store.close()


async def test_eth_to_token_receives_exactly_the_quote_and_fees_add_up(env: Env) -> None:
    sw = env.swapper()
    eth0, dusd0 = await env.bal(env.eth), await env.bal(env.dusd)
    review = await env.review(sw, env.eth, env.dusd, ETHER)
    q = review.quote
    assert q.route == (env.devnet.deployment.weth, env.dusd.contract)
    assert q.provider_fee == ETHER * 3 // 1000  # the pool keeps 0.3 % of the input
    assert review.approval_amount is None  # selling the coin needs no allowance
    assert review.service_fee == 0  # shown as 0 when the setting is 0
    assert q.min_buy_amount == q.buy_amount * 9950 // 10000
    record = await sw.execute(review, env.signer)
    assert record.state == "done"
    received = await env.bal(env.dusd) - dusd0
    assert received == q.buy_amount == record.received
    # The review's lines add up to what left the wallet: amount in + service fee + gas.
    spent = eth0 - await env.bal(env.eth)
    assert record.network_fee_paid is not None
    assert spent == review.amount_in + review.service_fee + record.network_fee_paid
    assert 0 < record.network_fee_paid <= review.network_fee_max
    assert [h.id for h in sw.history()] == [record.id]


async def test_token_swap_approves_exactly_and_collects_the_service_fee(env: Env) -> None:
    sw = env.swapper(ServiceFee(bps=30, recipient=FEE_TO))
    amount = 1_000 * 10**6  # 1,000 DUSD
    eth0, dusd0, dgld0 = [await env.bal(a) for a in (env.eth, env.dusd, env.dgld)]
    fee_to0 = await env.bal(env.dusd, FEE_TO)
    router = env.devnet.deployment.router
    review = await env.review(sw, env.dusd, env.dgld, amount)
    assert review.allowance == 0
    assert review.approval_amount == amount  # exact, not unlimited
    assert review.service_fee == amount * 30 // 10_000 == 3 * 10**6
    steps: list[str] = []
    approved: list[int] = []

    async def on_step(name: str, tx: str | None) -> None:
        steps.append(name)
        if name == "sign_swap":  # the approval is mined; the swap is not signed yet
            approved.append(
                await erc20_allowance(
                    env.backend, env.dusd.contract or "", env.devnet.demo_address, router
                )
            )

    record = await sw.execute(review, env.signer, on_step=on_step)
    assert steps == ["approve", "sign_swap", "swap_sent", "service_fee", "done"]
    assert approved == [amount]  # exactly the amount, checked on chain
    assert (
        await erc20_allowance(env.backend, env.dusd.contract or "", env.devnet.demo_address, router)
        == 0
    )  # the router took all of it: nothing left over
    assert await env.bal(env.dgld) - dgld0 == review.quote.buy_amount == record.received
    assert dusd0 - await env.bal(env.dusd) == review.amount_in + review.service_fee
    assert await env.bal(env.dusd, FEE_TO) - fee_to0 == review.service_fee  # its own transfer
    assert record.network_fee_paid == eth0 - await env.bal(env.eth)
    assert record.network_fee_paid <= review.network_fee_max
    assert record.approval_tx and record.swap_tx and record.fee_tx
    assert len({record.approval_tx, record.swap_tx, record.fee_tx}) == 3
    approvals = await sw.approvals(env.devnet.demo_address)
    assert [(a.token, a.spender, a.approved, a.current) for a in approvals] == [
        (env.dusd.contract, router, amount, 0)
    ]
    # The outbox says what each transaction was, in nonce order.
    kinds = dict(env.store.db.execute("SELECT tx_hash, kind FROM outbox").fetchall())
    assert [kinds[record.approval_tx], kinds[record.swap_tx], kinds[record.fee_tx]] == [
        "approve",
        "swap",
        "swap_fee",
    ]


async def test_price_moved_before_signing_is_refused_and_nothing_is_signed(env: Env) -> None:
    sw = env.swapper()
    review = await env.review(sw, env.eth, env.dusd, ETHER, slippage_bps=50)
    env.other_buys_dusd(5 * ETHER)  # about 5 % off the price: far beyond 0.5 %
    with pytest.raises(PriceMoved) as err:
        await sw.execute(review, env.signer)
    assert err.value.fresh_out < review.quote.min_buy_amount
    assert Outbox(env.store).entries("devnet") == []  # nothing signed, stored or sent
    assert sw.history() == []


async def test_trade_in_between_beyond_slippage_reverts_on_chain(env: Env) -> None:
    sw = env.swapper()
    eth0, dusd0 = await env.bal(env.eth), await env.bal(env.dusd)
    review = await env.review(sw, env.eth, env.dusd, ETHER, slippage_bps=50)

    def front_run(name: str, tx: str | None) -> None:
        if name == "sign_swap":  # after every check the wallet makes, before the swap is sent
            env.other_buys_dusd(5 * ETHER)

    with pytest.raises(SwapReverted) as err:
        await sw.execute(review, env.signer, on_step=front_run)
    assert err.value.reason == "slippage"
    assert err.value.code == "SWAP_REVERTED"
    assert "slippage" in str(err.value) and "only the network fee" in str(err.value)
    assert await env.bal(env.dusd) == dusd0  # no token arrived
    spent = eth0 - await env.bal(env.eth)
    assert spent == err.value.gas_paid > 0  # the ETH in was returned; gas was spent
    (record,) = sw.history()
    assert (record.state, record.error, record.network_fee_paid) == (
        "reverted",
        "slippage",
        err.value.gas_paid,
    )


async def test_high_price_impact_needs_an_explicit_confirmation(env: Env) -> None:
    sw = env.swapper()
    review = await env.review(sw, env.eth, env.dusd, 10 * ETHER, slippage_bps=100)
    # 10 ETH into a 100 ETH pool: about 9 % below the pool price (after its fee).
    assert 800 <= review.quote.price_impact_bps <= 1000
    assert review.needs_impact_confirmation
    with pytest.raises(HighImpactNotConfirmed):
        await sw.execute(review, env.signer)
    assert Outbox(env.store).entries("devnet") == []
    record = await sw.execute(review, env.signer, confirm_high_impact=True)
    assert record.state == "done" and record.received == review.quote.buy_amount


async def test_unlimited_approval_only_when_asked_and_revoke_sets_zero(env: Env) -> None:
    sw = env.swapper()
    router = env.devnet.deployment.router
    review = await env.review(sw, env.dgld, env.dusd, ETHER, unlimited_approval=True)
    assert review.unlimited and review.approval_amount == UNLIMITED
    await sw.execute(review, env.signer)
    token = env.dgld.contract or ""
    left = await erc20_allowance(env.backend, token, env.devnet.demo_address, router)
    assert left == UNLIMITED  # the token keeps an unlimited allowance whole: hence the warning
    entry = await sw.revoke(
        env.devnet.demo_address, DEMO_DERIVATION_PATH, token, router, env.signer
    )
    assert entry.state.value == "mined"
    assert await erc20_allowance(env.backend, token, env.devnet.demo_address, router) == 0
    (a,) = await sw.approvals(env.devnet.demo_address)
    assert (a.approved, a.current) == (0, 0)


async def test_token_to_eth_uses_the_coin_and_reads_what_arrived(env: Env) -> None:
    sw = env.swapper()
    eth0 = await env.bal(env.eth)
    review = await env.review(sw, env.dusd, env.eth, 300 * 10**6)
    record = await sw.execute(review, env.signer)
    assert record.received == review.quote.buy_amount
    assert record.network_fee_paid is not None
    assert await env.bal(env.eth) - eth0 == review.quote.buy_amount - record.network_fee_paid


async def test_execute_refuses_a_flagged_fee_without_the_users_word(env: Env) -> None:
    """The fee gate is in the use-case, not only in the CLI: a caller (the app's review before
    its second confirmation) that does not pass accept_high_fee gets a typed error, and the
    approval and swap are never signed."""
    import dataclasses

    from chains.fees import FeeConcern
    from wallet.swap import HighFeeNotAccepted

    sw = env.swapper()
    review = await env.review(sw, env.dusd, env.dgld, 10 * 10**6)
    assert review.fee_concerns == () and not review.high_fee  # anvil's honest fees
    flagged = dataclasses.replace(review, fee_concerns=(FeeConcern.HIGH,))
    nonce = await env.backend.nonces(env.devnet.demo_address)
    with pytest.raises(HighFeeNotAccepted):
        await sw.execute(flagged, env.signer)
    assert await env.backend.nonces(env.devnet.demo_address) == nonce
    assert sw.history() == []
    record = await sw.execute(flagged, env.signer, accept_high_fee=True)
    assert record.state == "done"
