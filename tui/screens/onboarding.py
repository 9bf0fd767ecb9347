"""First run: create a software wallet (show the phrase, check three words, set a password),
restore one from its phrase, or add a hardware wallet (tui/screens/device_setup.py: its
phrase never touches this computer).

Dismisses with the UnlockedWallet once the keystore and the default accounts are written, or
with the device wallet (wallet.wallets.WalletRow) once it is saved.
While the new phrase is on screen `shows_secret` is True: the app must not take screenshots
then (the palette's Screenshot command is already removed for that reason).
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, ContentSwitcher, Footer, Input, OptionList, Static
from textual.widgets.option_list import Option

from tui.bindings import translate_bindings
from tui.errors import ReportsFailures, user_message
from tui.i18n import t

if TYPE_CHECKING:
    from wallet.keystore import Keystore
    from wallet.store import Store

CHECKED_WORDS = 3


class OnboardingScreen(ReportsFailures, Screen[Any]):
    CSS_PATH = "../styles/keys.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "bind.back", show=True),
        Binding("ctrl+r", "reveal", "bind.reveal", show=True),
        Binding("ctrl+q", "app.quit", "bind.quit", show=True),
    ]

    def __init__(self, keystore: Keystore, store: Store, *, words: int = 24) -> None:
        super().__init__()
        self._keystore = keystore
        self._store = store
        self._words = words
        self._mnemonic = ""
        self._passphrase = ""
        self._restoring = False
        self._to_check: list[int] = []
        self.shows_secret = False

    def __repr__(self) -> str:
        return "OnboardingScreen()"

    def compose(self) -> ComposeResult:
        from wallet.keystore import MIN_PASSWORD_LENGTH

        with Vertical(id="keys-box"):
            yield Static(t("onboarding.title"), classes="keys-title", id="onb-title")
            with ContentSwitcher(initial="onb-choose", id="onb-steps"):
                with Vertical(id="onb-choose"):
                    yield Static(t("onboarding.intro"))
                    yield OptionList(
                        Option(t("onboarding.create"), id="create"),
                        Option(t("onboarding.restore"), id="restore"),
                        Option(t("onboarding.device"), id="device"),
                        id="onb-choices",
                    )
                with Vertical(id="onb-show"):
                    yield Static("", id="onb-words-warning", classes="keys-warning")
                    yield Static("", id="onb-words")
                    yield Button(t("onboarding.words_done"), id="onb-words-done", variant="primary")
                with Vertical(id="onb-confirm"):
                    yield Static("", id="onb-confirm-prompt")
                    yield Input(id="onb-confirm-word")
                with Vertical(id="onb-restore"):
                    yield Static(t("onboarding.restore_prompt"))
                    yield Input(password=True, placeholder=t("onboarding.phrase"), id="onb-phrase")
                    yield Input(
                        password=True, placeholder=t("onboarding.passphrase"), id="onb-passphrase"
                    )
                    yield Button(t("onboarding.next"), id="onb-restore-next", variant="primary")
                with Vertical(id="onb-password"):
                    yield Static(t("onboarding.password_prompt"))
                    yield Input(
                        password=True,
                        placeholder=t("onboarding.password", min=MIN_PASSWORD_LENGTH),
                        id="onb-pw1",
                    )
                    yield Input(
                        password=True, placeholder=t("onboarding.password_again"), id="onb-pw2"
                    )
                    with Horizontal():
                        yield Button(t("onboarding.next"), id="onb-pw-next", variant="primary")
                with Vertical(id="onb-working"):
                    yield Static(t("onboarding.creating"))
            yield Static("", id="onb-status", classes="keys-status")
        yield Footer()

    def on_mount(self) -> None:
        translate_bindings(self)
        self.query_one("#onb-choices", OptionList).focus()

    # -- navigation ----------------------------------------------------------------------------

    @property
    def step(self) -> str:
        return str(self.query_one("#onb-steps", ContentSwitcher).current)

    def _go(self, step: str, focus: str | None = None) -> None:
        self.query_one("#onb-steps", ContentSwitcher).current = step
        self.shows_secret = step == "onb-show"
        self._status("")
        if focus:
            self.query_one(focus).focus()

    def _status(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#onb-status", Static)
        status.update(Text(text))
        status.set_class(error, "error")

    def action_back(self) -> None:
        if self.step in ("onb-show", "onb-restore"):
            self._forget()
            self._go("onb-choose", "#onb-choices")
        elif self.step == "onb-confirm":
            self._go("onb-show", "#onb-words-done")
        elif self.step == "onb-password":
            if self._restoring:
                self._go("onb-restore", "#onb-phrase")
            else:
                self._go("onb-show", "#onb-words-done")

    def action_reveal(self) -> None:
        """Show or hide what is typed in the phrase box (to find a typo)."""
        if self.step == "onb-restore":
            box = self.query_one("#onb-phrase", Input)
            box.password = not box.password

    def _forget(self) -> None:
        self._mnemonic, self._passphrase, self._to_check = "", "", []
        self.query_one("#onb-words", Static).update("")
        for box in self.query(Input):
            box.value = ""

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        choice = event.option.id
        if choice == "create":
            from wallet.keys import generate_mnemonic

            self._restoring = False
            self._mnemonic = generate_mnemonic(self._words)
            words = self._mnemonic.split()
            self.query_one("#onb-words-warning", Static).update(
                t("onboarding.words_warning", count=len(words))
            )
            grid = "\n".join(
                "   ".join(f"{i + 1:2}. {w:<10}" for i, w in list(enumerate(words))[r : r + 4])
                for r in range(0, len(words), 4)
            )
            self.query_one("#onb-words", Static).update(grid)
            self._go("onb-show", "#onb-words-done")
        elif choice == "restore":
            self._restoring = True
            self._go("onb-restore", "#onb-phrase")
        elif choice == "device":
            from tui.screens.device_setup import DeviceSetupScreen

            self.app.push_screen(DeviceSetupScreen(self._store), self._device_added)

    def _device_added(self, wallet: Any) -> None:
        """A device wallet was saved: nothing to unlock, the wallet opens."""
        if wallet is not None:
            self.dismiss(wallet)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "onb-words-done":
            rng = secrets.SystemRandom()
            self._to_check = sorted(rng.sample(range(len(self._mnemonic.split())), CHECKED_WORDS))
            self._ask_next_word()
        elif event.button.id == "onb-restore-next":
            self._check_phrase()
        elif event.button.id == "onb-pw-next":
            self._check_password()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        box = event.input.id
        if box == "onb-confirm-word":
            self._check_word(event.value)
        elif box == "onb-phrase":
            self.query_one("#onb-passphrase", Input).focus()
        elif box == "onb-passphrase":
            self._check_phrase()
        elif box == "onb-pw1":
            self.query_one("#onb-pw2", Input).focus()
        elif box == "onb-pw2":
            self._check_password()

    # -- create: check the copy ------------------------------------------------------------------

    def _ask_next_word(self) -> None:
        if not self._to_check:
            self._go("onb-password", "#onb-pw1")
            return
        self.query_one("#onb-confirm-prompt", Static).update(
            t("onboarding.confirm_prompt", position=self._to_check[0] + 1)
        )
        self._go("onb-confirm", "#onb-confirm-word")

    def _check_word(self, typed: str) -> None:
        from wallet.keys import normalize_mnemonic

        position = self._to_check[0]
        self.query_one("#onb-confirm-word", Input).value = ""
        if normalize_mnemonic(typed) != self._mnemonic.split()[position]:
            self._status(t("onboarding.confirm_wrong", position=position + 1), error=True)
            return
        self._to_check.pop(0)
        self._ask_next_word()

    # -- restore ---------------------------------------------------------------------------------

    def _check_phrase(self) -> None:
        from wallet.keys import MnemonicError, normalize_mnemonic, validate_mnemonic

        phrase = self.query_one("#onb-phrase", Input).value
        try:
            validate_mnemonic(phrase)
        except MnemonicError as exc:
            key = {
                "word_count": "onboarding.phrase_bad_count",
                "unknown_word": "onboarding.phrase_bad_word",
            }.get(exc.reason, "onboarding.phrase_bad_checksum")
            self._status(t(key, position=exc.position or 0), error=True)
            return
        self._mnemonic = normalize_mnemonic(phrase)
        self._passphrase = self.query_one("#onb-passphrase", Input).value
        self.query_one("#onb-phrase", Input).value = ""
        self.query_one("#onb-passphrase", Input).value = ""
        self._go("onb-password", "#onb-pw1")

    # -- password and writing ------------------------------------------------------------------

    def _check_password(self) -> None:
        from wallet.keystore import MIN_PASSWORD_LENGTH

        pw1 = self.query_one("#onb-pw1", Input)
        pw2 = self.query_one("#onb-pw2", Input)
        problem = None
        if len(pw1.value) < MIN_PASSWORD_LENGTH:
            problem = t("onboarding.password_short", min=MIN_PASSWORD_LENGTH)
        elif pw1.value != pw2.value:
            problem = t("onboarding.password_differs")
        if problem:
            pw1.value = pw2.value = ""
            pw1.focus()
            self._status(problem, error=True)
            return
        password = pw1.value
        pw1.value = pw2.value = ""
        self._go("onb-working")
        self._create(self._mnemonic, password, self._passphrase)

    @work(thread=True, exclusive=True, group="onboarding", exit_on_error=False)
    def _create(self, mnemonic: str, password: str, passphrase: str) -> None:
        from wallet.accounts import AccountBook
        from wallet.keys import MnemonicError
        from wallet.keystore import KeystoreError

        try:
            unlocked = self._keystore.create(mnemonic, password, passphrase)
            signer = unlocked.signer()
            try:
                book = AccountBook(self._store)
                book.add_default_accounts(signer, book.software_wallet())
            finally:
                signer.close()
        except (KeystoreError, MnemonicError, ValueError) as exc:
            self.app.call_from_thread(self._failed, user_message(exc))
            return
        self.app.call_from_thread(self._done, unlocked)

    def _failed(self, message: str) -> None:
        self._go("onb-password", "#onb-pw1")
        self._status(message, error=True)

    def _done(self, unlocked: Any) -> None:
        self._forget()
        self.dismiss(unlocked)
