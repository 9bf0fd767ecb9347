"""Load a PSBT signed elsewhere (an air-gapped device, Sparrow, Electrum, a QR signer's
answer), check it against the node and our coins, show what it pays, and broadcast it.

Opened from the command palette. The PSBT comes as a file path or pasted text (base64, hex or
ur:crypto-psbt). Nothing is sent before its checked review is on screen and ctrl+s is pressed;
the transaction is stored before it is broadcast, as a send from this app is.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer, Input, Select, Static

from tui.bindings import translate_bindings
from tui.errors import ReportsFailures, error_code, user_message
from tui.i18n import t
from tui.screens.review_base import Row, rows_text

if TYPE_CHECKING:
    from wallet.psbt_review import PsbtReview
    from wallet.utxo_portfolio import UtxoPortfolio


def review_rows(review: PsbtReview) -> list[Row]:
    """The checked review as label/value rows (the CLI prints the same facts)."""
    from wallet.view import amount_text

    def c(v: int) -> str:
        return amount_text(v, review.decimals) + f" {review.symbol}"

    rows: list[Row] = [(t("psbt.network"), review.network_name), (t("psbt.txid"), review.txid)]
    for i in review.inputs:
        whose = t("psbt.input_ours") if i.ours else t("psbt.input_foreign")
        signed = t("psbt.input_signed") if i.signed else ""
        rows.append((t("psbt.inputs"), f"{i.outpoint}  {c(i.amount)}  {whose}{signed}"))
    for o in review.outputs:
        whose = (
            t("psbt.output_change")
            if o.change
            else t("psbt.output_ours")
            if o.ours
            else t("psbt.output_pays")
        )
        rows.append((t("psbt.outputs"), f"{o.address or o.script.hex()}  {c(o.amount)}  {whose}"))
    estimated = "" if review.complete else t("psbt.fee_estimated")
    fee = t("psbt.fee_value", fee=c(review.fee), rate=review.fee_rate, vsize=review.vsize,
            estimated=estimated)  # fmt: skip
    rows += [
        (t("psbt.fee"), fee),
        (t("psbt.sent"), c(review.sent + review.fee)),
        (t("psbt.replaceable"), t("psbt.yes_rbf") if review.rbf else t("psbt.no")),
    ]
    return rows


class PsbtLoadScreen(ReportsFailures, Screen[None]):
    CSS_PATH = "../styles/send.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+r", "check", "bind.psbt_check", priority=True),
        Binding("ctrl+s", "broadcast", "bind.psbt_broadcast", priority=True),
        Binding("escape", "back", "bind.send_back"),
    ]

    phase: reactive[str] = reactive("idle")  # idle -> checked -> sending -> sent

    def __init__(self) -> None:
        super().__init__()
        self.review: PsbtReview | None = None
        self.txid: str | None = None
        self.key = ""  # the account the review was checked for

    @property
    def utxo(self) -> UtxoPortfolio:
        utxo = self.app.session.utxo  # type: ignore[attr-defined]
        assert utxo is not None
        return utxo  # type: ignore[no-any-return]

    def compose(self) -> ComposeResult:
        from tui.screens.send_utxo import row_name

        options = []
        for key in self.utxo.keys():
            net, acct = self.utxo.network(key), self.utxo.account(key)
            kind = t(f"utxo.script_{acct.script.value}")
            options.append((row_name(net.name, kind, acct.account_index), key))
        with VerticalScroll(id="review-body"):
            yield Static(t("psbt.app.load_title"), classes="title")
            yield Static(t("psbt.app.load_hint"), classes="muted")
            yield Input(placeholder=t("psbt.app.load_placeholder"), id="psbt-source")
            yield Select(
                options, value=options[0][1] if options else Select.BLANK, id="psbt-account",
                allow_blank=not options, prompt=t("psbt.app.load_account"),
            )  # fmt: skip
            yield Static("", id="review-table")
            yield Static("", id="review-status", classes="note")
        yield Footer()

    def on_mount(self) -> None:
        translate_bindings(self)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "broadcast":
            ready = self.phase == "checked" and self.review is not None and self.review.complete
            return True if ready else None
        if action == "check":
            return self.phase in ("idle", "checked")
        if action == "back":
            return self.phase != "sending"
        return True

    def watch_phase(self, phase: str) -> None:
        self.refresh_bindings()

    def on_input_changed(self, event: Input.Changed) -> None:
        if self.phase == "checked":  # what is on screen no longer matches the input
            self.review = None
            self.phase = "idle"
            self.query_one("#review-table", Static).update("")

    def action_back(self) -> None:
        if self.phase != "sending":
            self.app.pop_screen()

    def _status(self, text: str, *, warning: bool = False) -> None:
        line = self.query_one("#review-status", Static)
        line.update(Text(text))
        line.set_class(warning, "warning")

    def _key(self) -> str | None:
        value = self.query_one("#psbt-account", Select).value
        return value if isinstance(value, str) else None

    def action_check(self) -> None:
        source = self.query_one("#psbt-source", Input).value.strip()
        key = self._key()
        if not source or key is None:
            return
        self._status("")
        self._check(source, key)

    @work(exclusive=True, group="psbt-check", exit_on_error=False)
    async def _check(self, source: str, key: str) -> None:
        import asyncio

        from wallet.psbt_review import check_psbt

        try:
            data = await asyncio.to_thread(read_source, source)
            review = await check_psbt(data, self.utxo, key)
        except Exception as exc:
            if error_code(exc) is None:
                raise
            self._status(user_message(exc), warning=True)
            return
        self.review = review
        self.key = key
        self.query_one("#review-table", Static).update(rows_text(review_rows(review)))
        if review.complete:
            self._status(t("psbt.complete"))
        else:
            signed = sum(1 for i in review.inputs if i.signed)
            self._status(
                t("psbt.app.loaded_incomplete", signed=signed, total=len(review.inputs)),
                warning=True,
            )
        self.phase = "checked"

    def action_broadcast(self) -> None:
        if self.phase != "checked" or self.review is None or not self.review.complete:
            return
        self.phase = "sending"
        self._broadcast(self.review, self.key)

    @work(exclusive=True, group="psbt-broadcast", exit_on_error=False)
    async def _broadcast(self, review: PsbtReview, key: str) -> None:
        from wallet.psbt_review import finalize, record_signed

        try:
            raw = finalize(review)
            signed = record_signed(self.utxo, key, review, raw)  # stored before it is sent
            self.txid = await self.utxo.sender(key).broadcast(signed)
        except Exception as exc:
            self.phase = "checked"
            if error_code(exc) is None:
                raise
            self._status(user_message(exc), warning=True)
            return
        self.phase = "sent"
        self._status(t("send.review.sent", tx_hash=self.txid))


def read_source(source: str) -> bytes:
    """A path to a PSBT file, or the PSBT pasted as text (base64, hex or UR)."""
    from wallet.psbt_files import decode_psbt, read_psbt_file
    from wallet.psbt_ur import decode_ur_text, is_ur_text

    if is_ur_text(source):
        return decode_ur_text(source)
    if source.startswith(("cHNidP", "70736274ff")):
        return decode_psbt(source)
    return read_psbt_file(Path(source).expanduser())
