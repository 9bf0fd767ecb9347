"""The swap review: every line the quote showed, the approval (exact by default; unlimited
only when asked for, with its warning), then approve -> swap -> service fee, each signed on the
active signer, with the step on screen, until the chain settles it."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer, Static

from tui.bindings import translate_bindings
from tui.errors import ReportsFailures, error_code
from tui.i18n import t
from tui.screens.swap import lines_text, money, pct, quote_lines, swap_error_text

if TYPE_CHECKING:
    from wallet.session import WalletSession
    from wallet.swap import Swapper, SwapReview


class SwapReviewScreen(ReportsFailures, Screen[bool]):
    CSS_PATH = "../styles/swap.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "swap", "bind.swap_sign", priority=True),
        Binding("escape", "back", "bind.swap_back"),
    ]

    phase: reactive[str] = reactive("idle")  # idle -> working -> done | idle (on an error)

    def __init__(self, review: SwapReview, swapper: Swapper) -> None:
        super().__init__()
        self.review = review
        self.swapper = swapper
        self._armed = False  # ctrl+s pressed once on a high price impact
        self.result: object = None

    @property
    def session(self) -> WalletSession:
        return self.app.session  # type: ignore[attr-defined,no-any-return]

    def compose(self) -> ComposeResult:
        r = self.review
        with VerticalScroll(id="swap-review-body"):
            yield Static(t("swap.review.title"), classes="title")
            head = [("pay", money(r.amount_in, r.sell, 18))]
            text = Text()
            for key, value in head:
                text.append(f"{t('swap.review.' + key)}: ", style="bold")
                text.append(value + "\n")
            text.append_text(lines_text(quote_lines(r, self.session.assets)))
            text.append(f"{t('swap.review.deadline')}: ", style="bold")
            text.append((t("swap.review.deadline_value", deadline=_utc(r.quote.deadline))
                         if r.quote.deadline is not None else t("swap.review.no_deadline"))
                        + "\n")  # fmt: skip
            yield Static(text, id="swap-review-table")
            if r.approval_amount is not None:
                amount = (t("swap.review.unlimited") if r.unlimited
                          else money(r.approval_amount, r.sell, 18))  # fmt: skip
                yield Static(
                    Text(t("swap.review.approval", amount=amount, spender=r.quote.spender or "?")),
                    id="swap-review-approval",
                    classes="warning" if r.unlimited else "",
                )
                if r.unlimited:
                    yield Static(t("swap.unlimited_warning"), classes="warning")
            if r.needs_impact_confirmation:
                yield Static(t("swap.high_impact", impact=pct(r.quote.price_impact_bps)),
                             id="swap-review-impact", classes="warning")  # fmt: skip
            yield Static(t("swap.review.hint"), classes="muted")
            yield Static("", id="swap-review-status", classes="note")
        yield Footer()

    def on_mount(self) -> None:
        translate_bindings(self)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "swap":
            return self.phase == "idle"
        if action == "back":
            return self.phase != "working"
        return True

    def watch_phase(self, phase: str) -> None:
        self.refresh_bindings()

    def action_back(self) -> None:
        self.dismiss(self.phase == "done")

    def _status(self, text: str, *, warning: bool = False) -> None:
        status = self.query_one("#swap-review-status", Static)
        status.update(Text(text))
        status.set_class(warning, "warning")

    def action_swap(self) -> None:
        r = self.review
        if r.needs_impact_confirmation and not self._armed:
            self._armed = True
            self._status(t("swap.review.confirm_impact"), warning=True)
            return
        if r.expired():
            self._status(t("swap.expired"), warning=True)
            return
        from tui.screens.totp_prompt import require_send_code

        require_send_code(self.app, self._start_swap)

    def _start_swap(self) -> None:
        if self.phase != "idle":
            return
        if self.review.expired():  # the code may have taken a while to type
            self._status(t("swap.expired"), warning=True)
            return
        self.phase = "working"
        self._status(t("swap.step.quote"))
        self._run()

    @work(exclusive=True, group="swap-run", exit_on_error=False)
    async def _run(self) -> None:
        def on_step(name: str, tx: str | None) -> None:
            self._status(t(f"swap.step.{name}", tx=tx or ""))

        try:
            record = await self.swapper.execute(
                self.review, self.session.active_signer,
                confirm_high_impact=self._armed, on_step=on_step,
            )  # fmt: skip
        except Exception as exc:
            self.phase = "idle"
            code = error_code(exc)
            if code is None:
                raise
            self.app.recent_errors.append(code)  # type: ignore[attr-defined]
            self._status(self._error_text(exc), warning=True)
            return
        self.result = record
        self.phase = "done"
        r = self.review
        self._status(t(
            "swap.review.done",
            received=money(record.received or 0, r.buy, 18),
            paid=money(record.amount_in + record.service_fee, r.sell, 18),
            gas=money(record.network_fee_paid or 0, r.native, 18),
            tx=record.swap_tx or "",
        ))  # fmt: skip

    def _error_text(self, exc: BaseException) -> str:
        """A device's refusal in the device's words; others as the swap screen words them.
        (Signing runs in EvmSender.sign_and_send's thread: see send_review.py.)"""
        from devices.errors import DeviceError
        from tui.device_interaction import device_error_text

        if isinstance(exc, DeviceError):
            signer = self.session.active_signer
            model = getattr(getattr(signer, "info", None), "model", None)
            return device_error_text(exc, str(model or self.session.signer))
        return swap_error_text(exc)


def _utc(timestamp: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M UTC")
