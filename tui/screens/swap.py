"""Swap: pick what to sell and buy, the amount and slippage; a live quote shows the rate,
price impact, every fee (provider, the wallet's service fee even when zero, network) and the
minimum received; ctrl+s opens the review that approves and swaps (tui/screens/swap_review.py).

Figures come from wallet.swap as integers; this screen only formats them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.reactive import reactive
from textual.timer import Timer
from textual.widgets import Checkbox, Input, Label, Select, Static

from tui.errors import error_code
from tui.form_check import FieldInvalid
from tui.i18n import t
from tui.screens.base import MainScreen
from tui.send_errors import swap_error_text
from tui.swap_text import lines_text, pct, quote_lines
from tui.widgets.field_error import FieldError

if TYPE_CHECKING:
    from chains.models import Asset
    from wallet.session import WalletSession
    from wallet.swap import Swapper, SwapReview

QUOTE_DELAY = 0.6  # seconds after the last keystroke before asking for a quote


class SwapScreen(MainScreen):
    name_key = "swap"
    CSS_PATH = "../styles/swap.tcss"
    # The first picker, not the amount field: on a main screen, 1-4 must switch screens, and a
    # focused text field would take them as typing (tab reaches the amount).
    AUTO_FOCUS = "#swap-sell"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+r", "quote", "bind.swap_quote", priority=True),
        Binding("ctrl+s", "review", "bind.swap_review", priority=True),
        Binding("ctrl+e", "approvals", "bind.swap_approvals", priority=True),
    ]

    review: reactive[SwapReview | None] = reactive(None, recompose=False)

    def __init__(self) -> None:
        super().__init__()
        self._swapper: Swapper | None = None
        self._debounce: Timer | None = None
        self._expiry: Timer | None = None
        self._quoted: tuple[object, ...] | None = None  # the fields the shown quote is for

    @property
    def session(self) -> WalletSession | None:
        return getattr(self.app, "session", None)

    def swapper(self) -> Swapper:
        if self._swapper is None or self._swapper.backend is not getattr(
            self.session, "backend", None
        ):
            from wallet.swap import swapper_for

            settings = getattr(self.app.services, "settings", None)  # type: ignore[attr-defined]
            self._swapper = swapper_for(self.session, settings)
        return self._swapper

    def compose_body(self) -> ComposeResult:
        s = self.session
        assets = list(s.assets) if s is not None else []
        # Text, not str: a str prompt is read as markup, and a token names itself.
        options = [(Text(f"{a.symbol}  {a.name}"), a.key) for a in assets]
        with VerticalScroll(id="swap-body", classes="body"):
            with Horizontal(classes="swap-row"):
                yield Label(t("swap.sell"), classes="swap-label")
                yield Select(options, value=assets[0].key if assets else Select.NULL,
                             allow_blank=not assets, id="swap-sell")  # fmt: skip
                yield Label(t("swap.buy"), classes="swap-label swap-label-right")
                yield Select(options, value=assets[1].key if len(assets) > 1 else Select.NULL,
                             allow_blank=len(assets) < 2, id="swap-buy")  # fmt: skip
            with Horizontal(classes="swap-row"):
                yield Label(t("swap.amount"), classes="swap-label")
                yield Input(placeholder=t("swap.amount_placeholder"), id="swap-amount")
                yield Label(t("swap.slippage"), classes="swap-label swap-label-right")
                yield Input(value="0.5", id="swap-slippage", classes="swap-pct")
                yield Checkbox(t("swap.unlimited"), id="swap-unlimited", compact=True)
            yield FieldError(id="swap-amount-error")
            yield FieldError(id="swap-slippage-error")
            yield Static(self._waiting_text(s), id="swap-quote")
            yield Static("", id="swap-note", classes="note")

    def _waiting_text(self, s: WalletSession | None) -> str:
        if s is None:
            return t("assets.waiting")
        if not s.addresses:
            return t("swap.no_accounts")
        if len(s.assets) < 2:
            symbols = ", ".join(a.symbol for a in s.assets) or "—"
            return t("swap.need_two_assets", network=s.network.name, symbols=symbols)
        return t("swap.enter_amount")

    def on_mount(self) -> None:
        super().on_mount()
        self.watch(self.app, "status", self._status_changed, init=False)
        if self.review is not None:
            self.watch_review(self.review)

    async def _language_changed(self, language: str) -> None:
        """What the user typed and picked stays (the recompose builds new fields), and a
        quote on screen is drawn again in the new language."""
        kept = {
            "#swap-amount": self.query_one("#swap-amount", Input).value,
            "#swap-slippage": self.query_one("#swap-slippage", Input).value,
        }
        picked = {i: self.query_one(i, Select).value for i in ("#swap-sell", "#swap-buy")}
        unlimited = self.query_one("#swap-unlimited", Checkbox).value
        review = self.review
        with self.prevent(Input.Changed, Select.Changed, Checkbox.Changed):
            await super()._language_changed(language)
            for selector, value in kept.items():
                self.query_one(selector, Input).value = value
            for selector, choice in picked.items():
                select = self.query_one(selector, Select)
                if choice != Select.NULL:
                    select.value = choice
            self.query_one("#swap-unlimited", Checkbox).value = unlimited
        if review is not None:
            self.watch_review(review)

    async def _status_changed(self, status: Any) -> None:
        # The session opened (or reopened) after this screen was built: offer its assets.
        self._swapper = None
        await self.recompose()

    # -- inputs ------------------------------------------------------------------------------

    def on_input_changed(self, event: Input.Changed) -> None:
        self._schedule()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_quote()

    def on_select_changed(self, event: Select.Changed) -> None:
        self._schedule()

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        if event.value:
            self._note(t("swap.unlimited_warning"), warning=True)
        self._schedule()

    def _fields(self) -> tuple[object, ...]:
        return (
            self.query_one("#swap-sell", Select).value,
            self.query_one("#swap-buy", Select).value,
            self.query_one("#swap-amount", Input).value.strip(),
            self.query_one("#swap-slippage", Input).value.strip(),
            self.query_one("#swap-unlimited", Checkbox).value,
        )

    def _schedule(self) -> None:
        # A "changed" that changes nothing (the fields rebuilt with the same values after F2)
        # keeps the quote on screen.
        if self.review is not None and self._fields() == self._quoted:
            return
        self.review = None
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(QUOTE_DELAY, self.action_quote)

    def _note(self, text: str, *, warning: bool = False) -> None:
        note = self.query_one("#swap-note", Static)
        note.update(text)
        note.set_class(warning, "warning")

    def _asset(self, select_id: str) -> Asset | None:
        s = self.session
        key = self.query_one(select_id, Select).value
        if s is None:
            return None
        return next((a for a in s.assets if a.key == key), None)

    def _draft(self) -> Any:
        """The draft, None while there is no amount; FieldInvalid says which field is wrong
        and why (an empty slippage is an error: it would mean 0 %)."""
        from tui.form_check import (
            HIGH_SLIPPAGE_BPS,
            FieldProblem,
            amount_or_problem,
            slippage_or_problem,
        )
        from wallet.swap import SwapDraft

        sell, buy = self._asset("#swap-sell"), self._asset("#swap-buy")
        text = self.query_one("#swap-amount", Input).value.strip()
        if sell is None or buy is None or not text:
            return None
        amount = amount_or_problem(text, sell.decimals, sell.symbol)
        if isinstance(amount, FieldProblem):
            raise FieldInvalid("swap-amount-error", amount)
        slippage = slippage_or_problem(self.query_one("#swap-slippage", Input).value)
        if isinstance(slippage, FieldProblem):
            raise FieldInvalid("swap-slippage-error", slippage)
        if slippage > HIGH_SLIPPAGE_BPS:  # allowed, with a word next to the field
            self.query_one("#swap-slippage-error", FieldError).show(
                t("form.slippage_high", pct=pct(slippage)), warning=True
            )
        return SwapDraft(
            sell=sell, buy=buy, amount=amount, slippage_bps=slippage,
            unlimited_approval=self.query_one("#swap-unlimited", Checkbox).value,
        )  # fmt: skip

    # -- quote -------------------------------------------------------------------------------

    def action_quote(self) -> None:
        # Enter quotes now: the timer the typing started would quote again a moment later and
        # swap the quote on screen for another while the user reads it.
        if self._debounce is not None:
            self._debounce.stop()
            self._debounce = None
        s = self.session
        if s is None or not s.addresses:
            return
        self._quote()

    @work(exclusive=True, group="swap-quote", exit_on_error=False)
    async def _quote(self) -> None:
        s = self.session
        assert s is not None
        for line in self.query(FieldError):
            line.clear()
        try:
            fields = self._fields()
            draft = self._draft()
            if draft is None:
                self.query_one("#swap-quote", Static).update(self._waiting_text(s))
                return
            self.query_one("#swap-quote", Static).update(t("swap.quoting"))
            sender = s.addresses[0]
            review = await self.swapper().review(draft, sender, s.path_of(sender))
        except FieldInvalid as exc:
            self.query_one("#swap-quote", Static).update("")
            self.query_one(f"#{exc.field}", FieldError).show(exc.text)
            return
        except Exception as exc:
            code = error_code(exc)
            if code is None:
                raise
            self.app.recent_errors.append(code)  # type: ignore[attr-defined]
            self.query_one("#swap-quote", Static).update("")
            self._note(swap_error_text(exc), warning=True)
            return
        self._note("")
        self._quoted = fields
        self.review = review

    def watch_review(self, review: SwapReview | None) -> None:
        if not self.is_mounted:
            return
        if self._expiry is not None:
            self._expiry.stop()
            self._expiry = None
        panel = self.query_one("#swap-quote", Static)
        if review is None:
            # The quote on screen was for other fields, or was used by the swap just made:
            # it goes, so a figure on screen is never one that no longer applies.
            if not self.query_one("#swap-amount", Input).value.strip():
                panel.update(self._waiting_text(self.session))
            else:
                panel.update("")  # the new quote is asked for as soon as the typing stops
            if str(self.query_one("#swap-note", Static).render()) == t("swap.expired"):
                self._note("")
            return
        text = lines_text(quote_lines(review, self.session.assets if self.session else ()))
        text.append(t("swap.valid_for", seconds=int(_ttl().total_seconds())), style="italic")
        if review.needs_impact_confirmation:
            text.append("\n" + t("swap.high_impact", impact=pct(review.quote.price_impact_bps)),
                        style="bold red")  # fmt: skip
        panel.update(text)
        self._expiry = self.set_timer(_ttl().total_seconds(), self._expired)

    def _expired(self) -> None:
        if self.review is not None:
            self._note(t("swap.expired"), warning=True)

    # -- review and approvals ----------------------------------------------------------------

    def action_review(self) -> None:
        s = self.session
        if self.review is None:
            self._note(t("swap.no_quote"), warning=True)
            return
        if s is None or not s.can_send:
            self._note(t("swap.no_signer"), warning=True)
            return
        if self.review.expired():
            self._note(t("swap.expired"), warning=True)
            return
        from tui.screens.swap_review import SwapReviewScreen

        self.app.push_screen(SwapReviewScreen(self.review, self.swapper()), self._reviewed)

    def _reviewed(self, done: bool | None) -> None:
        if done:  # the review told Assets (BalancesChanged); the quote was used
            self._note("")
            with self.prevent(Input.Changed):  # no quote for an empty amount
                self.query_one("#swap-amount", Input).value = ""
        self.review = None

    def action_approvals(self) -> None:
        s = self.session
        if s is None or not s.addresses:
            return
        from tui.screens.swap_approvals import SwapApprovalsScreen

        self.app.push_screen(SwapApprovalsScreen(self.swapper()))


def _ttl() -> Any:
    from wallet.swap import QUOTE_TTL

    return QUOTE_TTL
