"""Textual's keys panel and command palette in the user's language.

Textual draws both with its own English texts: the descriptions of its widgets' keys (Input's
"Move cursor left", ...), the group titles ("Input"), the palette's placeholder and its "No
matches found". Our keys are translated by tui/bindings.py; Textual's are looked up by their
English text in the catalog's [textual] table (tui/i18n/*/textual.toml) for the widgets whose
keys the panel shows, i.e. the focused widget and its ancestors, each time the panel redraws.
"""

from __future__ import annotations

from rich.align import Align
from rich.text import Text
from textual.app import ComposeResult
from textual.command import CommandList, CommandPalette
from textual.screen import Screen
from textual.widgets import HelpPanel, KeyPanel
from textual.widgets.option_list import Option

from tui.bindings import translate_bindings
from tui.i18n import catalog, language, t


def textual_text(text: str) -> str:
    """Textual's English `text` in the current language, or as it is when not in the catalog."""
    return catalog(language()).get(f"textual.{text}", text)


def translate_focus_chain(screen: Screen[object]) -> None:
    """The nodes whose keys the panel lists: their descriptions and group titles translated."""
    nodes = [screen.app, screen]
    if screen.focused is not None:
        nodes += list(screen.focused.ancestors_with_self)
    for node in nodes:
        translate_bindings(node)
        title = type(node).BINDING_GROUP_TITLE
        if title:
            # An instance attribute over the class's: KeyPanel reads namespace.BINDING_GROUP_TITLE.
            node.BINDING_GROUP_TITLE = textual_text(title)


class WalletKeyPanel(KeyPanel):
    def compose(self) -> ComposeResult:
        translate_focus_chain(self.screen)
        yield from super().compose()


class WalletHelpPanel(HelpPanel):
    def compose(self) -> ComposeResult:
        for widget in super().compose():
            yield WalletKeyPanel(id=widget.id) if isinstance(widget, KeyPanel) else widget


class WalletCommandPalette(CommandPalette):
    def __init__(self) -> None:
        super().__init__(id="--command-palette", placeholder=t("palette.placeholder"))
        translate_bindings(self)

    def _start_no_matches_countdown(self, search_value: str) -> None:
        """Textual's own (textual/command.py), with its "No matches found" translated: it is
        written inline there. Checked by tests/tui/test_zh_everywhere.py."""
        self._stop_no_matches_countdown()

        def show_no_matches() -> None:
            if search_value:
                self.query_one(CommandList).add_option(
                    Option(
                        Align.center(Text(t("palette.no_matches"), style="not bold")),
                        disabled=True,
                        id=self._NO_MATCHES,
                    )
                )
                self._list_visible = True
            else:
                self._list_visible = False

        self._no_matches_timer = self.set_timer(self._NO_MATCHES_COUNTDOWN, show_no_matches)
