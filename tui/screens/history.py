"""History: every transaction of the wallet's accounts, newest first, with filters, search,
a details view, CSV export and abnormal activity flagged (wallet/activity.py).

The table is virtual (tui/widgets/history_table.py): filters change the query, the table asks
the store for the rows on screen only. Syncing runs in a worker: on opening, on ctrl+r, and
every minute while the screen exists; new flagged rows raise a notification.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Static

from tui.errors import error_code, user_message
from tui.i18n import t, tn
from tui.screens.base import MainScreen
from tui.widgets.history_table import HistoryTable, header_text, short_address
from wallet.view import amount_text

if TYPE_CHECKING:
    from wallet.history.model import HistoryQuery, HistoryRow
    from wallet.history.store import HistoryStore
    from wallet.session import SessionStatus

SYNC_EVERY_SECONDS = 60
# A search matching more rows than this shows the newest this many (wallet/history/
# count_upto: counting and sorting every match of "0x" is what made typing slow).
SEARCH_ROWS = 2_000
DIRECTIONS: tuple[str | None, ...] = (None, "in", "out", "self")


class HistoryScreen(MainScreen):
    name_key = "history"
    # Styles: tui/styles/history.tcss, read with the app's (see TermwalletApp.CSS_PATH).
    AUTO_FOCUS = "#history-table"
    BINDINGS = [
        Binding("slash", "search", "bind.history_search"),
        # The filter keys are shown on the filter line, next to what they change: in the
        # footer they pushed Quit and the language key off an 80-column terminal.
        Binding("x", "flagged", "bind.history_flagged", show=False),
        Binding("d", "direction", "bind.history_direction", show=False),
        Binding("a", "asset", "bind.history_asset", show=False),
        Binding("c", "account", "bind.history_account", show=False),
        # What to do and Export are in the command palette (palette_commands) and keep their
        # keys: with them the footer did not fit 80 columns (issue 21).
        Binding("w", "what_to_do", "bind.history_what", show=False),
        Binding("e", "export", "bind.history_export", show=False),
        Binding("ctrl+r", "sync", "bind.history_sync"),
        Binding("escape", "focus_table", show=False),
    ]

    # The actions the palette offers on this screen: (action, key of its name in [bind], key of
    # its help in [history.palette]). Each keeps its key binding too.
    PALETTE: tuple[tuple[str, str, str], ...] = (
        ("what_to_do", "bind.history_what", "history.palette.what_help"),
        ("export", "bind.history_export", "history.palette.export_help"),
        ("flagged", "bind.history_flagged", "history.palette.flagged_help"),
        ("direction", "bind.history_direction", "history.palette.direction_help"),
        ("asset", "bind.history_asset", "history.palette.asset_help"),
        ("account", "bind.history_account", "history.palette.account_help"),
    )

    def __init__(self) -> None:
        super().__init__()
        self.history: HistoryStore | None = None
        self.direction: str | None = None
        self.asset: str | None = None
        self.account: str | None = None
        self.flagged_only = False
        self.search = ""
        self.since: int | None = None
        self.until: int | None = None
        self.head: int | None = None
        self.sync_error: str | None = None
        self._assets: list[tuple[str, str]] = []
        self._accounts: list[str] = []
        self._timer: Any = None
        self._many = False  # the search matches more than SEARCH_ROWS rows
        self._composed = False

    def palette_commands(self) -> Iterable[SystemCommand]:
        """This screen's entries of the command palette (TermwalletApp.get_system_commands)."""
        for action, name, help_key in self.PALETTE:
            yield SystemCommand(
                t("history.palette.title", action=t(name)),
                t(help_key),
                getattr(self, f"action_{action}"),
            )

    def compose_body(self) -> ComposeResult:
        with Vertical(id="history-body", classes="body"):
            with Horizontal(id="history-filterbar"):
                yield Input(value=self.search, placeholder=t("history.search_placeholder"),
                            id="history-search", compact=True)  # fmt: skip
                yield Input(placeholder=t("history.since_placeholder"), id="history-since",
                            compact=True, max_length=10)  # fmt: skip
                yield Input(placeholder=t("history.until_placeholder"), id="history-until",
                            compact=True, max_length=10)  # fmt: skip
            yield Static("", id="history-filters", classes="muted")
            yield Static(t("history.waiting"), id="history-note")
            yield Static("", id="history-header")
            yield HistoryTable(id="history-table")
            yield Static("", id="history-summary")

    def on_mount(self) -> None:
        super().on_mount()
        # Textual sets is_mounted only after on_mount returns; the widgets exist from here,
        # and the saved rows must be in the first frame, not wait for the sync to end.
        self._composed = True
        self.watch(self.app, "status", self._status_changed, init=True)

    async def _language_changed(self, language: str) -> None:
        await super()._language_changed(language)
        self._requery(keep_cursor=True)

    def _status_changed(self, status: SessionStatus | None) -> None:
        session = getattr(self.app, "session", None)
        if status is None or session is None:
            return
        if self.history is None or self.history.store is not session.store:
            from wallet.history.store import HistoryStore

            self.history = HistoryStore(session.store)
        if not session.addresses and not self.history.count():
            self._put("#history-note", t("history.no_accounts"))
            return
        self._requery()
        # After the first frame: the sync's imports and requests must not delay the table.
        self.call_after_refresh(self.action_sync)
        if self._timer is None:
            self._timer = self.set_interval(SYNC_EVERY_SECONDS, self.action_sync)

    # -- the query ---------------------------------------------------------------------------

    @property
    def query_model(self) -> HistoryQuery:
        from wallet.history.model import HistoryQuery

        return HistoryQuery(
            accounts=(self.account,) if self.account else (),
            asset=self.asset,
            direction=self.direction,
            since=self.since,
            until=self.until,
            search=self.search,
            flagged=self.flagged_only,
        )

    def _requery(self, *, keep_cursor: bool = False) -> None:
        if self.history is None or not self._composed:
            return
        hs, q = self.history, self.query_model
        self._accounts, self._assets = hs.facets()
        table = self.query_one("#history-table", HistoryTable)
        # A search is counted only up to SEARCH_ROWS (the first keys of a hash match everything).
        upto = hs.count_upto(q, SEARCH_ROWS) if q.search.strip() else None
        many = self._many = upto is not None and upto > SEARCH_ROWS
        shown = None if upto is None else min(upto, SEARCH_ROWS)
        table.set_source(
            (lambda: hs.count(q)) if shown is None else (lambda: shown),
            lambda offset, limit: hs.page(q, offset, limit, many=many),
            keep_cursor=keep_cursor,
        )
        self._put("#history-header", header_text(table.size.width or 78))
        self._show_filters()
        self._show_note(table.row_count)
        self._show_summary(table.current)

    def on_resize(self) -> None:
        table = self.query_one("#history-table", HistoryTable)
        self._put("#history-header", header_text(table.size.width or 78))

    def _put(self, selector: str, content: Any) -> None:
        """Update a line only when its text changes: every update re-lays out the screen,
        and that, not the query, is most of a filter's cost."""
        box = self.query_one(selector, Static)
        key = str(content)
        if getattr(box, "_history_text", None) != key:
            box._history_text = key  # type: ignore[attr-defined]
            box.update(content)

    def _show_filters(self) -> None:
        """One line: each filter with its key. A Text, not markup: asset symbols come from
        token contracts, and "[" in one must not be read as styling."""
        every = t("history.all")
        asset = dict(self._assets).get(self.asset or "", None) or every
        values = (
            ("d", "direction", t(f"history.dir.{self.direction}") if self.direction else every),
            ("a", "asset", asset),
            ("c", "account", short_address(self.account) if self.account else every),
            ("x", "flagged", t("history.only") if self.flagged_only else every),
        )
        line = Text()
        for i, (key, name, value) in enumerate(values):
            if i:
                line.append(" · ")
            # The space goes with the key: SVG viewers drop a text run's leading space.
            line.append(key + " ", style="bold")
            line.append(t(f"history.filter.{name}", value=value))
        self._put("#history-filters", line)

    def _show_note(self, rows: int) -> None:
        note = self.query_one("#history-note", Static)
        assert self.history is not None
        # Before a failed sync's message: it answers what the user has just typed, and the
        # sync's message comes back when the search is narrower or cleared.
        if self._many:
            note.set_class(False, "warning")
            self._put("#history-note", t("history.search_many", shown=SEARCH_ROWS))
            return
        if self.sync_error is not None:
            # The template ends the reason's sentence itself (no "..", no "。。").
            reason = self.sync_error.rstrip(".。 ")
            self._put("#history-note", Text(t("history.sync_failed", reason=reason)))
            note.set_class(True, "warning")
            return
        note.set_class(False, "warning")
        if rows == 0:
            filtered = self.query_model != type(self.query_model)()
            self._put("#history-note", t("history.empty_filtered" if filtered else "history.empty"))
            return
        from wallet.history.model import HistoryQuery

        flagged = self.history.count(HistoryQuery(flagged=True))
        if self.head is None:
            self._put(
                "#history-note", tn("history.synced_no_block", rows, rows=rows, flagged=flagged)
            )
        else:
            self._put(
                "#history-note",
                tn("history.synced", rows, rows=rows, flagged=flagged, block=self.head),
            )

    def _show_summary(self, row: HistoryRow | None) -> None:
        if row is None:
            self._put("#history-summary", "")
            return
        from wallet.activity import flag_names
        from wallet.history.model import native_of

        symbol, decimals = native_of(row.network)
        fee = "—" if row.fee is None else f"{amount_text(row.fee, decimals, 8)} {symbol}"
        text = Text(t("history.summary", hash=row.tx_hash, counterparty=row.counterparty,
                      fee=fee))  # fmt: skip
        if row.flagged:
            names = ", ".join(t(f"history.flag.{n}") for n in flag_names(row.flags))
            text.append("\n" + t("history.summary_flags", flags=names), style="bold yellow")
        self._put("#history-summary", text)

    @on(HistoryTable.Highlighted)
    def _highlighted(self, event: HistoryTable.Highlighted) -> None:
        self._show_summary(event.row)

    @on(HistoryTable.Selected)
    def _selected(self, event: HistoryTable.Selected) -> None:
        from tui.screens.history_details import HistoryDetailsScreen

        assert self.history is not None
        self.app.push_screen(
            HistoryDetailsScreen(self.history, event.row, head=self.head),
            lambda _: self._requery(keep_cursor=True),
        )

    # -- filters -----------------------------------------------------------------------------

    @on(Input.Changed, "#history-search")
    def _search_changed(self, event: Input.Changed) -> None:
        self.search = event.value
        self._requery()

    @on(Input.Changed, "#history-since, #history-until")
    def _date_changed(self, event: Input.Changed) -> None:
        from wallet.history.model import BadFilter, parse_day

        text = event.value.strip()
        value: int | None = None
        if text:
            try:
                value = parse_day(text)
            except BadFilter:
                event.input.set_class(len(text) >= 10, "invalid-date")
                if len(text) >= 10:
                    self.notify(t("history.bad_date"), severity="warning", timeout=4)
                return
        event.input.set_class(False, "invalid-date")
        if event.input.id == "history-since":
            self.since = value
        else:
            self.until = None if value is None else value + 86_400  # the whole "to" day
        self._requery()

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_focus_table()

    def action_focus_table(self) -> None:
        self.query_one("#history-table", HistoryTable).focus()

    def action_search(self) -> None:
        self.query_one("#history-search", Input).focus()

    def action_flagged(self) -> None:
        self.flagged_only = not self.flagged_only
        self._requery()

    def action_direction(self) -> None:
        self.direction = DIRECTIONS[(DIRECTIONS.index(self.direction) + 1) % len(DIRECTIONS)]
        self._requery()

    def action_asset(self) -> None:
        keys: list[str | None] = [None, *(k for k, _ in self._assets)]
        i = keys.index(self.asset) if self.asset in keys else 0
        self.asset = keys[(i + 1) % len(keys)]
        self._requery()

    def action_account(self) -> None:
        keys: list[str | None] = [None, *self._accounts]
        i = keys.index(self.account) if self.account in keys else 0
        self.account = keys[(i + 1) % len(keys)]
        self._requery()

    # -- what to do, export --------------------------------------------------------------------

    def action_what_to_do(self) -> None:
        from tui.screens.history_what import HistoryWhatScreen

        row = self.query_one("#history-table", HistoryTable).current
        if row is None or self.history is None:
            return
        self.app.push_screen(
            HistoryWhatScreen(self.history, row), lambda _: self._requery(keep_cursor=True)
        )

    def action_export(self) -> None:
        session = getattr(self.app, "session", None)
        if self.history is None or session is None:
            return
        self._export(session.store.path.parent / "exports")

    @work(exclusive=True, group="history-export", exit_on_error=False)
    async def _export(self, folder: Any) -> None:
        from datetime import UTC, datetime

        assert self.history is not None
        path = folder / f"history-{datetime.now(UTC).strftime('%Y%m%d-%H%M%S')}.csv"
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            with path.open("w", encoding="utf-8", newline="") as fh:
                count = self.history.export_csv(fh, self.query_model)
            path.chmod(0o600)
        except OSError as exc:
            # The user's own folder and the system's reason: what they need to fix it.
            self.notify(t("history.export_failed", path=str(path),
                          reason=exc.strerror or type(exc).__name__),
                        severity="error", timeout=15, markup=False)  # fmt: skip
            return
        # markup=False: a path may hold "[" (a folder name), and it is shown as it is.
        self.notify(
            tn("history.exported", count, count=count, path=str(path)), timeout=8, markup=False
        )

    # -- sync ----------------------------------------------------------------------------------

    def action_sync(self) -> None:
        session = getattr(self.app, "session", None)
        if session is None or self.history is None:
            return
        if not session.addresses and not getattr(session, "utxo", None):
            return
        self._put("#history-note", t("history.syncing", network=session.network.name))
        self._sync()

    @work(exclusive=True, group="history-sync", exit_on_error=False)
    async def _sync(self) -> None:
        from wallet.history.sync import sync_wallet_history

        session = self.app.session  # type: ignore[attr-defined]
        config = getattr(getattr(self.app.services, "paths", None), "config_file", None)
        report, errors = await sync_wallet_history(session, config)
        # Shown in place (the saved history stays useful); the codes go to diagnostics.
        self.sync_error = user_message(errors[0]) if errors else None
        for exc in errors:
            self.app.recent_errors.append(error_code(exc) or type(exc).__name__)  # type: ignore[attr-defined]
        if report is not None:
            self.head = report.head
        self._requery(keep_cursor=True)
        if report is not None and report.flagged:
            self.notify(tn("history.flag_notice", len(report.flagged), count=len(report.flagged)),
                        severity="warning", timeout=12)  # fmt: skip
