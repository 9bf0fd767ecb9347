"""Two-factor authentication from the command palette: turn it on (QR code of a new secret,
one code to confirm, the recovery codes shown once) or off (with a code).

While it is open the screen shows a secret (the QR code, the URI, then the recovery codes), so
`shows_secret` keeps screenshots from writing it to a file. Nothing here logs or stores the
secret: wallet.totp saves it inside the encrypted keystore only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Footer, Input, Static

from tui.bindings import translate_bindings
from tui.errors import user_message
from tui.i18n import t

if TYPE_CHECKING:
    from wallet.totp import TotpGuard


class TotpSetupScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    TotpSetupScreen { align: center middle; }
    TotpSetupScreen #totp-setup-box {
        width: 84; height: auto; max-height: 95%; border: thick $accent; background: $surface;
        padding: 0 2;
    }
    TotpSetupScreen .totp-title { text-style: bold; margin-bottom: 1; }
    TotpSetupScreen #totp-qr { width: auto; }
    TotpSetupScreen #totp-uri { color: $text-muted; margin-bottom: 1; }
    TotpSetupScreen #totp-setup-status.error { color: $error; }
    TotpSetupScreen .warning { color: $warning; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "bind.totp_close", show=True, priority=True),
    ]
    shows_secret = True  # see TermwalletApp.action_screenshot

    def __init__(self) -> None:
        super().__init__()
        self._guard: TotpGuard | None = None
        self._secret: str | None = None
        self._mode = "unavailable"  # unavailable | setup | on | done

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="totp-setup-box"):
            yield Static(t("security.setup.title"), classes="totp-title")
            yield Static("", id="totp-info")
            yield Static("", id="totp-qr")
            yield Static("", id="totp-uri")
            yield Checkbox(t("security.setup.for_sending"), value=True, id="totp-for-sending")
            yield Input(password=True, placeholder=t("security.setup.code"), id="totp-setup-code")
            yield Static("", id="totp-setup-status")
        yield Footer()

    def on_mount(self) -> None:
        from wallet.totp import TotpGuard, setup_qr

        translate_bindings(self)
        wallet = getattr(getattr(self.app, "services", None), "wallet", None)
        unlocked = getattr(wallet, "unlocked", None)
        if wallet is None or unlocked is None:
            self._show("unavailable", t("security.setup.unavailable"))
            return
        self._guard = TotpGuard(wallet.store, unlocked)
        if self._guard.enabled:
            key = "on_sending" if self._guard.required_for_sending else "on_unlock"
            self._show("on", t(f"security.setup.{key}") + "\n" + t("security.setup.disable_hint"))
            return
        self._secret = self._guard.begin_setup()
        uri, qr = setup_qr(self._secret)
        self.query_one("#totp-qr", Static).update(qr)
        self.query_one("#totp-uri", Static).update(uri)
        self._show("setup", t("security.setup.scan"))

    def _show(self, mode: str, info: str) -> None:
        self._mode = mode
        self.query_one("#totp-info", Static).update(info)
        self.query_one("#totp-info", Static).set_class(mode == "setup", "warning")
        for sel in ("#totp-qr", "#totp-uri", "#totp-for-sending"):
            self.query_one(sel).display = mode == "setup"
        code = self.query_one("#totp-setup-code", Input)
        code.display = mode in ("setup", "on")
        if code.display:
            code.focus()

    def _status(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#totp-setup-status", Static)
        status.update(Text(text))
        status.set_class(error, "error")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        from wallet.keystore import KeystoreError
        from wallet.totp import BadCode

        event.stop()
        box = self.query_one("#totp-setup-code", Input)
        code, box.value = box.value.strip(), ""
        if not code or self._guard is None:
            return
        try:
            if self._mode == "setup" and self._secret is not None:
                for_sending = self.query_one("#totp-for-sending", Checkbox).value
                codes = self._guard.finish_setup(self._secret, code, for_sending=for_sending)
                self._finished(codes)
            elif self._mode == "on":
                self._guard.disable(code)
                self._show("done", t("security.setup.disabled"))
                self._status("")
        except BadCode:
            self._status(t("security.setup.wrong"), error=True)
        except KeystoreError as exc:  # LockedOut: its wait, in the catalog's words
            self._status(user_message(exc), error=True)

    def _finished(self, codes: list[str]) -> None:
        self._secret = None
        self.query_one("#totp-qr", Static).update("")
        self.query_one("#totp-uri", Static).update("")
        info = t("security.setup.enabled") + "\n\n" + t("security.setup.recovery") + "\n"
        self._show("done", info + "\n".join(f"  {c}" for c in codes))
        self._status("")

    def action_close(self) -> None:
        self._secret = None
        self.query_one("#totp-setup-code", Input).value = ""
        self.dismiss(None)
