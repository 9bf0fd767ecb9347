"""The two-factor code before a send or swap is signed, when the factor is on for sending.

`require_send_code(app, proceed)` is what the send, UTXO-send and swap reviews call in place of
starting to sign: it runs `proceed` at once when no code is needed, otherwise only after this
modal accepted a code through wallet.totp.authorize_send (wrong codes count towards its own
lockout). Cancelling, or a wrong code, signs nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Static

from tui.bindings import translate_bindings
from tui.errors import user_message
from tui.i18n import t

if TYPE_CHECKING:
    from wallet.keystore import UnlockedWallet
    from wallet.store import Store


def require_send_code(app: App[Any], proceed: Callable[[], None]) -> None:
    """`proceed()` now, or once a code is accepted. Services without a user wallet (the demo)
    have no keystore and so no second factor."""
    from wallet.totp import totp_status

    wallet = getattr(getattr(app, "services", None), "wallet", None)
    store = getattr(wallet, "store", None)
    if store is None or not totp_status(store).for_sending:
        proceed()
        return

    def done(ok: bool | None) -> None:
        if ok:
            proceed()

    app.push_screen(TotpPromptScreen(store, getattr(wallet, "unlocked", None)), done)


class TotpPromptScreen(ModalScreen[bool]):
    DEFAULT_CSS = """
    TotpPromptScreen { align: center middle; }
    TotpPromptScreen #totp-prompt-box {
        width: 64; height: auto; border: thick $accent; background: $surface; padding: 1 2;
    }
    TotpPromptScreen .totp-title { text-style: bold; margin-bottom: 1; }
    TotpPromptScreen #totp-prompt-status.error { color: $error; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "bind.totp_cancel", show=True, priority=True),
    ]

    def __init__(self, store: Store, unlocked: UnlockedWallet | None) -> None:
        super().__init__()
        self._store = store
        self._unlocked = unlocked

    def compose(self) -> ComposeResult:
        with Vertical(id="totp-prompt-box"):
            yield Static(t("security.prompt.title"), classes="totp-title")
            yield Static(t("security.prompt.hint"))
            yield Input(password=True, placeholder=t("security.prompt.code"), id="totp-code")
            yield Static("", id="totp-prompt-status")
        yield Footer()

    def on_mount(self) -> None:
        translate_bindings(self)
        self.query_one("#totp-code", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        from wallet.keystore import KeystoreError
        from wallet.totp import BadCode, authorize_send

        event.stop()
        box = self.query_one("#totp-code", Input)
        code, box.value = box.value, ""
        status = self.query_one("#totp-prompt-status", Static)
        try:
            authorize_send(self._store, self._unlocked, code)
        except BadCode:
            status.update(t("security.prompt.wrong"))
            status.add_class("error")
            return
        except KeystoreError as exc:  # LockedOut, CodeRequired: their catalog sentences
            status.update(Text(user_message(exc)))
            status.add_class("error")
            return
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.query_one("#totp-code", Input).value = ""
        self.dismiss(False)
