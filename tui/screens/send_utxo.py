"""Send on Bitcoin/Litecoin: recipient, amount (or max), fee tier -> review (fee in sat/vB, total)
-> sign (in a thread: a signer's sign_psbt blocks) -> broadcast -> track until it confirms.

Pushed from Assets (`s` on a BTC/LTC row). Every figure comes from wallet/utxo_send.py through
the session's UTXO portfolio; the signed transaction is stored before it is broadcast, so a
crash in between is sent on the next start (UtxoPortfolio.resume), once.
"""

from __future__ import annotations

import asyncio
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Footer, Input, Label, Select, Static

from tui.bindings import translate_bindings
from tui.errors import error_code
from tui.fiat_text import review_fiat
from tui.i18n import t
from tui.screens.review_base import ReviewScreen, Row, SignWay
from tui.screens.send_form import SendForm
from tui.screens.utxo_recipients import chosen_line, labelled_recipients
from tui.screens.utxo_track import UtxoTracking
from tui.send_errors import utxo_error_text
from tui.widgets.field_error import FieldError
from wallet.view import amount_text

if TYPE_CHECKING:
    from wallet.session import WalletSession
    from wallet.utxo_portfolio import UtxoPortfolio
    from wallet.utxo_send import UtxoSendReview

TIERS = ("slow", "normal", "fast")


def row_name(network: str, kind: str, index: int | None) -> str:
    """How an account is named on screen: a watched xpub has no account number."""
    if index is None:
        return t("utxo.row_name_watch", network=network, kind=kind)
    return t("utxo.row_name", network=network, kind=kind, index=index)


def _coins(value: int, review: UtxoSendReview) -> str:
    return amount_text(value, review.decimals) + f" {review.symbol}"


@dataclass(frozen=True)
class ExportedPsbt:
    path: Path


class _UtxoAccount:
    """The account a screen sends from, by its key in the session's UTXO portfolio."""

    key: str
    session: WalletSession

    @property
    def utxo(self) -> UtxoPortfolio:
        assert self.session.utxo is not None
        return self.session.utxo


class SendUtxoScreen(_UtxoAccount, SendForm):
    def __init__(self, key: str, coins: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.key = key
        self.coins = coins  # chosen on the Coins screen: spend exactly these

    def compose(self) -> ComposeResult:
        net, acct = self.utxo.network(self.key), self.utxo.account(self.key)
        kind = t(f"utxo.script_{acct.script.value}")
        with VerticalScroll(id="send-body"):
            yield Static(t("send.title", network=net.name), classes="title")
            yield Label(t("send.from") + "  " + row_name(net.name, kind, acct.account_index))
            with Horizontal(classes="send-row"):
                yield Label(t("send.to"), classes="send-label")
                yield Input(placeholder=t("utxo.send.to_placeholder", hrp=net.hrp), id="send-to")
            yield FieldError(id="send-to-error")
            yield from labelled_recipients(self.session.store, net)
            with Horizontal(classes="send-row"):
                yield Label(t("send.amount"), classes="send-label")
                yield Input(
                    placeholder=t("utxo.send.amount_placeholder", symbol=net.symbol),
                    id="send-amount",
                )
                yield Button(t("bind.send_max"), id="send-max", compact=True)
            yield FieldError(id="send-amount-error")
            yield Static(self._balance_text(), id="send-balance", classes="muted")
            if self.coins:
                yield Static(chosen_line(self.utxo, self.key, self.coins), id="send-chosen")
            yield from self.compose_fee_picker(TIERS, "utxo.send.fee_loading")
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
        note = self.query_one("#send-note", Static)
        if self.utxo.account(self.key).watch_only:
            # No keys here, but the review can export an unsigned PSBT for the wallet that
            # holds them (an air-gapped device, Sparrow, Electrum...).
            note.update(t("psbt.app.export_hint"))
        elif not self.session.can_send:
            note.update(t("send.no_signer"))
            note.add_class("warning")
        self._load_fees()

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "send-labelled" and isinstance(event.value, str):
            self.query_one("#send-to", Input).value = event.value

    async def fetch_fees(self) -> Any:
        tiers = await self.utxo.fee_tiers(self.key)
        return {str(tier.name): tier for tier in tiers}

    def fee_line(self, fees: Any, tier_name: str) -> str | None:
        tier = fees.get(tier_name)
        if tier is None:
            return None
        line = t(
            "utxo.send.fee_line",
            tier=t(f"send.fee_{tier_name}"),
            rate=tier.sat_per_vb,
            blocks=tier.target_blocks,
        )
        if not tier.estimated:
            line += "  " + t("utxo.send.fee_floor")
        return line

    def action_review(self) -> None:
        note = self.query_one("#send-note", Static)
        if not self.session.can_send and not self.utxo.account(self.key).watch_only:
            note.update(t("send.no_signer"))
            note.add_class("warning")
            return
        note.remove_class("warning")
        for line in self.query(FieldError):
            line.clear()
        note.update(t("utxo.send.preparing"))
        self._prepare()

    @work(exclusive=True, group="send-utxo-prepare", exit_on_error=False)
    async def _prepare(self) -> None:
        from tui.form_check import FieldProblem, amount_or_problem

        net = self.utxo.network(self.key)
        note = self.query_one("#send-note", Static)
        text = self.query_one("#send-amount", Input).value.strip()
        amount = (
            None if text.lower() == "max" else amount_or_problem(text, net.decimals, net.symbol)
        )
        if isinstance(amount, FieldProblem):  # the reason (decimals, exponent, sign, zero)
            note.update("")
            self._field_error("send-amount-error", amount.text)
            return
        try:
            to = self.query_one("#send-to", Input).value
            coins = self.coins or None
            if self.utxo.account(self.key).watch_only:
                review = await self.utxo.prepare_export(
                    self.key, to, amount, self._tier(), None, coins=coins
                )
            else:
                review = await self.utxo.prepare_send(
                    self.key, to, amount, self._tier(), self.session.active_signer, coins
                )
        except Exception as exc:  # typed ones shown in place
            code = error_code(exc)
            if code is None:
                raise  # not ours: the app's one handler reports it
            self.app.recent_errors.append(code)  # type: ignore[attr-defined]
            field = _FIELD_OF.get(code)
            if field is not None:
                note.update("")
                self._field_error(field, utxo_error_text(exc, net.symbol, net.decimals))
            else:
                note.update(Text(utxo_error_text(exc, net.symbol, net.decimals)))
                note.add_class("warning")
                note.scroll_visible(animate=False)
            return
        note.update("")
        self.app.push_screen(SendUtxoReviewScreen(self.key, review))

    def _field_error(self, field: str, text: str) -> None:
        """`text` under the field it concerns, scrolled into view, the field focused."""
        self.query_one(f"#{field}", FieldError).show(text)
        self.query_one(f"#{field.removesuffix('-error')}", Input).focus(scroll_visible=False)


# Which field a wallet error is about: its reason goes under that field.
_FIELD_OF = {
    "BAD_AMOUNT": "send-amount-error",
    "INSUFFICIENT_FUNDS": "send-amount-error",
    "BAD_ADDRESS": "send-to-error",
}


class SendUtxoReviewScreen(_UtxoAccount, UtxoTracking, ReviewScreen[None]):
    CSS_PATH = "../styles/send.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "sign", "bind.send_sign", priority=True),
        Binding("ctrl+e", "sign('psbt')", "bind.psbt_export", priority=True),
        Binding("ctrl+u", "psbt_qr", "bind.psbt_qr", priority=True),
        Binding("escape", "back", "bind.send_back"),
    ]

    def __init__(self, key: str, review: UtxoSendReview) -> None:
        super().__init__()
        self.key = key
        self.review = review
        self.txid: str | None = None
        self.exported: Path | None = None

    def rows(self) -> list[Row]:
        r = self.review
        net, acct = self.utxo.network(self.key), self.utxo.account(self.key)
        kind = t(f"utxo.script_{acct.script.value}")
        rows = [
            ("send.review.network", net.name),
            ("send.review.from", row_name(net.name, kind, acct.account_index)),
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
            (
                "send.review.fiat",
                review_fiat(
                    getattr(self.app, "session", None),
                    [
                        ("amount", r.symbol, r.amount, r.decimals),
                        ("fee", r.symbol, r.fee, r.decimals),
                    ],
                    testnet=net.testnet,
                ),
            ),
            (
                "utxo.send.fee_evidence",
                t("utxo.send.fee_evidence_none")
                if r.next_block_rate is None
                else t("utxo.send.fee_evidence_value", rate=r.next_block_rate),
            ),
        ]
        return [(t(key), value) for key, value in rows]

    def compose_notes(self) -> ComposeResult:
        for concern in self.review.fee_concerns:
            # HIGH: the server may be lying; signing it needs a second ctrl+s (second_press).
            yield Static(t(f"utxo.send.{concern}"), classes="warning",
                         id=f"utxo-review-{str(concern).replace('_', '-')}")  # fmt: skip

    def second_press(self) -> str | None:
        return t("utxo.send.confirm_fee") if self.review.high_fee else None

    def device_lines(self) -> list[Row]:
        r = self.review
        return [
            (t("send.device.to"), r.recipient),
            (t("send.device.amount"), _coins(r.amount, r)),
            (t("utxo.send.device_fee"), _coins(r.fee, r)),
        ]

    def sign_ways(self) -> dict[str, SignWay]:
        ways: dict[str, SignWay] = {"psbt": self.export_psbt}
        if self.session.can_send and not self.utxo.account(self.key).watch_only:
            ways["signer"] = self.sign_and_send
        return ways

    def action_psbt_qr(self) -> None:
        """The exported PSBT as an animated QR, for a signer with a camera."""
        if self.exported is not None:
            from tui.screens.psbt_qr import PsbtQrScreen

            self.app.push_screen(PsbtQrScreen(self.review.unsigned.psbt))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "psbt_qr":
            return True if self.exported is not None else None
        if action == "sign" and parameters != ("psbt",) and "signer" not in self.sign_ways():
            return None  # shown greyed: this account has no keys here, export instead
        return super().check_action(action, parameters)

    async def export_psbt(self) -> ExportedPsbt:
        """The unsigned PSBT to a file for a signer elsewhere: nothing is signed or sent."""
        from wallet.psbt_files import PsbtFormat, write_psbt_file

        self.query_one("#review-device", Static).update("")  # no device is asked
        r = self.review
        folder = self.session.store.path.parent / "exports"
        await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
        path = folder / f"{r.network}-{r.unsigned.txid[:12]}-unsigned.psbt"
        await asyncio.to_thread(write_psbt_file, path, r.unsigned.psbt, PsbtFormat.BINARY)
        return ExportedPsbt(path)

    async def sign_and_send(self) -> str:
        sender = self.utxo.sender(self.key)
        # sign() blocks (a device waits for its button) and stores the signed transaction
        # before anything is sent.
        signed = await asyncio.to_thread(
            functools.partial(sender.sign, accept_high_fee=self._armed),
            self.review,
            self.session.active_signer,
        )
        return await sender.broadcast(signed)

    def error_text(self, error: BaseException) -> str:
        return utxo_error_text(error, self.review.symbol, self.review.decimals)

    def after_sent(self, result: Any) -> None:
        if isinstance(result, ExportedPsbt):
            from tui.user_files import shown_from_home

            self.exported = result.path
            self.phase = "settled"
            self.status(t("psbt.app.exported", path=shown_from_home(result.path)))
            return
        self.txid = result
        self.phase = "pending"
        self._track()
