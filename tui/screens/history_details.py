"""One transaction: time, status, confirmations, fee, every movement of the account (a swap
shown as what went out and what came in), the explorer link, flags, and the user's label and
note (saved with ctrl+s). `w` opens "what to do"."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from rich.cells import cell_len
from rich.text import Text
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
    rows: list[HistoryRow], row: HistoryRow, head: int | None, link: str | None
) -> Text:
    """The details of `row`'s transaction as the user reads them (also used by the CLI)."""
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
    # Terminal cells, not characters: a CJK label takes two cells a character, so padding by
    # len() left the zh-CN values out of line.
    width = max(cell_len(k) for k, _ in lines) + 2
    text = Text()
    for k, v in lines:
        label = f"{k}:"
        text.append(label + " " * (width - cell_len(label)), style="bold")
        text.append(v + "\n")
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


class HistoryDetailsScreen(Screen[None]):
    # Styles: tui/styles/history.tcss, read with the app's (see TermwalletApp.CSS_PATH).
    AUTO_FOCUS = "#details-scroll"
    BINDINGS = [
        Binding("escape", "close", "bind.history_close"),
        Binding("ctrl+s", "save", "bind.history_save", priority=True),
        Binding("w", "what_to_do", "bind.history_what"),
    ]

    def __init__(self, history: HistoryStore, row: HistoryRow, *, head: int | None) -> None:
        super().__init__()
        self.history = history
        self.row = row
        self.head = head

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
        with Vertical(id="details-box"):
            yield Static(t("history.details.title"), classes="title")
            with VerticalScroll(id="details-scroll"):
                yield Static(details_text(rows, current, self.head, self._link()),
                             id="details-text")  # fmt: skip
                yield Static(t("history.details.label"), classes="history-label")
                yield Input(value=current.label, max_length=64, compact=True,
                            id="details-label")  # fmt: skip
                yield Static(t("history.details.note"), classes="history-label")
                yield TextArea(current.note, compact=True, id="details-note")
                yield Static("", id="details-status", classes="muted")
        yield Footer()

    def on_mount(self) -> None:
        translate_bindings(self)
        self.watch(self.app, "language", self._language_changed, init=False)

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

    def action_close(self) -> None:
        self.dismiss(None)

    def check_action(self, action: str, parameters: tuple[Any, ...]) -> bool | None:
        # While typing in the label or note, 'w' is a letter, not "what to do".
        if action == "what_to_do" and isinstance(self.focused, Input | TextArea):
            return False
        return True
