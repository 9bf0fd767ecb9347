"""Pick the wallet to open: the software wallet, each hardware wallet, each passphrase wallet
on a device (wallet/wallets.py), or add a hardware wallet. Palette: "Switch wallet".
Dismisses with a wallet id, ADD, or None."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tui.i18n import t

if TYPE_CHECKING:
    from wallet.wallets import WalletRow

ADD = "add"


class WalletPickScreen(ModalScreen[int | str | None]):
    DEFAULT_CSS = """
    WalletPickScreen { align: center middle; }
    #wallet-pick-box {
        width: 76; max-width: 100%; height: auto; max-height: 90%;
        padding: 1 2; border: round $accent; background: $surface;
    }
    #wallet-pick-title { text-style: bold; color: $accent; padding: 0 0 1 0; }
    #wallet-pick-list { height: auto; max-height: 12; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", show=False)]

    def __init__(self, wallets: list[WalletRow], current: int | None) -> None:
        super().__init__()
        self.wallets = wallets
        self.current = current

    def compose(self) -> ComposeResult:
        options = []
        for w in self.wallets:
            mark = "● " if w.id == self.current else "  "
            kind = w.model if w.is_device else t("wallets.software")
            fp = f"  {w.fingerprint}" if w.fingerprint else ""
            options.append(Option(Text(f"{mark}{w.name}  ({kind}){fp}"), id=str(w.id)))
        options.append(Option(t("wallets.add_device"), id=ADD))
        with Vertical(id="wallet-pick-box"):
            yield Static(t("wallets.title"), id="wallet-pick-title")
            yield OptionList(*options, id="wallet-pick-list")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        choice = event.option.id or ""
        self.dismiss(ADD if choice == ADD else int(choice))

    def action_cancel(self) -> None:
        self.dismiss(None)
