"""Send on Bitcoin/Litecoin: recipient, amount (or max), fee tier -> review (fee in sat/vB, total)
-> sign (in a thread: a signer's sign_psbt blocks) -> broadcast -> track until it confirms.

Pushed from Assets (`s` on a BTC/LTC row). Every figure comes from wallet/utxo_send.py through
the session's UTXO portfolio; the signed transaction is stored before it is broadcast, so a
crash in between is sent on the next start (UtxoPortfolio.resume), once.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, RadioButton, RadioSet, Static

from tui.bindings import translate_bindings
from tui.errors import ReportsFailures, error_code, user_message
from tui.i18n import t
from wallet.view import amount_text

if TYPE_CHECKING:
    from wallet.session import WalletSession
    from wallet.utxo_portfolio import UtxoPortfolio
    from wallet.utxo_send import UtxoSendReview

TIERS = ("slow", "normal", "fast")
TRACK_POLL = 3.0  # seconds between status reads while waiting for a block


def utxo_error_text(error: BaseException, symbol: str, decimals: int) -> str:
    from chains.errors import InsufficientFunds

    if isinstance(error, InsufficientFunds):
        return t(
            "send.insufficient",
            symbol=symbol,
            what=t("utxo.send.what_total"),
            need=amount_text(error.need, decimals) + f" {symbol}",
            have=amount_text(error.have, decimals) + f" {symbol}",
        )
    return user_message(error)


def row_name(network: str, kind: str, index: int | None) -> str:
    """How an account is named on screen: a watched xpub has no account number."""
    if index is None:
        return t("utxo.row_name_watch", network=network, kind=kind)
    return t("utxo.row_name", network=network, kind=kind, index=index)


def _coins(value: int, review: UtxoSendReview) -> str:
    return amount_text(value, review.decimals) + f" {review.symbol}"


class _Base(ReportsFailures, Screen[None]):
    CSS_PATH = "../styles/send.tcss"

    def __init__(self, key: str) -> None:
        super().__init__()
        self.key = key

    @property
    def session(self) -> WalletSession:
        return self.app.session  # type: ignore[attr-defined,no-any-return]

    @property
    def utxo(self) -> UtxoPortfolio:
        assert self.session.utxo is not None
        return self.session.utxo

    def _fail(self, target: Static, exc: BaseException, symbol: str, decimals: int) -> None:
        code = error_code(exc)
        if code is None:
            raise exc  # not ours: the app's one handler reports it
        self.app.recent_errors.append(code)  # type: ignore[attr-defined]
        target.update(Text(utxo_error_text(exc, symbol, decimals)))
        target.add_class("warning")


class SendUtxoScreen(_Base):
    AUTO_FOCUS = "#send-to"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+r", "review", "bind.send_review", priority=True),
        Binding("ctrl+x", "max", "bind.send_max"),
        Binding("escape", "back", "bind.send_back"),
    ]

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self._tiers: dict[str, Any] = {}

    def compose(self) -> ComposeResult:
        net, acct = self.utxo.network(self.key), self.utxo.account(self.key)
        kind = t(f"utxo.script_{acct.script.value}")
        with VerticalScroll(id="send-body"):
            yield Static(t("send.title", network=net.name), classes="title")
            yield Label(t("send.from") + "  " + row_name(net.name, kind, acct.account_index))
            with Horizontal(classes="send-row"):
                yield Label(t("send.to"), classes="send-label")
                yield Input(placeholder=t("utxo.send.to_placeholder", hrp=net.hrp), id="send-to")
            with Horizontal(classes="send-row"):
                yield Label(t("send.amount"), classes="send-label")
                yield Input(
                    placeholder=t("utxo.send.amount_placeholder", symbol=net.symbol),
                    id="send-amount",
                )
                yield Button(t("bind.send_max"), id="send-max", compact=True)
            yield Static(self._balance_text(), id="send-balance", classes="muted")
            yield Label(t("send.fee"))
            with RadioSet(id="send-fee"):
                for tier in TIERS:
                    yield RadioButton(
                        t(f"send.fee_{tier}"), value=tier == "normal", id=f"fee-{tier}"
                    )
            yield Static(t("utxo.send.fee_loading"), id="send-fee-line", classes="muted")
            yield Static("", id="send-note", classes="note")
        yield Footer()

    def _balance_text(self) -> str:
        holdings = getattr(self.app.screen_stack[0], "utxo_view", None) or ()
        h = next((h for h in holdings if h.key == self.key), None)
        if h is None or h.amount is None:
            return ""
        text = t("send.balance", amount=amount_text(h.amount, h.decimals) + f" {h.symbol}")
        return text + ("  " + t("utxo.send.balance_stale") if h.stale else "")

    def on_mount(self) -> None:
        translate_bindings(self)
        if not self.session.can_send or self.utxo.account(self.key).watch_only:
            note = self.query_one("#send-note", Static)
            note.update(t("send.no_signer"))
            note.add_class("warning")
        self._load_fees()

    def _tier(self) -> str:
        pressed = self.query_one("#send-fee", RadioSet).pressed_button
        return (pressed.id or "fee-normal").removeprefix("fee-") if pressed else "normal"

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        self._show_fee_line()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "send-max":
            self.action_max()

    def action_max(self) -> None:
        self.query_one("#send-amount", Input).value = "max"

    def action_back(self) -> None:
        self.app.pop_screen()

    @work(exclusive=True, group="send-utxo-fees", exit_on_error=False)
    async def _load_fees(self) -> None:
        try:
            tiers = await self.utxo.fee_tiers(self.key)
        except Exception as exc:  # shown in place; prepare reads the fee again
            if error_code(exc) is None:
                raise
            self.query_one("#send-fee-line", Static).update(Text(user_message(exc)))
            return
        self._tiers = {str(tier.name): tier for tier in tiers}
        self._show_fee_line()

    def _show_fee_line(self) -> None:
        tier = self._tiers.get(self._tier())
        if tier is None:
            return
        line = t(
            "utxo.send.fee_line",
            tier=t(f"send.fee_{self._tier()}"),
            rate=tier.sat_per_vb,
            blocks=tier.target_blocks,
        )
        if not tier.estimated:
            line += "  " + t("utxo.send.fee_floor")
        self.query_one("#send-fee-line", Static).update(line)

    def action_review(self) -> None:
        note = self.query_one("#send-note", Static)
        if not self.session.can_send or self.utxo.account(self.key).watch_only:
            note.update(t("send.no_signer"))
            note.add_class("warning")
            return
        note.remove_class("warning")
        note.update(t("utxo.send.preparing"))
        self._prepare()

    @work(exclusive=True, group="send-utxo-prepare", exit_on_error=False)
    async def _prepare(self) -> None:
        from chains.units import parse_amount

        net = self.utxo.network(self.key)
        note = self.query_one("#send-note", Static)
        text = self.query_one("#send-amount", Input).value.strip()
        try:
            amount = None if text.lower() == "max" else parse_amount(text, net.decimals)
            review = await self.utxo.prepare_send(
                self.key,
                self.query_one("#send-to", Input).value,
                amount,
                self._tier(),
                self.session.active_signer,
            )
        except Exception as exc:  # typed ones shown in place (_fail)
            self._fail(note, exc, net.symbol, net.decimals)
            return
        note.update("")
        self.app.push_screen(SendUtxoReviewScreen(self.key, review))


class SendUtxoReviewScreen(_Base):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "sign", "bind.send_sign", priority=True),
        Binding("escape", "back", "bind.send_back"),
    ]

    # idle -> signing -> pending -> settled (back to idle on an error before it was sent)
    phase: reactive[str] = reactive("idle")

    def __init__(self, key: str, review: UtxoSendReview) -> None:
        super().__init__(key)
        self.review = review
        self.txid: str | None = None

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="review-body"):
            yield Static(t("send.review.title"), classes="title")
            yield Static(self._table(), id="review-table")
            yield Static(t("send.review.confirm_hint"), id="review-hint", classes="muted")
            yield Static("", id="review-device")
            yield Static("", id="review-status", classes="note")
        yield Footer()

    def _table(self) -> Text:
        r = self.review
        net, acct = self.utxo.network(self.key), self.utxo.account(self.key)
        kind = t(f"utxo.script_{acct.script.value}")
        rows = [
            ("send.review.network", net.name),
            (
                "send.review.from",
                row_name(net.name, kind, acct.account_index),
            ),
            ("send.review.to", r.recipient),
            ("send.review.amount", _coins(r.amount, r)),
            (
                "send.review.fee",
                t("utxo.send.fee_value", fee=_coins(r.fee, r), rate=r.fee_rate, vsize=r.vsize),
            ),
            ("send.review.total", _coins(r.total, r)),
            (
                "utxo.send.inputs",
                t("utxo.send.inputs_value", inputs=r.inputs, change=_coins(r.change, r)),
            ),
            ("utxo.send.rbf", t("utxo.send.rbf_on") if r.rbf else t("utxo.send.rbf_off")),
            ("send.review.fiat", t("send.review.fiat_none")),
        ]
        out = Text()
        for key, value in rows:
            out.append(f"{t(key)}: ", style="bold")
            out.append(value + "\n")
        return out

    def on_mount(self) -> None:
        translate_bindings(self)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "sign":
            return self.phase == "idle"
        return True

    def watch_phase(self, phase: str) -> None:
        self.refresh_bindings()

    def action_back(self) -> None:
        if self.phase != "signing":
            self.app.pop_screen()

    def action_sign(self) -> None:
        if self.phase != "idle":
            return
        from tui.screens.totp_prompt import require_send_code

        require_send_code(self.app, self._start_signing)

    def _start_signing(self) -> None:
        if self.phase != "idle":
            return
        self.phase = "signing"
        r = self.review
        device = Text(t("send.review.signing") + "\n", style="bold")
        device.append(f"  {t('send.device.to')}: {r.recipient}\n")
        device.append(f"  {t('send.device.amount')}: {_coins(r.amount, r)}\n")
        device.append(f"  {t('utxo.send.device_fee')}: {_coins(r.fee, r)}\n")
        signer = self.session.active_signer
        if getattr(getattr(signer, "info", None), "model", "") == "software":
            device.append(t("send.review.signing_software"), style="italic")
        self.query_one("#review-device", Static).update(device)
        self._sign()

    @work(exclusive=True, group="send-utxo-sign", exit_on_error=False)
    async def _sign(self) -> None:
        status = self.query_one("#review-status", Static)
        sender = self.utxo.sender(self.key)
        try:
            # sign() blocks (a device waits for its button) and stores the signed transaction
            # before anything is sent.
            signed = await asyncio.to_thread(sender.sign, self.review, self.session.active_signer)
            self.txid = await sender.broadcast(signed)
        except Exception as exc:
            self.phase = "idle"
            self._fail(status, exc, self.review.symbol, self.review.decimals)
            return
        status.remove_class("warning")
        self.phase = "pending"
        self._track()

    @work(exclusive=True, group="send-utxo-track", exit_on_error=False)
    async def _track(self) -> None:
        from chains.errors import ChainError
        from wallet.history.model import explorer_link

        assert self.txid is not None
        status = self.query_one("#review-status", Static)
        head = t("send.review.sent", tx_hash=self.txid)
        url = explorer_link(self.utxo.network(self.key).to_network(), self.txid)
        if url:
            head += "\n" + t("send.review.explorer", url=url)
        status.update(Text(head + "\n" + t("utxo.send.pending")))
        sender = self.utxo.sender(self.key)
        while True:
            try:
                st = await sender.status(self.txid)
            except ChainError:
                st = None  # the server is away: the transaction is stored, keep asking
            if st is not None and st.state.value == "confirmed":
                break
            await asyncio.sleep(TRACK_POLL)
        self.phase = "settled"
        status.update(Text(head + "\n" + t("send.review.mined", block=st.height)))
