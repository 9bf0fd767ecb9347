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
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from chains.errors import InsufficientFunds
from chains.evm import EvmBackend, TxRejected, checksum, erc20_approve_data, erc20_transfer_data
from chains.fees import FeeQuote, FeeTier
from chains.models import Asset, Network
from chains.swaps.base import (
    BPS,
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
from wallet.pending import OutboxEntry, TxState
from wallet.safety import check_approval
from wallet.send import NATIVE_TRANSFER_GAS, EvmSender, Review, SendDraft, gas_with_margin
from wallet.store import Store

DEFAULT_SLIPPAGE_BPS = 50  # 0.5 %
MAX_SLIPPAGE_BPS = 5_000
HIGH_IMPACT_BPS = 300  # above 3 % the user confirms a second time
QUOTE_TTL = timedelta(seconds=30)  # the review offers a refresh after this
UNLIMITED = 2**256 - 1
StepHook = Callable[[str, str | None], Awaitable[None] | None]


class WalletSwapError(SwapError):
    code = "SWAP"


class HighImpactNotConfirmed(WalletSwapError):
    code = "SWAP_HIGH_IMPACT"


class ServiceFeeUnset(WalletSwapError):
    code = "SWAP_FEE_ADDRESS"


class GasRose(WalletSwapError):
    """The swap needs more gas than reviewed: the network fee would be more than shown."""

    code = "SWAP_GAS_ROSE"


class SwapReverted(WalletSwapError):
    """Mined but reverted: the on-chain minimum or deadline stopped it. Only gas was spent."""

    code = "SWAP_REVERTED"

    def __init__(self, reason: str, tx_hash: str, gas_paid: int) -> None:
        text = {
            "slippage": "the price moved beyond your slippage before it was mined",
            "deadline": "it was mined after its deadline",
        }.get(reason, "the swap contract refused it")
        super().__init__(
            f"The swap reverted on chain: {text}. Nothing was swapped; only the network fee "
            f"({gas_paid} wei) was spent. Transaction {tx_hash}.",
            reason=reason, tx_hash=tx_hash, gas_paid=gas_paid,
        )  # fmt: skip
        self.reason, self.tx_hash, self.gas_paid = reason, tx_hash, gas_paid


class StepFailed(WalletSwapError):
    code = "SWAP_STEP_FAILED"


@dataclass(frozen=True)
class ServiceFee:
    bps: int = 0
    recipient: str | None = None  # where a non-zero fee goes; required when bps > 0


@dataclass(frozen=True)
class SwapDraft:
    sell: Asset
    buy: Asset
    amount: int  # base units of `sell` that go into the trade
    slippage_bps: int = DEFAULT_SLIPPAGE_BPS
    fee_tier: FeeTier | FeeQuote = FeeTier.NORMAL
    unlimited_approval: bool = False


@dataclass(frozen=True)
class SwapReview:
    """Everything the review shows, computed once; execute() does exactly this."""

    network: Network
    sender: str
    path: str
    draft: SwapDraft
    quote: Quote
    service_fee: int  # base units of the sold asset
    service_fee_bps: int
    service_fee_to: str | None
    fee: FeeQuote
    allowance: int  # what the spender may take now
    approval_amount: int | None  # None: no approval needed
    approval_gas: int
    swap_gas: int
    fee_transfer_gas: int
    quoted_at: datetime
    native_balance: int
    sell_balance: int

    @property
    def sell(self) -> Asset:
        return self.draft.sell

    @property
    def buy(self) -> Asset:
        return self.draft.buy

    @property
    def native(self) -> Asset:
        return self.network.native_asset

    @property
    def amount_in(self) -> int:
        return self.quote.sell_amount

    @property
    def provider_fee_asset(self) -> Asset | None:
        """The asset the provider's fee is counted in (its token; None in the quote: the
        native coin): the sold, bought or native asset, or None when it is none of them."""
        token = (self.quote.provider_fee_token or "").lower()
        for asset in (self.sell, self.buy, self.native):
            if (asset.contract or "").lower() == token:
                return asset
        return None

    @property
    def gas_total(self) -> int:
        return self.approval_gas + self.swap_gas + self.fee_transfer_gas

    @property
    def network_fee_likely(self) -> int:
        return self.fee.likely_cost(self.gas_total)

    @property
    def network_fee_max(self) -> int:
        return self.fee.max_cost(self.gas_total)

    @property
    def total_sell(self) -> int:
        """What leaves the wallet in the sold asset: amount in + service fee."""
        return self.amount_in + self.service_fee

    @property
    def rate(self) -> int:
        """Expected output for one whole unit of the sold asset, in the bought asset's units."""
        return self.quote.buy_amount * 10**self.sell.decimals // self.amount_in

    @property
    def needs_impact_confirmation(self) -> bool:
        return self.quote.price_impact_bps > HIGH_IMPACT_BPS

    @property
    def unlimited(self) -> bool:
        return self.approval_amount is not None and self.approval_amount >= UNLIMITED

    @property
    def expires_at(self) -> datetime:
        return self.quoted_at + QUOTE_TTL

    def expired(self, now: datetime | None = None) -> bool:
        return (now or datetime.now(UTC)) >= self.expires_at

    def cost_lines(self) -> tuple[tuple[str, int, Asset], ...]:
        """The lines that add up to what leaves the wallet (network fee at its maximum)."""
        return (
            ("amount_in", self.amount_in, self.sell),
            ("service_fee", self.service_fee, self.sell),
            ("network_fee", self.network_fee_max, self.native),
            *(
                (("provider_native_fee", self.quote.native_fee, self.native),)
                if self.quote.native_fee
                else ()
            ),
        )


@dataclass(frozen=True)
class SwapRecord:
    id: int
    network: str
    provider: str
    sell_symbol: str
    sell_decimals: int
    buy_symbol: str
    buy_decimals: int
    amount_in: int
    expected_out: int
    min_out: int
    service_fee: int
    provider_fee: int
    received: int | None
    network_fee_paid: int | None
    approval_tx: str | None
    swap_tx: str | None
    fee_tx: str | None
    state: str
    error: str | None
    created_at: str


@dataclass(frozen=True)
class Approval:
    token: str
    spender: str
    approved: int  # as recorded when granted
    current: int  # read from the chain now


def _now() -> str:
    return datetime.now(UTC).isoformat()


def service_fee_of(amount: int, bps: int) -> int:
    """Rounded up: a fee of 0.01 % on a tiny amount is one base unit, never silently zero."""
    return -(-amount * bps // BPS)


def providers_for(
    network: Network,
    backend: EvmBackend,
    *,
    aggregator_url: str | None = None,
    aggregator_key: str | None = None,
    aggregator_exchange: str | None = None,
) -> list[SwapProvider]:
    """The providers for a network: Uniswap V2 where it is deployed, and a 0x-style
    aggregator when the user configured one."""
    from chains.swaps.uniswap_v2 import DEPLOYMENTS, UniswapV2Provider

    out: list[SwapProvider] = []
    if network.id in DEPLOYMENTS:
        out.append(UniswapV2Provider(backend, DEPLOYMENTS[network.id]))
    if aggregator_url and network.evm_chain_id is not None:
        from chains.swaps.aggregator import AggregatorProvider

        out.append(AggregatorProvider(
            aggregator_url, network=network.id, chain_id=network.evm_chain_id,
            exchange=aggregator_exchange or ZEROEX_EXCHANGE_PROXY, api_key=aggregator_key,
        ))  # fmt: skip
    return out


ZEROEX_EXCHANGE_PROXY = "0xDef1C0ded9bec7F1a1670819833240f027b25EfF"


class Swapper:
    def __init__(
        self,
        store: Store,
        network: Network,
        backend: EvmBackend,
        sender: EvmSender,
        providers: Sequence[SwapProvider],
        service_fee: ServiceFee = ServiceFee(),
        *,
        poll: float = 1.0,
        timeout: float = 180.0,
    ) -> None:
        self.store = store
        self.db = store.db
        self.network = network
        self.backend = backend
        self.sender = sender
        self.providers = list(providers)
        self.service_fee = service_fee
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
        chosen = [p for p in self.providers if provider in (None, p.name)]
        if not chosen:
            raise SwapError(f"no swap provider on {self.network.name}")
        results = await asyncio.gather(*(p.quote(request) for p in chosen), return_exceptions=True)
        quotes = [r for r in results if isinstance(r, Quote)]
        if not quotes:
            err = next(r for r in results if isinstance(r, BaseException))
            raise err
        return max(quotes, key=lambda q: q.buy_amount)

    async def review(
        self, draft: SwapDraft, sender: str, path: str, *, provider: str | None = None
    ) -> SwapReview:
        if draft.sell.key == draft.buy.key:
            raise SwapError("pick two different assets")
        if not 0 <= draft.slippage_bps <= MAX_SLIPPAGE_BPS:
            raise SwapError(f"slippage must be between 0 and {MAX_SLIPPAGE_BPS // 100} %")
        if draft.amount <= 0:
            raise SwapError("the amount must be more than zero")
        fee_bps = self.service_fee.bps
        if fee_bps and not self.service_fee.recipient:
            raise ServiceFeeUnset(
                "a swap service fee is set but no address to pay it to: set "
                "swap_service_fee_address, or set swap_service_fee_bps to 0"
            )
        sender = checksum(sender)
        if self.sender.outbox.has_unsent(self.network.id):
            await self.sender.reconcile()
        quote = await self.best_quote(self._request(draft, sender), provider)
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
        allowance, approval_amount, approval_gas = 0, None, 0
        if sell.contract is not None and quote.spender is not None:
            allowance = await erc20_allowance(self.backend, sell.contract, sender, quote.spender)
            if allowance < quote.sell_amount:
                approval_amount = check_approval(
                    UNLIMITED if draft.unlimited_approval else quote.sell_amount,
                    allow_unlimited=draft.unlimited_approval,
                )
                approval_gas = gas_with_margin(
                    await self.backend.estimate_gas(
                        sender, sell.contract, 0, erc20_approve_data(quote.spender, approval_amount)
                    )
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
        )  # fmt: skip
        self._check_funds(review)
        return review

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
        on_step: StepHook | None = None,
    ) -> SwapRecord:
        """Approve (if needed), swap, collect the service fee; each step signed, stored,
        broadcast and mined before the next. Raises PriceMoved without signing anything when a
        fresh quote is below the reviewed minimum, and SwapReverted when the chain refused it."""
        if review.needs_impact_confirmation and not confirm_high_impact:
            raise HighImpactNotConfirmed(
                f"price impact {review.quote.price_impact_bps / 100:.2f} % is above "
                f"{HIGH_IMPACT_BPS // 100} %: confirm it explicitly"
            )
        if review.expired():
            raise QuoteExpired("the quote expired: refresh it and review again")
        fresh = await self.best_quote(
            self._request(review.draft, review.sender), review.quote.provider
        )
        if fresh.buy_amount < review.quote.min_buy_amount:
            raise PriceMoved(fresh.buy_amount, review.quote.min_buy_amount)
        swap_id = self._start(review)

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
                    self._update(swap_id, approval_tx=entry.tx_hash)
                    paid.append(entry.tx_hash)
                    entry = await self._settle(entry)
                    if entry.state is not TxState.MINED:
                        raise StepFailed(f"the approval did not go through ({entry.state})")
                    self._record_approval(
                        review.sender,
                        review.sell.contract,
                        quote.spender,
                        review.approval_amount,
                        entry.tx_hash,
                    )
                self._update(swap_id, state="approved")
            gas = await self._estimate_swap(review.sender, quote)
            if gas > review.swap_gas:
                if review.approval_amount is None:
                    raise GasRose(f"the swap now needs {gas} gas, {review.swap_gas} reviewed")
                gas = max(gas, review.swap_gas)  # first estimate was a default: keep the real one
                if gas * review.fee.max_fee_per_gas > review.native_balance:
                    raise GasRose("the swap needs more gas than the account can pay")
            else:
                gas = review.swap_gas
            _check_call(review)
            await step("sign_swap")
            entry = await self._send_call(
                review, signer, quote.call.to, quote.call.value, quote.call.data, gas, kind="swap"
            )
            self._update(swap_id, swap_tx=entry.tx_hash, state="sent")
            paid.append(entry.tx_hash)
            await step("swap_sent", entry.tx_hash)
            entry = await self._settle(entry)
            if entry.state is TxState.FAILED:
                gas_paid = await self._gas_paid(paid)
                reason = await self._revert_reason(review, entry)
                err = SwapReverted(reason, entry.tx_hash, gas_paid)
                self._update(
                    swap_id, state="reverted", network_fee_paid=str(gas_paid), error=reason
                )
                raise err
            if entry.state is not TxState.MINED:
                raise StepFailed(f"the swap transaction was {entry.state}")
            logs = await receipt_logs(self.backend, entry.tx_hash)
            received = received_from_logs(
                logs, buy_token=review.buy.contract, taker=review.sender, weth=_weth(quote)
            )
            self._update(swap_id, received=None if received is None else str(received))
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
                self._update(swap_id, fee_tx=fee_entry.tx_hash)
                paid.append(fee_entry.tx_hash)
                fee_entry = await self._settle(fee_entry)
                if fee_entry.state is not TxState.MINED:
                    raise StepFailed(f"the service fee transfer was {fee_entry.state}")
            gas_paid = await self._gas_paid(paid)
            self._update(swap_id, state="done", network_fee_paid=str(gas_paid))
            await step("done", entry.tx_hash)
        except SwapReverted:
            raise
        except BaseException as exc:
            state = "failed" if not paid else None
            self._update(swap_id, state=state, error=type(exc).__name__)
            raise
        return self.record(swap_id)

    async def _send_call(
        self,
        review: SwapReview | _Shell,
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
                f"{entry.tx_hash} is not mined after {int(self.timeout)} s; it stays in the "
                "outbox and is tracked. Review the swap again once it settles."
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

    # -- store -------------------------------------------------------------------------------

    def _start(self, r: SwapReview) -> int:
        q, now = r.quote, _now()
        with self.db:
            cur = self.db.execute(
                "INSERT INTO swaps(network, sender, provider, sell_asset, sell_symbol, "
                "sell_decimals, buy_asset, buy_symbol, buy_decimals, amount_in, expected_out, "
                "min_out, deadline, slippage_bps, price_impact_bps, provider_fee, service_fee, "
                "service_fee_bps, service_fee_to, state, created_at, updated_at) "
                "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'started', ?, ?)",
                (self.network.id, r.sender, q.provider, r.sell.key, r.sell.symbol,
                 r.sell.decimals, r.buy.key, r.buy.symbol, r.buy.decimals, str(q.sell_amount),
                 str(q.buy_amount), str(q.min_buy_amount), q.deadline, q.slippage_bps,
                 q.price_impact_bps, str(q.provider_fee), str(r.service_fee), r.service_fee_bps,
                 r.service_fee_to, now, now),
            )  # fmt: skip
        return int(cur.lastrowid or 0)

    def _update(self, swap_id: int, *, state: str | None = None, **fields: str | None) -> None:
        sets = ["updated_at = ?"]
        values: list[Any] = [_now()]
        if state is not None:
            sets.append("state = ?")
            values.append(state)
        for k, v in fields.items():
            sets.append(f"{k} = ?")
            values.append(v)
        # Column names come from this module's keyword arguments, never from input.
        with self.db:
            self.db.execute(
                f"UPDATE swaps SET {', '.join(sets)} WHERE id = ?",  # noqa: S608
                (*values, swap_id),
            )

    def _record_approval(self, owner: str, token: str, spender: str, amount: int, tx: str) -> None:
        with self.db:
            self.db.execute(
                "INSERT INTO swap_approvals(network, owner, token, spender, amount, tx_hash, "
                "updated_at) VALUES(?, ?, ?, ?, ?, ?, ?) ON CONFLICT(network, owner, token, "
                "spender) DO UPDATE SET amount = excluded.amount, tx_hash = excluded.tx_hash, "
                "updated_at = excluded.updated_at",
                (
                    self.network.id,
                    owner,
                    checksum(token),
                    checksum(spender),
                    str(amount),
                    tx,
                    _now(),
                ),
            )

    def record(self, swap_id: int) -> SwapRecord:
        row = self.db.execute("SELECT * FROM swaps WHERE id = ?", (swap_id,)).fetchone()
        return _record(row)

    def history(self) -> list[SwapRecord]:
        rows = self.db.execute(
            "SELECT * FROM swaps WHERE network = ? ORDER BY id DESC", (self.network.id,)
        ).fetchall()
        return [_record(r) for r in rows]

    # -- approvals ---------------------------------------------------------------------------

    async def approvals(self, owner: str) -> list[Approval]:
        """Allowances this wallet granted, with what the chain says each is worth now."""
        rows = self.db.execute(
            "SELECT token, spender, amount FROM swap_approvals WHERE network = ? AND owner = ? "
            "ORDER BY updated_at DESC",
            (self.network.id, checksum(owner)),
        ).fetchall()
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
        shell = _Shell(self.network, owner, path, fee, balances[0].amount)
        entry = await self._send_call(shell, signer, token, 0, data, gas, kind="revoke")
        entry = await self._settle(entry)
        if entry.state is TxState.MINED:
            self._record_approval(owner, token, spender, 0, entry.tx_hash)
        return entry


@dataclass(frozen=True)
class _Shell:
    """The fields of a SwapReview that _send_call reads, for transactions that are not swaps."""

    network: Network
    sender: str
    path: str
    fee: FeeQuote
    native_balance: int


def _weth(quote: Quote) -> str | None:
    if quote.buy_token is None and quote.provider == "uniswap_v2" and quote.route:
        return quote.route[-1]
    return None


def _check_call(review: SwapReview) -> None:
    """For Uniswap V2, the calldata about to be signed carries the reviewed minimum, deadline,
    amount and the wallet's own address as recipient (aggregator calldata is opaque; its
    minimum is checked in the quote)."""
    q = review.quote
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
        raise SwapError("the swap transaction does not match the review; nothing was signed")


def _record(r: Any) -> SwapRecord:
    def opt(v: Any) -> int | None:
        return None if v is None else int(v)

    return SwapRecord(
        id=int(r["id"]), network=r["network"], provider=r["provider"],
        sell_symbol=r["sell_symbol"], sell_decimals=int(r["sell_decimals"]),
        buy_symbol=r["buy_symbol"], buy_decimals=int(r["buy_decimals"]),
        amount_in=int(r["amount_in"]), expected_out=int(r["expected_out"]),
        min_out=int(r["min_out"]), service_fee=int(r["service_fee"]),
        provider_fee=int(r["provider_fee"]), received=opt(r["received"]),
        network_fee_paid=opt(r["network_fee_paid"]), approval_tx=r["approval_tx"],
        swap_tx=r["swap_tx"], fee_tx=r["fee_tx"], state=r["state"], error=r["error"],
        created_at=r["created_at"],
    )  # fmt: skip


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
    )
    return Swapper(session.store, session.network, session.backend, session.sender(),
                   providers, fee, **kw)  # fmt: skip
