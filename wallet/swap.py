"""Swapping: quote -> review (every fee) -> exact approval if needed -> swap with amountOutMin
and a deadline -> stored before broadcast -> tracked -> history of what was paid.

Every transaction goes through wallet/send.py's EvmSender (sign on the active signer, verify
the signed bytes, store in the outbox, broadcast, reconcile), so nonces, crash safety and
re-broadcast are the same as for a payment. The outbox rows of a swap carry kind 'send' (the
only new-transaction kind its schema has) with the wallet's own address as recipient; the
swap itself is described in the `swaps` table.

The service fee, when the setting is above zero, is collected as its own plain transfer of the
sold asset to the configured fee address, after the swap succeeded: the user sees it as a line
in the review and as a separate transaction on chain, and pays nothing if the swap fails.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence
from typing import Any

from chains.errors import InsufficientFunds
from chains.evm import EvmBackend, TxRejected, checksum, erc20_approve_data, erc20_transfer_data
from chains.fees import FeeQuote, FeeTier
from chains.models import Network
from chains.swaps.base import (
    NoRoute,
    PriceMoved,
    Quote,
    QuoteExpired,
    QuoteRequest,
    SwapError,
    SwapProvider,
    block_timestamp,
    erc20_allowance,
    receipt_logs,
    received_from_logs,
)
from devices.models import EvmTx
from said import Said
from wallet.node_check import check_nodes
from wallet.pending import OutboxEntry, TxState
from wallet.safety import check_approval
from wallet.send import NATIVE_TRANSFER_GAS, EvmSender, Review, SendDraft, gas_with_margin
from wallet.store import Store
from wallet.swap_checks import check_call, check_tokens, fee_bound, weth_of
from wallet.swap_log import SwapLog

# The models and errors live in wallet/swap_models.py; importers keep using wallet.swap.
from wallet.swap_models import (  # noqa: F401 (re-exported)
    APPROVE_AFTER_RESET_GAS,
    DEFAULT_SLIPPAGE_BPS,
    HIGH_IMPACT_BPS,
    MAX_SLIPPAGE_BPS,
    QUOTE_TTL,
    UNLIMITED,
    Approval,
    GasRose,
    HighFeeNotAccepted,
    HighImpactNotConfirmed,
    QuoteRefused,
    ServiceFee,
    ServiceFeeUnset,
    StepFailed,
    StepHook,
    SwapDraft,
    SwapRecord,
    SwapReverted,
    SwapReview,
    TxShell,
    WalletSwapError,
    service_fee_of,
)
from wallet.swap_providers import ZEROEX_EXCHANGE_PROXY, providers_for  # noqa: F401
from wallet.token_trust import remember


class Swapper:
    def __init__(
        self,
        store: Store,
        network: Network,
        backend: EvmBackend,
        sender: EvmSender,
        providers: Sequence[SwapProvider],
        service_fee: ServiceFee | None = None,
        *,
        poll: float = 1.0,
        timeout: float = 180.0,
    ) -> None:
        self.store = store
        self.db = store.db
        self.log = SwapLog(store, network.id)
        self.network = network
        self.backend = backend
        self.sender = sender
        self.providers = list(providers)
        self.service_fee = service_fee or ServiceFee()
        self.poll = poll
        self.timeout = timeout

    async def aclose(self) -> None:
        for p in self.providers:
            await p.aclose()

    # -- quote and review --------------------------------------------------------------------

    def _request(self, draft: SwapDraft, sender: str) -> QuoteRequest:
        return QuoteRequest(
            sell_token=draft.sell.contract, buy_token=draft.buy.contract,
            sell_amount=draft.amount, slippage_bps=draft.slippage_bps, taker=sender,
            sell_decimals=draft.sell.decimals, buy_decimals=draft.buy.decimals,
        )  # fmt: skip

    async def best_quote(self, request: QuoteRequest, provider: str | None = None) -> Quote:
        return (await self._quotes(request, provider))[0]

    async def _quotes(
        self, request: QuoteRequest, provider: str | None
    ) -> tuple[Quote, tuple[QuoteRefused, ...]]:
        """The best quote, and the providers that refused (not those without a route)."""
        chosen = [p for p in self.providers if provider in (None, p.name)]
        if not chosen:
            raise SwapError(
                Said("swap.no_swap_provider", "no swap provider on {name}", name=self.network.name)
            )
        results = await asyncio.gather(*(p.quote(request) for p in chosen), return_exceptions=True)
        quotes = [r for r in results if isinstance(r, Quote)]
        refused = tuple(
            QuoteRefused(p.name, r)
            for p, r in zip(chosen, results, strict=True)
            if isinstance(r, Exception) and not isinstance(r, NoRoute)
        )
        if not quotes:
            errors = [r for r in results if isinstance(r, BaseException)]
            # One provider's "no route" says less than another's refusal (an aggregator's
            # calldata that does not match its quote): the user reads the refusal.
            raise next((e for e in errors if not isinstance(e, NoRoute)), errors[0])
        return max(quotes, key=lambda q: q.buy_amount), refused

    async def review(
        self, draft: SwapDraft, sender: str, path: str, *, provider: str | None = None
    ) -> SwapReview:
        if draft.sell.key == draft.buy.key:
            raise SwapError(Said("swap.pick_two_different_assets", "pick two different assets"))
        if not 0 <= draft.slippage_bps <= MAX_SLIPPAGE_BPS:
            raise SwapError(
                Said(
                    "swap.slippage_must_between_0",
                    "slippage must be between 0 and {max_percent} %",
                    max_percent=MAX_SLIPPAGE_BPS // 100,
                )
            )
        if draft.amount <= 0:
            raise SwapError(Said("swap.amount_must_more_than", "the amount must be more than zero"))
        fee_bps = self.service_fee.bps
        if fee_bps and not self.service_fee.recipient:
            raise ServiceFeeUnset(
                Said(
                    "swap.swap_service_fee_set",
                    "a swap service fee is set but no address to pay it to: set "
                    "swap_service_fee_address, or set swap_service_fee_bps to 0",
                )
            )
        sender = checksum(sender)
        # Several RPC URLs configured: they must agree on the chain and the latest block.
        nodes = await check_nodes(self.backend)
        if self.sender.outbox.has_unsent(self.network.id):
            await self.sender.reconcile()
        # A token's decimals decide what its amounts mean: the node must agree with the list
        # or the user's first confirmation, as for a payment (wallet/send.py TokenChanged).
        first_use = await check_tokens(self.store, self.backend, (draft.sell, draft.buy))
        quote, refused = await self._quotes(self._request(draft, sender), provider)
        service_fee = service_fee_of(quote.sell_amount, fee_bps)
        native = self.network.native_asset
        sell = draft.sell
        balances = await self.backend.balances(
            [sender], [native] if sell.contract is None else [native, sell]
        )
        native_balance, sell_balance = balances[0].amount, balances[-1].amount
        fee = (
            draft.fee_tier
            if isinstance(draft.fee_tier, FeeQuote)
            else ((await self.backend.fee_options()).get(draft.fee_tier))
        )
        allowance, approval_amount, approval_gas, reset_gas = 0, None, 0, 0
        if sell.contract is not None and quote.spender is not None:
            allowance = await erc20_allowance(self.backend, sell.contract, sender, quote.spender)
            if allowance < quote.sell_amount:
                approval_amount = check_approval(
                    UNLIMITED if draft.unlimited_approval else quote.sell_amount,
                    allow_unlimited=draft.unlimited_approval,
                )
                approval_gas, reset_gas = await self._approval_gas(
                    sender, sell.contract, quote.spender, allowance, approval_amount
                )
        if approval_amount is None and sell_balance >= quote.sell_amount:
            swap_gas = await self._estimate_swap(sender, quote)
        else:  # the node cannot simulate a swap without the allowance (or the funds)
            swap_gas = gas_with_margin(quote.gas_estimate or 200_000)
        fee_gas = 0
        if service_fee:
            assert self.service_fee.recipient is not None
            fee_gas = (
                NATIVE_TRANSFER_GAS
                if sell.contract is None
                else gas_with_margin(
                    await self.backend.estimate_gas(
                        sender,
                        sell.contract,
                        0,
                        erc20_transfer_data(
                            self.service_fee.recipient, min(service_fee, sell_balance)
                        ),
                    )
                )
            )
        review = SwapReview(
            network=self.network, sender=sender, path=path, draft=draft, quote=quote,
            service_fee=service_fee, service_fee_bps=fee_bps,
            service_fee_to=self.service_fee.recipient if service_fee else None, fee=fee,
            allowance=allowance, approval_amount=approval_amount, approval_gas=approval_gas,
            swap_gas=swap_gas, fee_transfer_gas=fee_gas, quoted_at=quote.quoted_at,
            native_balance=native_balance, sell_balance=sell_balance,
            nodes=nodes.nodes, first_use=first_use, approval_reset_gas=reset_gas, refused=refused,
        )  # fmt: skip
        concerns = await fee_bound(
            self.backend, fee, review.gas_total, network=self.network.id,
            native_sold=review.total_sell if sell.contract is None else None,
        )  # fmt: skip
        review = dataclasses.replace(review, fee_concerns=concerns)
        self._check_funds(review)
        return review

    async def _approval_gas(
        self, sender: str, token: str, spender: str, allowance: int, amount: int
    ) -> tuple[int, int]:
        """(gas of approve(amount), gas of an approve(0) that must come first or 0).

        A token like Tether USD reverts approve() from one non-zero allowance to another (its
        guard against the ERC-20 approve race). The node's simulation shows it: approve(amount)
        fails while approve(0) goes through, and only then is a stale allowance reset first.
        A standard ERC-20 keeps the single approve, whatever its current allowance."""
        try:
            gas = await self.backend.estimate_gas(
                sender, token, 0, erc20_approve_data(spender, amount)
            )
            return gas_with_margin(gas), 0
        except TxRejected:
            if allowance == 0:
                raise
        reset = await self.backend.estimate_gas(sender, token, 0, erc20_approve_data(spender, 0))
        return gas_with_margin(APPROVE_AFTER_RESET_GAS), gas_with_margin(reset)

    def _check_funds(self, r: SwapReview) -> None:
        native_need = (
            r.network_fee_max
            + r.quote.call.value
            + (r.service_fee if r.sell.contract is None else 0)
        )
        if r.sell.contract is not None and r.total_sell > r.sell_balance:
            raise InsufficientFunds(r.total_sell, r.sell_balance, r.sell.symbol)
        if native_need > r.native_balance:
            raise InsufficientFunds(native_need, r.native_balance, self.network.native_symbol)

    async def _estimate_swap(self, sender: str, quote: Quote) -> int:
        try:
            return gas_with_margin(
                await self.backend.estimate_gas(
                    sender, quote.call.to, quote.call.value, quote.call.data
                )
            )
        except TxRejected:
            raise PriceMoved(0, quote.min_buy_amount) from None

    # -- execute -----------------------------------------------------------------------------

    async def execute(
        self,
        review: SwapReview,
        signer: Any,
        *,
        confirm_high_impact: bool = False,
        accept_high_fee: bool = False,
        on_step: StepHook | None = None,
    ) -> SwapRecord:
        """Approve (if needed), swap, collect the service fee; each step signed, stored,
        broadcast and mined before the next. Raises PriceMoved without signing anything when a
        fresh quote is below the reviewed minimum, and SwapReverted when the chain refused it."""
        if review.needs_impact_confirmation and not confirm_high_impact:
            raise HighImpactNotConfirmed(
                Said(
                    "swap.price_impact_above_confirm",
                    "price impact {impact} % is above {high_percent} %: confirm it explicitly",
                    impact=format(review.quote.price_impact_bps / 100, ".2f"),
                    high_percent=HIGH_IMPACT_BPS // 100,
                )
            )
        if review.high_fee and not accept_high_fee:
            raise HighFeeNotAccepted(
                Said(
                    "swap.network_fee_far_above",
                    "the network fee is far above this network's usual range or "
                    "what its latest block shows (the node may be lying or "
                    "broken): nothing was signed. Check it, try another RPC URL, "
                    "or accept that fee explicitly",
                )
            )
        if review.expired():
            raise QuoteExpired(
                Said(
                    "swap.quote_expired_refresh_review",
                    "the quote expired: refresh it and review again",
                )
            )
        # Checked again right before signing: the review may have sat on screen a while.
        await check_tokens(self.store, self.backend, (review.sell, review.buy))
        fresh = await self.best_quote(
            self._request(review.draft, review.sender), review.quote.provider
        )
        if fresh.buy_amount < review.quote.min_buy_amount:
            raise PriceMoved(fresh.buy_amount, review.quote.min_buy_amount)
        for first in review.first_use:
            remember(self.store, first)  # confirmed as reviewed: these decimals from now on
        swap_id = self.log.start(review)

        async def step(name: str, tx: str | None = None) -> None:
            if on_step is not None:
                result = on_step(name, tx)
                if result is not None:
                    await result

        paid: list[str] = []
        try:
            quote = review.quote
            if review.approval_amount is not None:
                assert review.sell.contract is not None and quote.spender is not None
                current = await erc20_allowance(
                    self.backend, review.sell.contract, review.sender, quote.spender
                )
                if current < quote.sell_amount:
                    if current and current != review.allowance and not review.resets_allowance:
                        # Another allowance appeared since the review: a USDT-style token would
                        # refuse the approval as reviewed. Nothing signed yet.
                        raise StepFailed(
                            Said(
                                "swap.allowance_changed_since_review",
                                "the allowance changed since the review; review the swap again",
                            )
                        )
                    if current and review.resets_allowance:
                        await step("approve_reset")
                        reset = await self._send_call(
                            review, signer, review.sell.contract, 0,
                            erc20_approve_data(quote.spender, 0), review.approval_reset_gas,
                            kind="approve",
                        )  # fmt: skip
                        paid.append(reset.tx_hash)
                        reset = await self._settle(reset)
                        if reset.state is not TxState.MINED:
                            raise StepFailed(
                                Said(
                                    "swap.allowance_reset_did_not",
                                    "the allowance reset did not go through ({state})",
                                    state=reset.state,
                                )
                            )
                        self.log.record_approval(
                            review.sender, review.sell.contract, quote.spender, 0, reset.tx_hash
                        )
                        gas = gas_with_margin(await self.backend.estimate_gas(
                            review.sender, review.sell.contract, 0,
                            erc20_approve_data(quote.spender, review.approval_amount),
                        ))  # fmt: skip
                        if gas > review.approval_gas:
                            raise GasRose(
                                Said(
                                    "swap.approval_now_needs_gas",
                                    "the approval now needs {gas} gas, {approval_gas} reviewed; "
                                    "the allowance stays at 0",
                                    gas=gas,
                                    approval_gas=review.approval_gas,
                                )
                            )
                    await step("approve")
                    entry = await self._send_call(
                        review,
                        signer,
                        review.sell.contract,
                        0,
                        erc20_approve_data(quote.spender, review.approval_amount),
                        review.approval_gas,
                        kind="approve",
                    )
                    self.log.update(swap_id, approval_tx=entry.tx_hash)
                    paid.append(entry.tx_hash)
                    entry = await self._settle(entry)
                    if entry.state is not TxState.MINED:
                        raise StepFailed(
                            Said(
                                "swap.approval_did_not_go",
                                "the approval did not go through ({state})",
                                state=entry.state,
                            )
                        )
                    self.log.record_approval(
                        review.sender,
                        review.sell.contract,
                        quote.spender,
                        review.approval_amount,
                        entry.tx_hash,
                    )
                self.log.update(swap_id, state="approved")
            gas = await self._estimate_swap(review.sender, quote)
            if gas > review.swap_gas:
                if review.approval_amount is None:
                    raise GasRose(
                        Said(
                            "swap.swap_now_needs_gas",
                            "the swap now needs {gas} gas, {swap_gas} reviewed",
                            gas=gas,
                            swap_gas=review.swap_gas,
                        )
                    )
                gas = max(gas, review.swap_gas)  # first estimate was a default: keep the real one
                if gas * review.fee.max_fee_per_gas > review.native_balance:
                    raise GasRose(
                        Said(
                            "swap.swap_needs_more_gas",
                            "the swap needs more gas than the account can pay",
                        )
                    )
            else:
                gas = review.swap_gas
            check_call(review)
            await step("sign_swap")
            entry = await self._send_call(
                review, signer, quote.call.to, quote.call.value, quote.call.data, gas, kind="swap"
            )
            self.log.update(swap_id, swap_tx=entry.tx_hash, state="sent")
            paid.append(entry.tx_hash)
            await step("swap_sent", entry.tx_hash)
            entry = await self._settle(entry)
            if entry.state is TxState.FAILED:
                gas_paid = await self._gas_paid(paid)
                reason = await self._revert_reason(review, entry)
                err = SwapReverted(reason, entry.tx_hash, gas_paid)
                self.log.update(
                    swap_id, state="reverted", network_fee_paid=str(gas_paid), error=reason
                )
                raise err
            if entry.state is not TxState.MINED:
                raise StepFailed(
                    Said(
                        "swap.swap_transaction_was",
                        "the swap transaction was {state}",
                        state=entry.state,
                    )
                )
            logs = await receipt_logs(self.backend, entry.tx_hash)
            received = received_from_logs(
                logs, buy_token=review.buy.contract, taker=review.sender, weth=weth_of(quote)
            )
            self.log.update(swap_id, received=None if received is None else str(received))
            if review.service_fee:
                assert review.service_fee_to is not None
                await step("service_fee")
                fee_review = await self.sender.prepare(
                    SendDraft(
                        recipient=review.service_fee_to,
                        amount=review.service_fee,
                        asset=review.sell,
                        fee=review.fee,
                    ),
                    review.sender,
                    review.path,
                )
                fee_review = dataclasses.replace(fee_review, kind="swap_fee")
                fee_entry = await self.sender.sign_and_send(fee_review, signer)
                self.log.update(swap_id, fee_tx=fee_entry.tx_hash)
                paid.append(fee_entry.tx_hash)
                fee_entry = await self._settle(fee_entry)
                if fee_entry.state is not TxState.MINED:
                    raise StepFailed(
                        Said(
                            "swap.service_fee_transfer_was",
                            "the service fee transfer was {state}",
                            state=fee_entry.state,
                        )
                    )
            gas_paid = await self._gas_paid(paid)
            self.log.update(swap_id, state="done", network_fee_paid=str(gas_paid))
            await step("done", entry.tx_hash)
        except SwapReverted:
            raise
        except BaseException as exc:
            state = "failed" if not paid else None
            self.log.update(swap_id, state=state, error=type(exc).__name__)
            raise
        return self.record(swap_id)

    async def _send_call(
        self,
        review: SwapReview | TxShell,
        signer: Any,
        to: str,
        value: int,
        data: bytes,
        gas: int,
        *,
        kind: str,
    ) -> OutboxEntry:
        """One contract call through the payment path: sign, verify, store, broadcast."""
        nonce = await self.sender.outbox.next_nonce(self.backend, self.network.id, review.sender)
        assert self.network.evm_chain_id is not None
        tx = EvmTx(
            chain_id=self.network.evm_chain_id,
            nonce=nonce,
            gas=gas,
            to=checksum(to),
            value=value,
            data=data,
            max_fee_per_gas=review.fee.max_fee_per_gas,
            max_priority_fee_per_gas=review.fee.max_priority_fee_per_gas,
        )
        carrier = Review(
            network=self.network, sender=review.sender, path=review.path,
            recipient=review.sender, asset=self.network.native_asset, amount=value, fee=review.fee,
            gas=gas, nonce=nonce, tx=tx, native_balance=review.native_balance,
            asset_balance=review.native_balance, warnings=(), kind=kind,
        )  # fmt: skip
        return await self.sender.sign_and_send(carrier, signer)

    async def _settle(self, entry: OutboxEntry) -> OutboxEntry:
        entry = await self.sender.wait(entry, timeout=self.timeout, poll=self.poll)
        if entry.open:
            raise StepFailed(
                Said(
                    "swap.not_mined_after_s",
                    "{tx_hash} is not mined after {timeout} s; it stays "
                    "in the outbox and is tracked. Review the swap again once it "
                    "settles.",
                    tx_hash=entry.tx_hash,
                    timeout=int(self.timeout),
                )
            )
        return entry

    async def _gas_paid(self, hashes: Sequence[str]) -> int:
        receipts = await self.backend.receipts(list(hashes))
        return sum(r.gas_used * r.effective_gas_price for r in receipts.values() if r)

    async def _revert_reason(self, review: SwapReview, entry: OutboxEntry) -> str:
        deadline = review.quote.deadline
        if deadline is not None and entry.block is not None:
            if await block_timestamp(self.backend, entry.block) > deadline:
                return "deadline"
        return "slippage"

    # -- store -----------------------------------------------------------------------------

    def record(self, swap_id: int) -> SwapRecord:
        return self.log.record(swap_id)

    def history(self) -> list[SwapRecord]:
        return self.log.history()

    # -- approvals ---------------------------------------------------------------------------

    async def approvals(self, owner: str) -> list[Approval]:
        """Allowances this wallet granted, with what the chain says each is worth now."""
        rows = self.log.approvals(owner)
        current = await asyncio.gather(
            *(erc20_allowance(self.backend, r["token"], owner, r["spender"]) for r in rows)
        )
        return [
            Approval(r["token"], r["spender"], int(r["amount"]), c)
            for r, c in zip(rows, current, strict=True)
        ]

    async def revoke(
        self,
        owner: str,
        path: str,
        token: str,
        spender: str,
        signer: Any,
        fee_tier: FeeTier = FeeTier.NORMAL,
    ) -> OutboxEntry:
        """approve(spender, 0): the spender can take nothing more."""
        owner = checksum(owner)
        fee = (await self.backend.fee_options()).get(fee_tier)
        data = erc20_approve_data(spender, 0)
        gas = gas_with_margin(await self.backend.estimate_gas(owner, token, 0, data))
        balances = await self.backend.balances([owner], [self.network.native_asset])
        if gas * fee.max_fee_per_gas > balances[0].amount:
            raise InsufficientFunds(
                gas * fee.max_fee_per_gas, balances[0].amount, self.network.native_symbol
            )
        shell = TxShell(self.network, owner, path, fee, balances[0].amount)
        entry = await self._send_call(shell, signer, token, 0, data, gas, kind="revoke")
        entry = await self._settle(entry)
        if entry.state is TxState.MINED:
            self.log.record_approval(owner, token, spender, 0, entry.tx_hash)
        return entry


def _secret(value: Any) -> str | None:
    return value.get_secret_value() if hasattr(value, "get_secret_value") else value


def swapper_for(session: Any, settings: Any = None, **kw: Any) -> Swapper:
    """The session's swapper, configured from Settings (service fee and its address, the
    aggregator's URL and key); without a fee address a non-zero fee refuses to quote rather
    than being skipped."""
    bps = int(getattr(settings, "swap_service_fee_bps", 0) or 0)
    fee = ServiceFee(bps, getattr(settings, "swap_service_fee_address", None))
    providers = providers_for(
        session.network,
        session.backend,
        aggregator_url=getattr(settings, "swap_aggregator_url", None),
        aggregator_key=_secret(getattr(settings, "swap_aggregator_key", None)),
        aggregator_exchange=getattr(settings, "swap_aggregator_exchange", None),
    )
    return Swapper(session.store, session.network, session.backend, session.sender(),
                   providers, fee, **kw)  # fmt: skip
