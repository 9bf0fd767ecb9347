"""The swap review: every line the quote showed, the approval (exact by default; unlimited
only when asked for, with its warning), then approve -> swap -> service fee, each signed on the
active signer, with the step on screen, until the chain settles it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static

from tui.errors import user_message
from tui.fiat_text import review_fiat
from tui.form_check import HIGH_SLIPPAGE_BPS
from tui.i18n import t
from tui.screens.review_base import ReviewScreen, Row
from tui.send_errors import signing_error_text, swap_error_text
from tui.swap_text import money, pct, quote_lines
from tui.token_text import first_use_text, nodes_text

if TYPE_CHECKING:
    from wallet.swap import Swapper, SwapReview


class SwapReviewScreen(ReviewScreen[bool]):
    """Dismisses with True once the swap went through (the swap form then starts afresh)."""

    CSS_PATH = "../styles/swap.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "sign", "bind.swap_sign", priority=True),
        Binding("escape", "back", "bind.swap_back"),
    ]
    ID_PREFIX = "swap-review"
    TITLE_KEY = "swap.review.title"
    HINT_KEY = "swap.review.hint"
    DEVICE_PROMPT = False  # approve, swap and fee are signed in turn: the status names each

    def __init__(self, review: SwapReview, swapper: Swapper) -> None:
        super().__init__()
        self.review = review
        self.swapper = swapper
        self.result: object = None

    def rows(self) -> list[Row]:
        r = self.review
        rows = [(t("swap.review.pay"), money(r.amount_in, r.sell, 18))]
        rows += [(t("swap.line." + k), v) for k, v in quote_lines(r, self.session.assets)]
        deadline = (t("swap.review.deadline_value", deadline=_utc(r.quote.deadline))
                    if r.quote.deadline is not None else t("swap.review.no_deadline"))  # fmt: skip
        rows.append((t("swap.review.deadline"), deadline))
        fiat = review_fiat(
            self.session,
            [
                ("amount", self.session.price_symbol(r.sell), r.total_sell, r.sell.decimals),
                ("receive", self.session.price_symbol(r.buy), r.quote.buy_amount, r.buy.decimals),
                ("fee", r.native.symbol, r.network_fee_max, r.native.decimals),
            ],
        )
        rows.append((t("send.review.fiat"), fiat))
        if r.nodes:
            rows.append((t("send.review.nodes"), nodes_text(r.nodes, self.session)))
        return rows

    def compose_notes(self) -> ComposeResult:
        r = self.review
        for concern in r.fee_concerns:
            # HIGH: the node may be lying; signing it needs a second ctrl+s (second_press).
            yield Static(t(f"swap.review.{concern.value}"), classes="warning",
                         id=f"swap-review-{concern.value.replace('_', '-')}")  # fmt: skip
        for first in r.first_use:
            yield Static(first_use_text(first), classes="swap-review-first-use")
        for refusal in r.refused:  # its reason may quote the provider: Text, never markup
            reason = user_message(refusal.error)
            yield Static(
                Text(t("swap.review.refused", provider=refusal.provider, reason=reason,
                       chosen=r.quote.provider)),
                classes="warning swap-review-refused",
            )  # fmt: skip
        if r.approval_amount is not None:
            amount = (t("swap.review.unlimited") if r.unlimited
                      else money(r.approval_amount, r.sell, 18))  # fmt: skip
            spender = r.quote.spender or "?"
            if r.resets_allowance:  # two approval transactions, each with its own fee
                (_, reset_fee), (_, fee) = r.approval_fees()
                yield Static(
                    Text(t("swap.review.approval_reset", current=money(r.allowance, r.sell, 18),
                           fee=money(reset_fee, r.native, 18))),
                    id="swap-review-approval-reset", classes="warning",
                )  # fmt: skip
                text = t("swap.review.approval_second", amount=amount, spender=spender,
                         fee=money(fee, r.native, 18))  # fmt: skip
            else:
                text = t("swap.review.approval", amount=amount, spender=spender)
            yield Static(
                Text(text), id="swap-review-approval", classes="warning" if r.unlimited else ""
            )
            if r.unlimited:
                yield Static(t("swap.unlimited_warning"), classes="warning")
        if r.quote.slippage_bps > HIGH_SLIPPAGE_BPS:
            # The form warned next to the field; the review is what is signed, so it says it
            # again (issue 17).
            yield Static(t("form.slippage_high", pct=pct(r.quote.slippage_bps)),
                         id="swap-review-slippage", classes="warning")  # fmt: skip
        if r.needs_impact_confirmation:
            yield Static(t("swap.high_impact", impact=pct(r.quote.price_impact_bps)),
                         id="swap-review-impact", classes="warning")  # fmt: skip

    def leave(self) -> None:
        self.dismiss(self.phase == "settled")

    def second_press(self) -> str | None:
        if self.review.high_fee:  # one second press confirms the fee (and any impact with it)
            return t("swap.review.confirm_fee")
        return t("swap.review.confirm_impact") if self.review.needs_impact_confirmation else None

    def refusal(self) -> str | None:
        return t("swap.expired") if self.review.expired() else None

    def started(self) -> None:
        self.status(t("swap.step.quote"))

    async def sign_and_send(self) -> object:
        def on_step(name: str, tx: str | None) -> None:
            self.status(t(f"swap.step.{name}", tx=tx or ""))

        return await self.swapper.execute(
            self.review, self.session.active_signer,
            confirm_high_impact=self._armed, accept_high_fee=self._armed, on_step=on_step,
        )  # fmt: skip

    def error_text(self, error: BaseException) -> str:
        # Signing runs in EvmSender.sign_and_send's thread, as for a send (review_base.py).
        return signing_error_text(error, self.session, swap_error_text)

    def after_sent(self, result: Any) -> None:
        from tui.messages import BalancesChanged

        self.result = result
        self.phase = "settled"
        self.post_message(BalancesChanged())  # mined: Assets reads its balances again
        r = self.review
        self.status(t(
            "swap.review.done",
            received=money(result.received or 0, r.buy, 18),
            paid=money(result.amount_in + result.service_fee, r.sell, 18),
            gas=money(result.network_fee_paid or 0, r.native, 18),
            tx=result.swap_tx or "",
        ))  # fmt: skip


def _utc(timestamp: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M UTC")
