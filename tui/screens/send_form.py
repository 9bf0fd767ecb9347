"""What the two send forms (EVM chains: send.py; Bitcoin/Litecoin: send_utxo.py) share: the
keys, the fee tier picker, and one way to load the fee tiers and show the chosen one's line.
A form fills in `fetch_fees` and `fee_line`; reviews are tui/screens/review_base.py."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Static

from tui.errors import ReportsFailures, error_code, user_message
from tui.i18n import t
from tui.widgets.fee_choice import FeeRadioSet

if TYPE_CHECKING:
    from wallet.session import WalletSession


class SendForm(ReportsFailures, Screen[None]):
    CSS_PATH = "../styles/send.tcss"
    AUTO_FOCUS = "#send-to"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+r", "review", "bind.send_review", priority=True),
        Binding("ctrl+x", "max", "bind.send_max"),
        Binding("escape", "back", "bind.send_back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._fees: Any = None  # what fetch_fees returned, once it has

    @property
    def session(self) -> WalletSession:
        return self.app.session  # type: ignore[attr-defined,no-any-return]

    # -- hooks a form fills in -----------------------------------------------------------------

    async def fetch_fees(self) -> Any:
        """The fee tiers from the chain (a worker awaits it)."""
        raise NotImplementedError

    def fee_line(self, fees: Any, tier: str) -> str | None:
        """The line under the picker for `tier`; None leaves the line as it is."""
        raise NotImplementedError

    def tier_changed(self) -> None:
        """Called when another tier is picked, before the fee line is shown again."""

    # -- shared --------------------------------------------------------------------------------

    def compose_fee_picker(self, tiers: Sequence[str], loading_key: str) -> ComposeResult:
        """The tier picker ("normal" chosen) and the fee line under it, loading at first."""
        yield Label(t("send.fee"))
        with FeeRadioSet(id="send-fee"):  # its cursor starts on "normal", the one chosen
            for tier in tiers:
                yield RadioButton(t(f"send.fee_{tier}"), value=tier == "normal", id=f"fee-{tier}")
        yield Static(t(loading_key), id="send-fee-line", classes="muted")

    def _tier(self) -> str:
        pressed = self.query_one("#send-fee", RadioSet).pressed_button
        return (pressed.id or "fee-normal").removeprefix("fee-") if pressed else "normal"

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        self.tier_changed()
        self._show_fee_line()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "send-max":
            self.action_max()

    def action_max(self) -> None:
        self.query_one("#send-amount", Input).value = "max"

    def action_back(self) -> None:
        self.app.pop_screen()

    @work(exclusive=True, group="send-fees", exit_on_error=False)
    async def _load_fees(self) -> None:
        try:
            fees = await self.fetch_fees()
        except Exception as exc:  # a typed failure in place (review reads the fee again)
            if error_code(exc) is None:
                raise  # not ours: the app's one handler reports it
            self.query_one("#send-fee-line", Static).update(Text(user_message(exc)))
            return
        self._fees = fees
        self._show_fee_line()

    def _show_fee_line(self) -> None:
        if self._fees is None:
            return
        line = self.fee_line(self._fees, self._tier())
        if line is not None:
            self.query_one("#send-fee-line", Static).update(line)
