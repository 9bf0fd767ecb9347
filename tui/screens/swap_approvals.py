"""The allowances this wallet granted for swaps, what each is worth on chain now, and revoke
(approve 0) for the highlighted one."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from tui.bindings import translate_bindings
from tui.errors import ReportsFailures, error_code
from tui.i18n import t
from tui.send_errors import swap_error_text
from wallet.view import amount_text

if TYPE_CHECKING:
    from wallet.session import WalletSession
    from wallet.swap import Approval, Swapper


class SwapApprovalsScreen(ReportsFailures, Screen[None]):
    CSS_PATH = "../styles/swap.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "revoke", "bind.swap_revoke"),
        Binding("escape", "back", "bind.swap_back"),
    ]

    def __init__(self, swapper: Swapper) -> None:
        super().__init__()
        self.swapper = swapper
        self.approvals: list[Approval] = []

    @property
    def session(self) -> WalletSession:
        return self.app.session  # type: ignore[attr-defined,no-any-return]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="swap-approvals-body"):
            yield Static(t("swap.approvals.title"), classes="title")
            table: DataTable[str] = DataTable(id="swap-approvals", cursor_type="row")
            table.add_column(t("swap.approvals.token"), key="token")
            table.add_column(t("swap.approvals.spender"), key="spender")
            table.add_column(t("swap.approvals.current"), key="current")
            yield table
            yield Static(t("swap.approvals.loading"), id="swap-approvals-status", classes="note")
        yield Footer()

    def on_mount(self) -> None:
        translate_bindings(self)
        self._load()

    def action_back(self) -> None:
        self.app.pop_screen()

    def _symbol(self, token: str) -> tuple[str, int]:
        for a in self.session.assets:
            if a.contract is not None and a.contract.lower() == token.lower():
                return a.symbol, a.decimals
        return token[:10] + "…", 0

    @work(exclusive=True, group="swap-approvals", exit_on_error=False)
    async def _load(self) -> None:
        status = self.query_one("#swap-approvals-status", Static)
        self.approvals = await self.swapper.approvals(self.session.addresses[0])
        table = self.query_one("#swap-approvals", DataTable)
        table.clear()
        from wallet.swap import UNLIMITED

        for i, a in enumerate(self.approvals):
            symbol, decimals = self._symbol(a.token)
            current = (t("swap.review.unlimited") if a.current >= UNLIMITED // 2
                       else amount_text(a.current, decimals))  # fmt: skip
            table.add_row(Text(symbol), Text(a.spender), Text(current, justify="right"), key=str(i))
        status.update(t("swap.approvals.none") if not self.approvals else t("swap.approvals.hint"))

    def action_revoke(self) -> None:
        table = self.query_one("#swap-approvals", DataTable)
        if not self.approvals or table.cursor_row is None:
            return
        a = self.approvals[table.cursor_row]
        if a.current == 0:
            self.query_one("#swap-approvals-status", Static).update(t("swap.approvals.zero"))
            return
        self._revoke(a)

    @work(exclusive=True, group="swap-revoke", exit_on_error=False)
    async def _revoke(self, a: Approval) -> None:
        status = self.query_one("#swap-approvals-status", Static)
        s = self.session
        status.update(t("swap.approvals.revoking"))
        try:
            owner = s.addresses[0]
            entry = await self.swapper.revoke(owner, s.path_of(owner), a.token, a.spender,
                                              s.active_signer)  # fmt: skip
        except Exception as exc:
            code = error_code(exc)
            if code is None:
                raise
            status.update(Text(swap_error_text(exc)))
            return
        status.update(t("swap.approvals.revoked", tx=entry.tx_hash, state=entry.state.value))
        self._load()
