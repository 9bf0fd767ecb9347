"""The unlock screen: password (through the lockout), then the TOTP code when it is on.

Dismisses with the UnlockedWallet. The KDF runs in a thread worker: it takes a noticeable
fraction of a second by design and must not freeze the screen.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Input, Static

from tui.bindings import translate_bindings
from tui.errors import ReportsFailures, user_message
from tui.i18n import t

if TYPE_CHECKING:
    from wallet.keystore import Keystore, UnlockedWallet
    from wallet.lockout import Lockout
    from wallet.totp import TotpGuard


class UnlockScreen(ReportsFailures, Screen[Any]):
    CSS_PATH = "../styles/keys.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "submit", "bind.unlock", show=True, priority=False),
        Binding("ctrl+q", "quit", "bind.quit", show=True),
    ]
    # The app runs none of its own actions while this screen is on top (TermwalletApp.
    # check_action): keys typed while the password box is disabled (locked out) must not reach
    # the screens behind it, quit on a 'q' or open the command palette.
    takes_every_key = True

    def __init__(
        self,
        keystore: Keystore,
        lockout: Lockout,
        *,
        totp: Callable[[UnlockedWallet], TotpGuard | None] | None = None,
        reason: str | None = None,
    ) -> None:
        super().__init__()
        self._keystore = keystore
        self._lockout = lockout
        self._totp_factory = totp
        self._reason = reason  # e.g. the auto-lock notice
        self._pending: UnlockedWallet | None = None
        self._guard: TotpGuard | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="keys-box"):
            yield Static(t("unlock.title"), classes="keys-title")
            yield Static(self._reason or t("unlock.prompt"), id="unlock-prompt")
            yield Input(password=True, placeholder=t("unlock.password"), id="unlock-password")
            # Disabled, not only hidden, until the password is right: a hidden Input can still
            # take the focus (and typed keys) while the password box is disabled.
            yield Input(
                placeholder=t("unlock.totp_code"),
                id="unlock-totp",
                classes="hidden",
                disabled=True,
            )
            yield Static("", id="unlock-status", classes="keys-status")
        yield Footer()

    def on_mount(self) -> None:
        translate_bindings(self)
        self._refresh_wait()
        self.set_interval(1.0, self._refresh_wait)
        self.query_one("#unlock-password", Input).focus()

    # -- lockout -------------------------------------------------------------------------------

    def _refresh_wait(self) -> None:
        box = self.query_one("#unlock-password", Input)
        if self._pending is not None:
            return
        wait = self._lockout.check()
        if wait > 0:
            self._status(t("unlock.locked_out", seconds=math.ceil(wait)), error=True)
            box.disabled = True
        elif box.disabled:
            box.disabled = False
            self._status("")
            box.focus()

    def _status(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#unlock-status", Static)
        status.update(Text(text))
        status.set_class(error, "error")

    # -- actions -------------------------------------------------------------------------------

    def action_quit(self) -> None:
        self.app.exit()

    def action_submit(self) -> None:
        focused = self.focused
        if isinstance(focused, Input):
            self._submit(focused)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit(event.input)

    def _submit(self, box: Input) -> None:
        value = box.value
        box.value = ""
        if box.id == "unlock-password" and value:
            box.disabled = True
            self._status(t("unlock.working"))
            self._unlock(value)
        elif box.id == "unlock-totp" and value and self._guard is not None:
            self._verify(value)

    @work(thread=True, exclusive=True, group="unlock", exit_on_error=False)
    def _unlock(self, password: str) -> None:
        from wallet.keystore import KeystoreError, WrongPassword
        from wallet.lockout import LockedOut, guarded_unlock

        try:
            unlocked = guarded_unlock(self._keystore, self._lockout, password)
        except WrongPassword:
            self.app.call_from_thread(self._wrong)
        except LockedOut:
            self.app.call_from_thread(self._refresh_wait)
        except KeystoreError as exc:
            self.app.call_from_thread(self._failed, user_message(exc))
        else:
            self.app.call_from_thread(self._password_ok, unlocked)

    def _wrong(self) -> None:
        from wallet.lockout import FREE_ATTEMPTS

        left = FREE_ATTEMPTS - self._lockout.failures
        box = self.query_one("#unlock-password", Input)
        box.disabled = False
        if left > 0:
            self._status(t("unlock.wrong", left=left), error=True)
            box.focus()
        else:
            self._refresh_wait()

    def _failed(self, message: str) -> None:
        self._status(message, error=True)
        box = self.query_one("#unlock-password", Input)
        box.disabled = False
        box.focus()

    def _password_ok(self, unlocked: UnlockedWallet) -> None:
        if unlocked.fixed_mode is not None:
            self.app.notify(
                t("unlock.mode_fixed", mode=f"{unlocked.fixed_mode:o}"),
                severity="warning",
                timeout=15,
                markup=False,
            )
        guard = self._totp_factory(unlocked) if self._totp_factory else None
        if guard is None or not guard.enabled:
            self.dismiss(unlocked)
            return
        self._pending, self._guard = unlocked, guard
        self.query_one("#unlock-password", Input).add_class("hidden")
        self.query_one("#unlock-prompt", Static).update(t("unlock.totp_prompt"))
        self._status("")
        totp = self.query_one("#unlock-totp", Input)
        totp.disabled = False
        totp.remove_class("hidden")
        totp.focus()

    def _verify(self, code: str) -> None:
        from wallet.lockout import LockedOut
        from wallet.totp import BadCode

        assert self._guard is not None and self._pending is not None
        try:
            self._guard.verify(code)
        except BadCode:
            self._status(t("unlock.totp_wrong"), error=True)
            return
        except LockedOut as exc:
            self._status(t("unlock.locked_out", seconds=exc.seconds), error=True)
            return
        unlocked, self._pending, self._guard = self._pending, None, None
        self.dismiss(unlocked)
