"""Send: pick the asset, recipient (or a contact), amount (or max) and fee tier, then review.

Pushed from Assets (`s`). Every figure comes from wallet.send: this screen parses nothing but
the text it hands over, and shows typed errors in place rather than as toasts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Footer, Input, Label, Select, Static

from tui.bindings import translate_bindings
from tui.errors import error_code
from tui.form_check import FieldInvalid
from tui.i18n import t
from tui.screens.send_form import SendForm
from tui.send_errors import send_error_text
from tui.widgets.field_error import FieldError
from wallet.view import amount_text

if TYPE_CHECKING:
    from chains.models import Asset

TIERS = ("slow", "normal", "fast", "custom")


class SendScreen(SendForm):
    def __init__(self, asset_key: str | None = None) -> None:
        super().__init__()
        self._asset_key = asset_key

    def compose(self) -> ComposeResult:
        s = self.session
        assets = list(s.assets)
        first = self._asset_key if any(a.key == self._asset_key for a in assets) else assets[0].key
        with VerticalScroll(id="send-body"):
            yield Static(Text(t("send.title", network=s.network.name)), classes="title")
            yield Label(t("send.from") + f"  {s.addresses[0] if s.addresses else '-'}")
            with Horizontal(classes="send-row"):
                yield Label(t("send.asset"), classes="send-label")
                yield Select(
                    [(Text(f"{a.symbol}  {a.name}"), a.key) for a in assets],
                    value=first,
                    allow_blank=False,
                    id="send-asset",
                )
            with Horizontal(classes="send-row"):
                yield Label(t("send.to"), classes="send-label")
                yield Input(placeholder=t("send.to_placeholder"), id="send-to")
            yield FieldError(id="send-to-error")
            contacts = self._contacts()
            if contacts:
                with Horizontal(classes="send-row"):
                    yield Label(t("send.contacts"), classes="send-label")
                    yield Select(contacts, prompt=t("send.contacts"), id="send-contact")
            with Horizontal(classes="send-row"):
                yield Label(t("send.amount"), classes="send-label")
                yield Input(placeholder=t("send.amount_placeholder"), id="send-amount")
                yield Button(t("bind.send_max"), id="send-max", compact=True)
            yield FieldError(id="send-amount-error")
            yield Static("", id="send-balance", classes="muted")
            with Horizontal(classes="send-row"):
                yield Label(t("send.save_as"), classes="send-label")
                yield Input(placeholder=t("send.save_as_placeholder"), id="send-save-as")
            yield from self.compose_fee_picker(TIERS, "send.fee_loading")
            with Horizontal(classes="send-row", id="send-custom"):
                yield Input(placeholder=t("send.custom_max"), id="send-custom-max")
                yield Input(placeholder=t("send.custom_tip"), id="send-custom-tip")
            yield FieldError(id="send-fee-error")
            yield Static("", id="send-note", classes="note")
        yield Footer()

    def _contacts(self) -> list[tuple[Text, str]]:
        from wallet.addressbook import AddressBook

        book = AddressBook(self.session.store)
        return [
            (Text(f"{c.label}  {c.address[:10]}…"), c.address)
            for c in book.list(self.session.network.id)
        ]

    def on_mount(self) -> None:
        translate_bindings(self)
        self.query_one("#send-custom").display = False
        s = self.session
        note = self.query_one("#send-note", Static)
        if not s.addresses:
            note.update(t("send.no_accounts"))
        elif not s.can_send:
            note.update(t("send.no_signer"))
            note.add_class("warning")
        self._load_fees()
        self._show_balance()

    # -- inputs ------------------------------------------------------------------------------

    def _asset(self) -> Asset:
        key = self.query_one("#send-asset", Select).value
        return next(a for a in self.session.assets if a.key == key)

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "send-contact" and isinstance(event.value, str):
            self.query_one("#send-to", Input).value = event.value
        elif event.select.id == "send-asset":
            self._show_balance()

    def tier_changed(self) -> None:
        self.query_one("#send-custom").display = self._tier() == "custom"

    # -- fees and balance --------------------------------------------------------------------

    async def fetch_fees(self) -> Any:
        return await self.session.sender().fee_options()

    def fee_line(self, fees: Any, tier: str) -> str | None:
        if tier == "custom":
            return ""
        q = fees.get(tier)
        return t(
            "send.fee_line",
            tier=t(f"send.fee_{tier}"),
            max_gwei=amount_text(q.max_fee_per_gas, 9, 4),
            tip_gwei=amount_text(q.max_priority_fee_per_gas, 9, 4),
        )

    def _show_balance(self) -> None:
        view = getattr(self.app.screen_stack[0], "view", None) if self.app.screen_stack else None
        asset = self._asset()
        holding = None
        for h in getattr(view, "holdings", ()) or ():
            if h.asset.key == asset.key:
                holding = h
        text = (
            ""
            if holding is None
            else t(
                "send.balance",
                amount=amount_text(holding.amount, asset.decimals) + f" {asset.symbol}",
            )
        )
        if text and getattr(view, "stale", False):
            text += "  " + t("send.balance_stale")  # the saved figure, not the node's now
        self.query_one("#send-balance", Static).update(Text(text))

    # -- review ------------------------------------------------------------------------------

    def action_review(self) -> None:
        s = self.session
        note = self.query_one("#send-note", Static)
        if not s.can_send:
            note.update(t("send.no_signer"))
            return
        note.remove_class("warning")
        for line in self.query(FieldError):
            line.clear()
        note.update(t("send.preparing"))
        self._prepare()

    def _draft(self) -> Any:
        """The draft from the fields; FieldInvalid names the field that is wrong and why (in
        the CLI's terms: decimals, exponent, sign, zero)."""
        from chains.fees import FeeTier, custom_fee
        from tui.form_check import FieldProblem, amount_or_problem, custom_fee_or_problem
        from wallet.send import MAX, SendDraft

        asset = self._asset()
        text = self.query_one("#send-amount", Input).value.strip()
        amount: Any = (
            MAX if text.lower() == "max" else amount_or_problem(text, asset.decimals, asset.symbol)
        )
        if isinstance(amount, FieldProblem):
            raise FieldInvalid("send-amount-error", amount)
        tier = self._tier()
        if tier == "custom":
            fees = custom_fee_or_problem(
                self.query_one("#send-custom-max", Input).value,
                self.query_one("#send-custom-tip", Input).value,
            )
            if isinstance(fees, FieldProblem):  # the fee's reason, never "bad amount"
                raise FieldInvalid("send-fee-error", FieldProblem(t("send.bad_fee",
                                                                    reason=fees.text)))  # fmt: skip
            base = self._fees.normal.base_fee if self._fees is not None else 0
            fee: Any = custom_fee(*fees, base)
        else:
            fee = FeeTier(tier)
        to = self.query_one("#send-to", Input).value
        return SendDraft(recipient=to, amount=amount, asset=asset, fee=fee)

    @work(exclusive=True, group="send-prepare", exit_on_error=False)
    async def _prepare(self) -> None:
        s = self.session
        note = self.query_one("#send-note", Static)
        asset: Asset | None = None
        try:
            draft = self._draft()
            asset = draft.asset
            sender = s.addresses[0]
            review = await s.sender().prepare(draft, sender, s.path_of(sender))
        except FieldInvalid as exc:
            note.update("")
            self._field_error(exc.field, exc.text)
            return
        except Exception as exc:
            code = error_code(exc)
            if code is None:
                raise  # not ours: the app's one handler reports it
            self.app.recent_errors.append(code)  # type: ignore[attr-defined]
            field = _FIELD_OF.get(code)
            if field is not None:
                note.update("")
                self._field_error(field, send_error_text(exc, s, asset))
            else:
                note.update(Text(send_error_text(exc, s, asset)))
                note.add_class("warning")
                note.scroll_visible(animate=False)
            return
        note.update("")
        from tui.screens.send_review import SendReviewScreen

        save_as = self.query_one("#send-save-as", Input).value.strip() or None
        self.app.push_screen(SendReviewScreen(review, save_as=save_as))

    def _field_error(self, field: str, text: str) -> None:
        """`text` under the field it concerns, scrolled into view, the field focused."""
        self.query_one(f"#{field}", FieldError).show(text)
        target = {"send-to-error": "#send-to", "send-amount-error": "#send-amount",
                  "send-fee-error": "#send-custom-max"}[field]  # fmt: skip
        self.query_one(target, Input).focus(scroll_visible=False)


# Which field a wallet error is about: its reason goes under that field.
_FIELD_OF = {
    "BAD_AMOUNT": "send-amount-error",
    "INSUFFICIENT_FUNDS": "send-amount-error",
    "NOTHING_TO_SEND": "send-amount-error",
    "BAD_RECIPIENT": "send-to-error",
}
