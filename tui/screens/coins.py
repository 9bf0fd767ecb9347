"""Coin control for a Bitcoin/Litecoin account: its unspent coins with labels (BIP329, from
`termwallet labels import` or another wallet), freeze/unfreeze, and a payment that spends
exactly the coins chosen (max: all of them). Pushed from Assets (`c` on a BTC/LTC row).

Frozen coins are never spent by automatic selection (wallet/coin_control.py) and cannot be
chosen here until unfrozen. Labels are outside text: shown as plain Text, never markup.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from tui.bindings import translate_bindings
from tui.errors import error_code, user_message
from tui.i18n import t
from tui.widgets.history_table import short_address
from wallet.view import amount_text

if TYPE_CHECKING:
    from wallet.coin_control import CoinRow
    from wallet.utxo_portfolio import UtxoPortfolio

# The coin (its outpoint), the whole address and the whole label are on the line under the
# table, for the highlighted coin: at 80 columns the table has room for the rest only (a
# column for each cut the address and pushed the label off the screen).
COLUMNS = ("state", "amount", "confirmations", "address", "label")
LABEL_CELLS = 20


class CoinsScreen(Screen[None]):
    CSS_PATH = "../styles/coins.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "pick", "bind.coins_pick"),
        Binding("f", "freeze", "bind.coins_freeze"),
        Binding("s", "send", "bind.coins_send"),
        Binding("ctrl+r", "refresh", "bind.refresh"),
        Binding("escape", "back", "bind.coins_back"),
    ]

    rows: reactive[tuple[CoinRow, ...] | None] = reactive(None, init=False)

    def __init__(self, key: str) -> None:
        super().__init__()
        self.key = key
        self.chosen: list[str] = []
        self.tip = 0

    @property
    def utxo(self) -> UtxoPortfolio:
        utxo = self.app.session.utxo  # type: ignore[attr-defined]
        assert utxo is not None
        return utxo  # type: ignore[no-any-return]

    def compose(self) -> ComposeResult:
        from tui.screens.send_utxo import row_name

        net, acct = self.utxo.network(self.key), self.utxo.account(self.key)
        kind = t(f"utxo.script_{acct.script.value}")
        with Vertical(id="coins-body"):
            name = row_name(net.name, kind, acct.account_index)
            yield Static(Text(t("coins.title", account=name)), classes="title")
            yield DataTable(id="coins-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="coins-detail")
            yield Static(t("coins.loading"), id="coins-note", classes="note")
            yield Static(t("coins.hint"), id="coins-hint", classes="muted")
        yield Footer()

    def on_mount(self) -> None:
        translate_bindings(self)
        table = self.query_one("#coins-table", DataTable)
        for c in COLUMNS:
            table.add_column(t(f"coins.col.{c}"), key=c)
        self._load()

    @work(exclusive=True, group="coins-load", exit_on_error=False)
    async def _load(self) -> None:
        note = self.query_one("#coins-note", Static)
        try:
            rows = await self.utxo.coin_rows(self.key)
        except Exception as exc:  # typed ones shown in place
            if error_code(exc) is None:
                raise  # not ours: the app's one handler reports it
            note.update(Text(t("coins.not_read", reason=user_message(exc))))
            note.add_class("warning")
            return
        result = self.utxo.results.get(self.key)
        self.tip = result.tip if result is not None else 0
        note.remove_class("warning")
        self.chosen = [o for o in self.chosen if any(r.outpoint == o for r in rows)]
        self.rows = tuple(rows)

    def watch_rows(self, rows: tuple[CoinRow, ...] | None) -> None:
        table = self.query_one("#coins-table", DataTable)
        cursor = table.cursor_row
        table.clear()
        net = self.utxo.network(self.key)
        for r in rows or ():
            table.add_row(*self._cells(r, net.decimals, net.symbol), key=r.outpoint)
        if rows and cursor is not None:
            table.move_cursor(row=min(cursor, len(rows) - 1))
        self._show_chosen()
        self._show_detail()

    def _cells(self, r: CoinRow, decimals: int, symbol: str) -> list[Text]:
        marks = []
        if r.outpoint in self.chosen:
            marks.append("✓")
        if r.frozen:
            marks.append(t("coins.frozen"))
        if r.reserved:
            marks.append(t("coins.reserved"))
        conf = (
            t("coins.confirmations", n=self.tip - r.height + 1)
            if r.height > 0
            else t("coins.unconfirmed")
        )
        label = Text(r.label)  # outside text: a Text is never read as markup
        label.truncate(LABEL_CELLS, overflow="ellipsis")  # by cells: Chinese labels too
        return [
            Text(" ".join(marks), style="bold" if r.frozen else ""),
            Text(amount_text(r.value, decimals) + f" {symbol}", justify="right"),
            Text(conf),
            Text(short_address(r.address)),
            label,
        ]

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        """The highlighted coin in full: its outpoint, address and label."""
        row = self._highlighted()
        detail = self.query_one("#coins-detail", Static)
        if row is None:
            detail.update("")
            return
        key = "coins.detail_labelled" if row.label else "coins.detail"
        detail.update(Text(t(key, coin=row.outpoint, address=row.address, label=row.label)))

    def _show_chosen(self) -> None:
        note = self.query_one("#coins-note", Static)
        rows = self.rows or ()
        if not rows:
            note.update(t("coins.empty") if self.rows is not None else t("coins.loading"))
            return
        net = self.utxo.network(self.key)
        total = sum(r.value for r in rows if r.outpoint in self.chosen)
        amount = amount_text(total, net.decimals) + f" {net.symbol}"
        note.update(t("coins.chosen", n=len(self.chosen), amount=amount) if self.chosen else "")

    def _highlighted(self) -> CoinRow | None:
        table = self.query_one("#coins-table", DataTable)
        if not self.rows or table.cursor_row is None:
            return None
        return self.rows[table.cursor_row] if table.cursor_row < len(self.rows) else None

    def action_pick(self) -> None:
        row = self._highlighted()
        if row is None:
            return
        if row.outpoint in self.chosen:
            self.chosen.remove(row.outpoint)
        elif row.frozen:
            self.notify(t("coins.pick_frozen"), severity="warning", timeout=5)
            return
        elif row.reserved:
            self.notify(t("coins.pick_reserved"), severity="warning", timeout=5)
            return
        else:
            self.chosen.append(row.outpoint)
        self.mutate_reactive(CoinsScreen.rows)

    def action_freeze(self) -> None:
        from dataclasses import replace

        from wallet.coin_control import CoinControl

        row = self._highlighted()
        if row is None or self.rows is None:
            return
        frozen = not row.frozen
        CoinControl(self.app.session.store).set_frozen([row.outpoint], frozen)  # type: ignore[attr-defined]
        if frozen and row.outpoint in self.chosen:
            self.chosen.remove(row.outpoint)
        self.rows = tuple(replace(r, frozen=frozen) if r is row else r for r in self.rows)
        self.notify(
            t("coins.now_frozen" if frozen else "coins.now_unfrozen", outpoint=row.outpoint),
            timeout=4,
        )

    def action_send(self) -> None:
        if not self.chosen:
            self.notify(t("coins.pick_none"), timeout=4)
            return
        from tui.screens.send_utxo import SendUtxoScreen

        self.app.push_screen(SendUtxoScreen(self.key, coins=tuple(self.chosen)))

    def action_refresh(self) -> None:
        self._load()

    def action_back(self) -> None:
        self.app.pop_screen()
