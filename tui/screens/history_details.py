"""One transaction: time, status, confirmations, fee, every movement of the account (a swap
shown as what went out and what came in), the explorer link, flags, and the user's label and
note (saved with ctrl+s). `w` opens "what to do". The value at the time (wallet/day_prices.py)
is the day's price from the source, read in a worker when the store has none yet."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from rich.cells import cell_len
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Input, Static, TextArea

from tui.bindings import translate_bindings
from tui.i18n import t
from tui.widgets.history_table import amount_cell
from wallet.view import amount_text

if TYPE_CHECKING:
    from wallet.history.model import HistoryRow
    from wallet.history.store import HistoryStore


def details_text(
    rows: list[HistoryRow],
    row: HistoryRow,
    head: int | None,
    link: str | None,
    value: tuple[str, str | None] | None = None,
) -> Text:
    """The details of `row`'s transaction as the user reads them (also used by the CLI);
    `value`: (the value at the time, what it is), from value_at_time()."""
    from wallet.activity import flag_names
    from wallet.history.model import native_of

    symbol, decimals = native_of(row.network)
    mine = [r for r in rows if r.account == row.account] or [row]
    fee = next((r.fee for r in mine if r.fee is not None), None)
    lines: list[tuple[str, str]] = [
        (t("history.details.time"),
         datetime.fromtimestamp(row.ts, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")),
        (t("history.details.hash"), row.tx_hash),
        (t("history.details.account"), row.account),
        (t("history.details.status"), t(f"history.status.{row.status}")),
        (t("history.details.block"), "—" if row.block is None else str(row.block)),
        (t("history.details.confirmations"),
         "0" if row.block is None or head is None else str(max(head - row.block + 1, 0))),
        (t("history.details.fee"),
         "—" if fee is None else f"{amount_text(fee, decimals, 18)} {symbol}"),
        (t("history.details.nonce"), "—" if row.nonce is None else str(row.nonce)),
        (t("history.details.method"), row.method or t(f"history.kind.{row.kind}")),
        (t("history.details.made_here"),
         t("history.details.yes") if row.made_here else t("history.details.no")),
        (t("history.details.explorer"), link or t("history.details.no_explorer")),
    ]  # fmt: skip
    if value is not None:
        lines.append((t("history.details.value"), value[0]))
    # Terminal cells, not characters: a CJK label takes two cells a character, so padding by
    # len() left the zh-CN values out of line.
    width = max(cell_len(k) for k, _ in lines) + 2
    text = Text()
    for k, v in lines:
        label = f"{k}:"
        text.append(label + " " * (width - cell_len(label)), style="bold")
        text.append(v + "\n")
    if value is not None and value[1]:
        text.append(" " * width + value[1] + "\n", style="dim")
    text.append("\n" + t("history.details.movements") + "\n", style="bold")
    if row.method == "swap":
        sold = [f"{amount_cell(r).lstrip('-')} {r.symbol}" for r in mine if r.direction == "out"]
        bought = [f"{amount_cell(r).lstrip('+')} {r.symbol}" for r in mine if r.direction == "in"]
        text.append("  " + t("history.details.swap", sold=", ".join(sold) or "—",
                             bought=", ".join(bought) or "—") + "\n")  # fmt: skip
    for r in mine:
        if r.kind == "approval":
            line = t("history.details.approval_line", spender=r.counterparty,
                     amount=amount_cell(r), symbol=r.symbol or r.asset)  # fmt: skip
        else:
            line = t("history.details.move_line", direction=t(f"history.dir.{r.direction}"),
                     amount=amount_cell(r), symbol=r.symbol or r.asset,
                     counterparty=r.counterparty)  # fmt: skip
        text.append("  " + line + "\n")
    flags = 0
    for r in mine:
        flags |= int(r.flags) if not r.dismissed else 0
    if flags:
        text.append("\n" + t("history.details.flags") + "\n", style="bold yellow")
        for name in flag_names(flags):
            text.append(f"  ⚠ {t(f'history.flag.{name}')}: ", style="bold yellow")
            text.append(t(f"history.explain.{name}") + "\n")
    return text


SOURCE_NAMES = {"coingecko": "CoinGecko"}


def value_at_time(
    day_prices: Any, row: HistoryRow, *, reading: bool = False
) -> tuple[str, str | None]:
    """(the row's value at its day's price or "—", a line saying what it is or why there is
    none): never a number the source did not give."""
    from wallet.day_prices import row_day, row_symbol
    from wallet.prices import fiat_text

    symbol = row_symbol(row)
    if symbol is None or day_prices is None:
        # No market (testnets, the demo's devnet, approvals, unlisted tokens) or prices off:
        # the dash alone, no line of explanation on every such transaction.
        return "—", None
    value = day_prices.value_of(row)
    day = row_day(row).isoformat()
    if value is not None:
        source = day_prices.source_name(row) or ""
        return fiat_text(value, day_prices.currency), t(
            "history.details.value_note", source=SOURCE_NAMES.get(source, source), day=day
        )
    if reading:
        return "—", t("history.details.value_reading")
    known, _ = day_prices.known(symbol, row_day(row))
    return "—", t("history.details.value_none" if known else "history.details.value_unknown",
                  day=day)  # fmt: skip


class HistoryDetailsScreen(Screen[None]):
    # Styles: tui/styles/history.tcss, read with the app's (see TermwalletApp.CSS_PATH).
    AUTO_FOCUS = "#details-scroll"
    BINDINGS = [
        Binding("escape", "close", "bind.history_close"),
        Binding("ctrl+s", "save", "bind.history_save", priority=True),
        Binding("w", "what_to_do", "bind.history_what"),
        Binding("u", "speed_up", "bind.bump_speed_up"),
        Binding("c", "speed_up('cpfp')", "bind.bump_cpfp"),
    ]

    def __init__(self, history: HistoryStore, row: HistoryRow, *, head: int | None) -> None:
        super().__init__()
        self.history = history
        self.row = row
        self.head = head
        self._rows: list[HistoryRow] = []
        self._current = row
        self._reading = False

    def _link(self) -> str | None:
        from wallet.history.model import explorer_link

        session = getattr(self.app, "session", None)
        network = getattr(session, "network", None)
        if network is None or network.id != self.row.network:
            from chains.networks import NETWORKS

            network = NETWORKS.get(self.row.network)
        return explorer_link(network, self.row.tx_hash)

    def compose(self) -> ComposeResult:
        rows = self.history.transaction(self.row.network, self.row.tx_hash)
        current = next((r for r in rows if r.id == self.row.id), self.row)
        self._rows, self._current = rows, current
        with Vertical(id="details-box"):
            yield Static(t("history.details.title"), classes="title")
            with VerticalScroll(id="details-scroll"):
                yield Static(self._text(), id="details-text")
                yield Static(t("history.details.label"), classes="history-label")
                yield Input(value=current.label, max_length=64, compact=True,
                            id="details-label")  # fmt: skip
                yield Static(t("history.details.note"), classes="history-label")
                yield TextArea(current.note, compact=True, id="details-note")
                yield Static("", id="details-status", classes="muted")
        yield Footer()

    @property
    def _day_prices(self) -> Any:
        return getattr(getattr(self.app, "session", None), "day_prices", None)

    def _text(self) -> Text:
        value = value_at_time(self._day_prices, self._current, reading=self._reading)
        return details_text(self._rows, self._current, self.head, self._link(), value)

    def on_mount(self) -> None:
        translate_bindings(self)
        self.watch(self.app, "language", self._language_changed, init=False)
        prices = self._day_prices
        if prices is not None and prices.missing([self._current]):
            self._reading = True
            self.query_one("#details-text", Static).update(self._text())
            self._read_value()

    @work(exclusive=True, group="history-day-price", exit_on_error=False)
    async def _read_value(self) -> None:
        """The day's price from the source, off the UI's way (the pane shows "—" meanwhile;
        a failure leaves it so)."""
        try:
            await self._day_prices.fill([self._current])
        finally:
            self._reading = False
            if self.is_attached:
                self.query_one("#details-text", Static).update(self._text())

    async def _language_changed(self, _: str) -> None:
        label = self.query_one("#details-label", Input).value
        note = self.query_one("#details-note", TextArea).text
        translate_bindings(self)
        await self.recompose()
        self.query_one("#details-label", Input).value = label
        self.query_one("#details-note", TextArea).text = note
        self.refresh_bindings()

    def action_save(self) -> None:
        label = self.query_one("#details-label", Input).value
        note = self.query_one("#details-note", TextArea).text
        self.history.set_label(self.row.network, self.row.tx_hash, label, note)
        self.query_one("#details-status", Static).update(t("history.details.saved"))

    def action_what_to_do(self) -> None:
        from tui.screens.history_what import HistoryWhatScreen

        self.app.push_screen(HistoryWhatScreen(self.history, self.row))

    def _bump_key(self) -> str | None:
        """The account that can speed this transaction up: an unconfirmed Bitcoin/Litecoin
        transaction of one of the session's accounts; None otherwise."""
        utxo = getattr(getattr(self.app, "session", None), "utxo", None)
        if utxo is None or self.row.block is not None or self.row.network not in utxo.networks:
            return None
        return utxo.key_of_tx(self.row.tx_hash)  # type: ignore[no-any-return]

    def action_speed_up(self, kind: str = "auto") -> None:
        status = self.query_one("#details-status", Static)
        key = self._bump_key()
        if key is None:
            return
        if not self.app.session.can_send:  # type: ignore[attr-defined]
            status.update(t("send.no_signer"))
            return
        status.update(t("bump.preparing"))
        if kind == "auto":
            # Our payment is replaced (RBF); a payment to us gets a child (CPFP). `c` asks for
            # a child for our own payment too (on its change), where replacements are refused.
            kind = "rbf" if self.row.direction in ("out", "self") else "cpfp"
        self._prepare_bump(key, kind)

    @work(exclusive=True, group="bump-prepare", exit_on_error=False)
    async def _prepare_bump(self, key: str, kind: str) -> None:
        from tui.errors import error_code
        from tui.screens.bump_review import BumpReviewScreen
        from tui.send_errors import utxo_error_text

        session = self.app.session  # type: ignore[attr-defined]
        status = self.query_one("#details-status", Static)
        net = session.utxo.network(key)
        try:
            review = await session.utxo.prepare_bump(
                key, self.row.tx_hash, kind, session.active_signer, tier="fast"
            )
        except Exception as exc:  # typed ones shown in place
            code = error_code(exc)
            if code is None:
                raise  # not ours: the app's one handler reports it
            status.update(Text(utxo_error_text(exc, net.symbol, net.decimals)))
            return
        status.update("")
        self.app.push_screen(BumpReviewScreen(key, review))

    def action_close(self) -> None:
        self.dismiss(None)

    def check_action(self, action: str, parameters: tuple[Any, ...]) -> bool | None:
        # While typing in the label or note, 'w' is a letter, not "what to do".
        if action in ("what_to_do", "speed_up") and isinstance(self.focused, Input | TextArea):
            return False
        if action == "speed_up" and self._bump_key() is None:
            return False  # confirmed, or not a Bitcoin/Litecoin account's: nothing to speed up
        return True
