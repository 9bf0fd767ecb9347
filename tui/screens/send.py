"""Send: pick the asset, recipient (or a contact), amount (or max) and fee tier, then review.

Pushed from Assets (`s`). Every figure comes from wallet.send: this screen parses nothing but
the text it hands over, and shows typed errors in place rather than as toasts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, RadioButton, RadioSet, Select, Static

from tui.bindings import translate_bindings
from tui.errors import ReportsFailures, error_code, user_message
from tui.i18n import t
from tui.widgets.fee_choice import FeeRadioSet
from wallet.view import amount_text

if TYPE_CHECKING:
    from chains.models import Asset
    from wallet.session import WalletSession

TIERS = ("slow", "normal", "fast", "custom")


def send_error_text(error: BaseException, session: WalletSession, asset: Asset | None) -> str:
    """InsufficientFunds in the asset's units with what it was for; others by their code."""
    from chains.errors import InsufficientFunds

    if isinstance(error, InsufficientFunds):
        net = session.network
        decimals = asset.decimals if asset and error.symbol == asset.symbol else net.native_decimals
        if asset is None or asset.contract is None:
            what = t("send.what_total")
        else:
            what = (
                t("send.what_fee") if error.symbol == net.native_symbol else t("send.what_amount")
            )
        return t(
            "send.insufficient",
            symbol=error.symbol,
            what=what,
            need=amount_text(error.need, decimals, 18) + f" {error.symbol}",
            have=amount_text(error.have, decimals, 18) + f" {error.symbol}",
        )
    return user_message(error)


class SendScreen(ReportsFailures, Screen[None]):
    CSS_PATH = "../styles/send.tcss"
    AUTO_FOCUS = "#send-to"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+r", "review", "bind.send_review", priority=True),
        Binding("ctrl+x", "max", "bind.send_max"),
        Binding("escape", "back", "bind.send_back"),
    ]

    def __init__(self, asset_key: str | None = None) -> None:
        super().__init__()
        self._asset_key = asset_key
        self._fees: Any = None

    @property
    def session(self) -> WalletSession:
        return self.app.session  # type: ignore[attr-defined,no-any-return]

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
            contacts = self._contacts()
            if contacts:
                with Horizontal(classes="send-row"):
                    yield Label(t("send.contacts"), classes="send-label")
                    yield Select(contacts, prompt=t("send.contacts"), id="send-contact")
            with Horizontal(classes="send-row"):
                yield Label(t("send.amount"), classes="send-label")
                yield Input(placeholder=t("send.amount_placeholder"), id="send-amount")
                yield Button(t("bind.send_max"), id="send-max", compact=True)
            yield Static("", id="send-balance", classes="muted")
            with Horizontal(classes="send-row"):
                yield Label(t("send.save_as"), classes="send-label")
                yield Input(placeholder=t("send.save_as_placeholder"), id="send-save-as")
            yield Label(t("send.fee"))
            with FeeRadioSet(id="send-fee"):
                for tier in TIERS:
                    yield RadioButton(
                        t(f"send.fee_{tier}"), value=tier == "normal", id=f"fee-{tier}"
                    )
            yield Static(t("send.fee_loading"), id="send-fee-line", classes="muted")
            with Horizontal(classes="send-row", id="send-custom"):
                yield Input(placeholder=t("send.custom_max"), id="send-custom-max")
                yield Input(placeholder=t("send.custom_tip"), id="send-custom-tip")
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

    def _tier(self) -> str:
        pressed = self.query_one("#send-fee", RadioSet).pressed_button
        return (pressed.id or "fee-normal").removeprefix("fee-") if pressed else "normal"

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "send-contact" and isinstance(event.value, str):
            self.query_one("#send-to", Input).value = event.value
        elif event.select.id == "send-asset":
            self._show_balance()

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        self.query_one("#send-custom").display = self._tier() == "custom"
        self._show_fee_line()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "send-max":
            self.action_max()

    def action_max(self) -> None:
        self.query_one("#send-amount", Input).value = "max"

    def action_back(self) -> None:
        self.app.pop_screen()

    # -- fees and balance --------------------------------------------------------------------

    @work(exclusive=True, group="send-fees", exit_on_error=False)
    async def _load_fees(self) -> None:
        try:
            self._fees = await self.session.sender().fee_options()
        except Exception as exc:  # shown in place; the form still works with a custom fee
            self.query_one("#send-fee-line", Static).update(Text(user_message(exc)))
            return
        self._show_fee_line()

    def _show_fee_line(self) -> None:
        if self._fees is None:
            return
        tier = self._tier()
        line = self.query_one("#send-fee-line", Static)
        if tier == "custom":
            line.update("")
            return
        q = self._fees.get(tier)
        line.update(
            t(
                "send.fee_line",
                tier=t(f"send.fee_{tier}"),
                max_gwei=amount_text(q.max_fee_per_gas, 9, 4),
                tip_gwei=amount_text(q.max_priority_fee_per_gas, 9, 4),
            )
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
        note.update(t("send.preparing"))
        self._prepare()

    def _draft(self) -> Any:
        from chains.fees import FeeTier, custom_fee
        from chains.units import parse_amount
        from wallet.send import MAX, SendDraft

        asset = self._asset()
        text = self.query_one("#send-amount", Input).value.strip()
        amount: Any = MAX if text.lower() == "max" else parse_amount(text, asset.decimals)
        tier = self._tier()
        if tier == "custom":
            max_fee = parse_amount(self.query_one("#send-custom-max", Input).value, 9)
            tip = parse_amount(self.query_one("#send-custom-tip", Input).value, 9)
            base = self._fees.normal.base_fee if self._fees is not None else 0
            try:
                fee: Any = custom_fee(max_fee, tip, base)
            except ValueError as exc:
                raise _BadFee(str(exc)) from None
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
        except _BadFee as exc:
            note.update(Text(t("send.bad_fee", reason=str(exc))))
            note.add_class("warning")
            return
        except Exception as exc:
            code = error_code(exc)
            if code is None:
                raise  # not ours: the app's one handler reports it
            self.app.recent_errors.append(code)  # type: ignore[attr-defined]
            note.update(Text(send_error_text(exc, s, asset)))
            note.add_class("warning")
            return
        note.update("")
        from tui.screens.send_review import SendReviewScreen

        save_as = self.query_one("#send-save-as", Input).value.strip() or None
        self.app.push_screen(SendReviewScreen(review, save_as=save_as))


class _BadFee(ValueError):
    pass
