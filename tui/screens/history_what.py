"""What to do about a flagged transaction: what each flag means and one key per action -
revoke an approval (signed here after a second press), move funds (opens Send), or a support
ticket prefilled with the transaction (through the support desk: the scrubber checks it, the
review screen shows exactly what is sent, then it is stored, queued and delivered). `k` clears
the flag once dealt with.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from tui.bindings import translate_bindings
from tui.errors import ReportsFailures
from tui.i18n import t
from tui.widgets.history_table import amount_cell

if TYPE_CHECKING:
    from wallet.activity import Action
    from wallet.history.model import HistoryRow
    from wallet.history.store import HistoryStore
    from wallet.support.tickets import PreparedTicket, SupportDesk, TicketDraft

ACTION_KEYS = {"revoke": "r", "move_funds": "m", "support": "t"}


def ticket_draft(row: HistoryRow, channel: str, network_name: str) -> TicketDraft:
    """The prefilled ticket: what was flagged and the transaction, nothing else. No secret can
    be in it (the wallet's data only); the desk's scrubber checks it anyway."""
    from wallet.activity import Flag, flag_names
    from wallet.support.channels import Channel
    from wallet.support.tickets import Category, TicketDraft

    failed_only = row.flags == Flag.FAILED
    names = ", ".join(t(f"history.flag.{n}") for n in flag_names(row.flags)) or "—"
    short = row.tx_hash[:10] + "…"
    return TicketDraft(
        category=Category.FEES if failed_only else Category.ABNORMAL_TRANSACTION,
        subject=t("history.what.ticket_subject_failed" if failed_only else
                  "history.what.ticket_subject", hash=short),
        description=t(
            "history.what.ticket_body", network=network_name, flags=names, hash=row.tx_hash,
            account=row.account, amount=amount_cell(row), symbol=row.symbol or row.asset,
            counterparty=row.counterparty or "—", status=t(f"history.status.{row.status}"),
            block="—" if row.block is None else row.block,
        ),
        transactions=(row.tx_hash,),
        channel=Channel(channel),
    )  # fmt: skip


class HistoryWhatScreen(ReportsFailures, Screen[None]):
    # Styles: tui/styles/history.tcss, read with the app's (see TermwalletApp.CSS_PATH).
    AUTO_FOCUS = "#what-scroll"
    BINDINGS = [
        Binding("escape", "close", "bind.history_close"),
        Binding("r", "revoke", "bind.history_revoke"),
        Binding("m", "move_funds", "bind.history_move"),
        Binding("t", "ticket", "bind.history_ticket"),
        Binding("k", "dismiss_flag", "bind.history_dismiss"),
    ]

    def __init__(self, history: HistoryStore, row: HistoryRow) -> None:
        super().__init__()
        self.history = history
        self.row = row
        self.desk: SupportDesk | None = None
        self.prepared: PreparedTicket | None = None
        self._revoke_armed = False

    @property
    def actions(self) -> list[Action]:
        from wallet.activity import advice

        return advice(self.row.flags)

    def compose(self) -> ComposeResult:
        from wallet.activity import flag_names

        text = Text()
        for name in flag_names(self.row.flags):
            text.append(f"⚠ {t(f'history.flag.{name}')}\n", style="bold yellow")
            text.append(t(f"history.explain.{name}") + "\n\n")
        if not self.row.flags:
            text.append(t("history.action_text.none") + "\n\n")
        for action in self.actions:
            key = ACTION_KEYS.get(action.value)
            text.append(("[" + key + "] " if key else "• ") + t(f"history.action.{action.value}"),
                        style="bold")  # fmt: skip
            text.append("\n  " + t(f"history.action_text.{action.value}",
                                   spender=self.row.counterparty,
                                   token=self.row.asset.split(":", 1)[-1],
                                   asset=self.row.symbol or self.row.asset) + "\n")  # fmt: skip
        with Vertical(id="what-box"):
            yield Static(Text(t("history.what.title") + " · " + self.row.tx_hash[:18] + "…"),
                         classes="title")  # fmt: skip
            with VerticalScroll(id="what-scroll"):
                yield Static(text, id="what-text")
            yield Static("", id="what-status", classes="muted")
        yield Footer()

    def on_mount(self) -> None:
        translate_bindings(self)
        self.watch(self.app, "language", self._language_changed, init=False)

    async def _language_changed(self, _: str) -> None:
        translate_bindings(self)
        await self.recompose()
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        offered = {a.value for a in self.actions}
        if action == "revoke":
            return "revoke" in offered
        if action == "move_funds":
            return "move_funds" in offered
        if action == "ticket":
            return "support" in offered
        if action == "dismiss_flag":
            return bool(self.row.flags) and not self.row.dismissed
        return True

    def _status(self, text: str) -> None:
        self.query_one("#what-status", Static).update(Text(text))

    def action_close(self) -> None:
        self.dismiss(None)

    def action_revoke(self) -> None:
        """First press: say exactly what will be signed. Second press: sign approve(spender, 0)
        with the wallet's signer (wallet/swap.py's revoke: stored in the outbox before it is
        broadcast, like every send)."""
        token = self.row.asset.split(":", 1)[-1]
        session = getattr(self.app, "session", None)
        if session is None or not getattr(session, "can_send", False):
            self._status(t("history.action_text.revoke", spender=self.row.counterparty,
                           token=token) + "\n" + t("history.what.no_send"))  # fmt: skip
            return
        if not self._revoke_armed:
            self._revoke_armed = True
            self._status(t("history.what.revoke_confirm", spender=self.row.counterparty,
                           token=token))  # fmt: skip
            return
        self._revoke_armed = False
        self._status(t("history.what.revoking"))
        self._revoke(token)

    @work(exclusive=True, group="history-revoke", exit_on_error=False)
    async def _revoke(self, token: str) -> None:
        from wallet.swap import swapper_for

        session = self.app.session  # type: ignore[attr-defined]
        swapper = swapper_for(session, getattr(self.app.services, "settings", None))
        try:
            entry = await swapper.revoke(
                self.row.account, session.path_of(self.row.account), token,
                self.row.counterparty, session.active_signer,
            )  # fmt: skip
        finally:
            await swapper.aclose()
        message = t("history.what.revoked", hash=entry.tx_hash, state=entry.state.value)
        self._status(message)
        self.notify(message, timeout=10, markup=False)

    def action_move_funds(self) -> None:
        session = getattr(self.app, "session", None)
        if session is None or not getattr(session, "can_send", False):
            self._status(t("history.what.no_send"))
            return
        from tui.screens.send import SendScreen

        self.app.push_screen(SendScreen(self.row.asset))

    def action_dismiss_flag(self) -> None:
        for r in self.history.transaction(self.row.network, self.row.tx_hash):
            if r.account == self.row.account:
                self.history.dismiss(r.id)
        self.dismiss(None)

    def action_ticket(self) -> None:
        if getattr(self.app, "session", None) is None:
            self._status(t("history.what.no_desk"))
            return
        self._prepare_ticket()

    @work(exclusive=True, group="history-ticket", exit_on_error=False)
    async def _prepare_ticket(self) -> None:
        from tui.screens.support import gather_diagnostics, support_settings_for
        from tui.screens.support_review import ReviewTicketScreen
        from tui.widgets.support_channels import CHANNELS, channel_ready
        from wallet.support.tickets import desk_for

        session = self.app.session  # type: ignore[attr-defined]
        settings = await asyncio.to_thread(support_settings_for, self.app)
        ready = [c for c in CHANNELS if channel_ready(c, settings)]
        if not ready:
            self._status(t("history.what.no_channel"))
            return
        self.desk = desk_for(session, settings)
        draft = ticket_draft(self.row, ready[0], session.network.name)
        diagnostics = await gather_diagnostics(self.app)
        known = self.history.tx_hashes(limit=1000)
        self.prepared = await asyncio.to_thread(
            self.desk.prepare, draft, diagnostics, known_tx_hashes=known
        )
        self.app.push_screen(ReviewTicketScreen(self.prepared, settings), self._reviewed)

    def _reviewed(self, send: bool | None) -> None:
        if send and self.prepared is not None:
            self._submit()

    @work(exclusive=True, group="history-ticket-send", exit_on_error=False)
    async def _submit(self) -> None:
        assert self.desk is not None and self.prepared is not None
        ticket = self.desk.submit(self.prepared)
        report = await self.desk.deliver(only_ticket=ticket.id)
        key = "ticket_sent" if ticket.reference in report.sent else "ticket_queued"
        message = t(f"history.what.{key}", reference=ticket.reference)
        self._status(message)
        self.notify(message, timeout=10, markup=False)
