"""The ticket list: status, channel, submitted at, reply expected by; overdue rows stand out
(colour and the word, so it does not rely on colour alone)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import DataTable

from tui.i18n import t

if TYPE_CHECKING:
    from wallet.support.tickets import Ticket

OVERDUE_STYLE = "bold red"


def fmt_time(when: datetime) -> str:
    """Local time, to the minute, with the zone: a promise is only useful with its zone."""
    return when.astimezone().strftime("%Y-%m-%d %H:%M %Z").strip()


def fmt_short(when: datetime) -> str:
    return when.astimezone().strftime("%m-%d %H:%M")


class TicketTable(DataTable[Text]):
    def __init__(self, **kwargs: str) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.overdue: frozenset[str] = frozenset()

    def on_mount(self) -> None:
        for key in ("ref", "status", "channel", "submitted", "due", "subject"):
            self.add_column(t(f"support.cli.col_{key}"), key=key)

    def show(self, tickets: Sequence[Ticket], now: datetime) -> None:
        """Redraw, keeping the cursor on the same ticket when it is still listed."""
        current = self.highlighted_reference()
        self.clear()
        late: set[str] = set()
        for tk in tickets:
            overdue = tk.overdue(now)
            style = OVERDUE_STYLE if overdue else ""
            due = fmt_short(tk.reply_due_at)
            if overdue:
                late.add(tk.reference)
                due += f" {t('support.cli.overdue')}"
            self.add_row(
                Text(tk.reference, style=style),
                Text(t(f"support.status.{tk.status.value}"), style=style),
                Text(t(f"support.channel.{tk.channel.value}"), style=style),
                Text(fmt_short(tk.submitted_at), style=style),
                Text(due, style=style),
                Text(tk.subject, style=style),
                key=tk.reference,
            )
        self.overdue = frozenset(late)
        if current is not None and current in {tk.reference for tk in tickets}:
            self.move_cursor(row=self.get_row_index(current))

    def highlighted_reference(self) -> str | None:
        if self.row_count == 0:
            return None
        row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        return row_key.value
