"""The searchable FAQ: a search box that filters as you type, the matching questions, and the
answer of the highlighted one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.reactive import reactive
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from tui.errors import ReportsFailures
from tui.i18n import language, t

if TYPE_CHECKING:
    from wallet.support.config import SupportSettings
    from wallet.support.faq import FaqEntry


class FaqBrowser(ReportsFailures, Vertical):
    # From the search box, down or enter moves to the questions (the list handles its own keys).
    BINDINGS = [
        Binding("down", "to_list", show=False),
        Binding("escape", "to_list", show=False),
    ]

    # The entries matching the search box, in rank order; None until the catalog is read.
    matches: reactive[tuple[FaqEntry, ...] | None] = reactive(None, init=False)

    def __init__(self, settings: SupportSettings | None = None, **kwargs: str) -> None:
        super().__init__(**kwargs)
        self._settings = settings
        self._entries: dict[str, FaqEntry] = {}

    def compose(self) -> ComposeResult:
        yield Input(placeholder=t("support.screen.search"), id="faq-search", compact=True)
        yield OptionList(id="faq-list", compact=True)
        with VerticalScroll(id="faq-answer-box"):
            yield Static(t("support.screen.faq_pick"), id="faq-answer", classes="muted")

    def on_mount(self) -> None:
        self.load(self._settings)

    def load(self, settings: SupportSettings | None) -> None:
        """(Re)read the catalog for the current language; the reply times in the answers come
        from `settings`."""
        self._settings = settings
        self._search(self.query_one("#faq-search", Input).value)

    @on(Input.Changed, "#faq-search")
    def _typed(self, event: Input.Changed) -> None:
        self._search(event.value)

    @work(exclusive=True, group="support-faq", exit_on_error=False, thread=True)
    def _search(self, query: str) -> None:
        # A thread: the first call reads the catalog file; later ones filter the cached copy.
        from wallet.support.faq import search

        found = tuple(search(query, language(), self._settings))
        # A newer keystroke started another search: its answer is the one to show.
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._set_matches, found)

    def _set_matches(self, found: tuple[FaqEntry, ...]) -> None:
        self.matches = found

    def watch_matches(self, matches: tuple[FaqEntry, ...] | None) -> None:
        if matches is None:
            return
        self._entries = {e.id: e for e in matches}
        options = self.query_one("#faq-list", OptionList)
        options.clear_options()
        options.add_options([Option(Text(e.question), id=e.id) for e in matches])
        if matches:
            options.highlighted = 0
            self._show(matches[0])
        else:
            query = self.query_one("#faq-search", Input).value.strip()
            answer = self.query_one("#faq-answer", Static)
            answer.update(Text(t("support.screen.faq_none", query=query)))
            answer.set_class(True, "muted")

    @on(OptionList.OptionHighlighted, "#faq-list")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        entry = self._entries.get(event.option_id or "")
        if entry is not None:
            self._show(entry)

    @on(OptionList.OptionSelected, "#faq-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        entry = self._entries.get(event.option_id or "")
        if entry is not None:
            self._show(entry)
            self.query_one("#faq-answer-box").focus()

    def _show(self, entry: FaqEntry) -> None:
        answer = self.query_one("#faq-answer", Static)
        text = Text(entry.question + "\n", style="bold")
        text.append(entry.answer, style="not bold")
        answer.update(text)
        answer.set_class(False, "muted")

    def focus_search(self) -> None:
        self.query_one("#faq-search", Input).focus()

    @on(Input.Submitted, "#faq-search")
    def action_to_list(self) -> None:
        self.query_one("#faq-list", OptionList).focus()
