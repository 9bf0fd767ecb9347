"""What a swap is made of: the draft the user asks for, the review computed once from it (every
fee, the checks' findings, the nodes that answered), the stored record, and the swap errors.
wallet/swap.py computes and executes them; this module holds no I/O."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from chains.fees import FeeConcern, FeeQuote, FeeTier
from chains.models import Asset, Network
from chains.swaps.base import BPS, Quote, SwapError
from wallet.token_trust import FirstUse

DEFAULT_SLIPPAGE_BPS = 50  # 0.5 %
MAX_SLIPPAGE_BPS = 5_000
HIGH_IMPACT_BPS = 300  # above 3 % the user confirms a second time
QUOTE_TTL = timedelta(seconds=30)  # the review offers a refresh after this
UNLIMITED = 2**256 - 1
# Gas reviewed for approve(exact) after an approve(0) reset: the node cannot simulate it before
# the reset is mined (the token refuses it until then). Tether's approve from a zero allowance
# uses about 46,000; the figure after the reset is estimated again, and a higher one is refused.
APPROVE_AFTER_RESET_GAS = 60_000
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


class HighFeeNotAccepted(WalletSwapError):
    """The review flagged the network fee as far above the evidence, and the caller did not
    pass the user's explicit acceptance: nothing is signed."""

    code = "SWAP_HIGH_FEE"


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
class QuoteRefused:
    """A provider that answered with a refusal rather than "no route" (an aggregator whose
    calldata differed from its own quote, a malformed answer): the review says so, since the
    quote it shows is then another provider's."""

    provider: str
    error: BaseException


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
    approval_gas: int  # the approve(amount) transaction
    swap_gas: int
    fee_transfer_gas: int
    quoted_at: datetime
    native_balance: int
    sell_balance: int
    # What is wrong with the network fee (chains.fees.fee_concerns: the network's typical range,
    # the latest block's own base fee, the amount sold). HIGH needs the user's explicit word.
    fee_concerns: tuple[FeeConcern, ...] = ()
    # The RPC URL(s) the figures came from; with more than one configured, those that agreed
    # on the chain id and the latest block (wallet/node_check.py).
    nodes: tuple[str, ...] = ()
    # Tokens of this swap used for the first time: their decimals become the truth once the
    # user confirms (wallet/token_trust.py).
    first_use: tuple[FirstUse, ...] = ()
    # Non-zero: the token refuses to change a non-zero allowance to another non-zero one
    # (Tether USD and its copies), so an approve(0) transaction of this gas comes first: two
    # approvals, each shown with its fee.
    approval_reset_gas: int = 0
    # Providers whose quote was refused; the quote above is the best of the others.
    refused: tuple[QuoteRefused, ...] = ()

    @property
    def resets_allowance(self) -> bool:
        return self.approval_reset_gas > 0

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
        return self.approval_reset_gas + self.approval_gas + self.swap_gas + self.fee_transfer_gas

    def approval_fees(self) -> tuple[tuple[int, int], ...]:
        """(amount approved, maximum network fee) per approval transaction, in signing order:
        approve(0) first when the token needs its allowance reset."""
        if self.approval_amount is None:
            return ()
        reset = ((0, self.fee.max_cost(self.approval_reset_gas)),) if self.resets_allowance else ()
        return (*reset, (self.approval_amount, self.fee.max_cost(self.approval_gas)))

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
    def high_fee(self) -> bool:
        """Beyond the network's usual range or what its blocks show: the CLI swaps only with
        --accept-high-fee, the app only on a second confirmation, execute() refuses otherwise."""
        return FeeConcern.HIGH in self.fee_concerns

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


def service_fee_of(amount: int, bps: int) -> int:
    """Rounded up: a fee of 0.01 % on a tiny amount is one base unit, never silently zero."""
    return -(-amount * bps // BPS)


@dataclass(frozen=True)
class TxShell:
    """The fields of a SwapReview that _send_call reads, for transactions that are not swaps."""

    network: Network
    sender: str
    path: str
    fee: FeeQuote
    native_balance: int
