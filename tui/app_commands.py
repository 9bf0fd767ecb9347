"""The app's commands beyond the keys: the command palette's entries, the keys panel, the
wallet and device pickers, two-factor and message signing. A part of TermwalletApp
(tui/app.py), split from it by concern (issue 21)."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import TYPE_CHECKING

from textual.app import SystemCommand
from textual.screen import Screen

from tui.i18n import t
from tui.widgets.nav import SCREENS

if TYPE_CHECKING:
    from textual.app import App

    from tui.services import Services
    from wallet.session import WalletSession
    from wallet.wallets import WalletRow

    _AppBase = App[int]
else:
    _AppBase = object


class WalletCommands(_AppBase):
    """TermwalletApp's palette and the actions it offers."""

    services: Services
    session: WalletSession | None

    def action_connect_device(self) -> None:
        """Choose the signer: a hardware wallet or the software wallet (device_choose.py)."""
        from tui.screens.device_choose import choose_signer

        choose_signer(self)

    def action_switch_wallet(self) -> None:
        """The wallet picker (tui/screens/wallet_pick.py): open another wallet, or add one."""
        wallet = getattr(self.services, "wallet", None)
        if wallet is None:
            self.notify(t("wallets.not_here"), severity="warning")
            return
        from tui.screens.wallet_pick import WalletPickScreen
        from wallet.wallets import WalletBook

        current = self.session.wallet if self.session is not None else None
        self.push_screen(
            WalletPickScreen(
                WalletBook(wallet.store).signing(), None if current is None else current.id
            ),
            self._wallet_picked,
        )

    def action_add_device(self) -> None:
        wallet = getattr(self.services, "wallet", None)
        if wallet is None:
            self.notify(t("wallets.not_here"), severity="warning")
            return
        from tui.screens.device_setup import DeviceSetupScreen

        self.push_screen(DeviceSetupScreen(wallet.store), self._device_added)

    def _device_added(self, added: WalletRow | None) -> None:
        if added is not None:
            self.notify(t("wallets.opened", name=added.name), markup=False)
            self._open_chosen()

    def _wallet_picked(self, choice: int | str | None) -> None:
        from tui.screens.wallet_pick import ADD
        from wallet.wallets import WalletBook

        if choice is None:
            return
        if choice == ADD:
            self.action_add_device()
            return
        wallet = self.services.wallet  # type: ignore[attr-defined]
        chosen = WalletBook(wallet.store).set_current(int(choice))
        self.notify(t("wallets.opened", name=chosen.name), markup=False)
        self._open_chosen()

    def _open_chosen(self) -> None:
        """Another wallet opens: the software wallet's keys are locked away first, and its
        password is asked again when it is the one opening."""
        self.services.lock()  # type: ignore[attr-defined]
        self._reopen_session()
        gate = self.services.gate_screen()  # type: ignore[attr-defined]
        if gate is not None:
            self.push_screen(gate, self._through_gate)

    def action_load_psbt(self) -> None:
        from tui.screens.psbt_load import PsbtLoadScreen

        self.push_screen(PsbtLoadScreen())

    def action_two_factor(self) -> None:
        from tui.screens.totp_setup import TotpSetupScreen

        self.push_screen(TotpSetupScreen())

    def action_messages(self) -> None:
        from tui.screens.message import MessageScreen

        self.push_screen(MessageScreen())

    # -- Textual's own texts, in the user's language (tui/widgets/keys_panel.py) -------------

    def action_command_palette(self) -> None:
        from textual.command import CommandPalette

        from tui.widgets.keys_panel import WalletCommandPalette

        if self.use_command_palette and not CommandPalette.is_open(self):
            self.push_screen(WalletCommandPalette())

    def action_show_help_panel(self) -> None:
        from tui.widgets.keys_panel import WalletHelpPanel

        if not self.screen.query("HelpPanel"):
            self.screen.mount(WalletHelpPanel())

    def action_help_quit(self) -> None:
        """ctrl+c: how to quit, as Textual says it (App.action_help_quit), translated."""
        for key, active in self.active_bindings.items():
            if active.binding.action in ("quit", "app.quit"):
                self.notify(t("app.quit_hint", key=key), title=t("app.quit_title"), markup=False)
                return

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        for name in SCREENS:
            title = t(f"nav.{name}")
            yield SystemCommand(
                t("palette.goto", screen=title),
                t("palette.goto_help", screen=title),
                partial(self.switch_mode, name),
            )
        # The screen's own actions that have no room in its footer (e.g. History's export).
        screen_commands = getattr(screen, "palette_commands", None)
        if screen_commands is not None:
            yield from screen_commands()
        yield SystemCommand(t("palette.refresh"), t("palette.refresh_help"), self.action_refresh)
        yield SystemCommand(
            t("devices.palette.connect"),
            t("devices.palette.connect_help"),
            self.action_connect_device,
        )
        if getattr(self.services, "wallet", None) is not None:
            yield SystemCommand(
                t("wallets.palette.switch"), t("wallets.palette.switch_help"),
                self.action_switch_wallet,
            )  # fmt: skip
            yield SystemCommand(
                t("wallets.palette.add"), t("wallets.palette.add_help"), self.action_add_device
            )
        if getattr(getattr(self, "session", None), "utxo", None):
            yield SystemCommand(
                t("psbt.app.palette_load"), t("psbt.app.palette_load_help"), self.action_load_psbt
            )
        yield SystemCommand(
            t("security.palette.title"), t("security.palette.help"), self.action_two_factor
        )
        yield SystemCommand(t("message.palette"), t("message.palette_help"), self.action_messages)
        yield SystemCommand(
            t("palette.language"), t("palette.language_help"), self.action_toggle_language
        )
        # Textual's own commands are English-only; these two in the user's language replace
        # them. Its "Screenshot" is left out on purpose: with a recovery phrase on screen the
        # file would hold it. Theme and Maximize are not offered: nothing here needs them.
        if screen.query("HelpPanel"):
            yield SystemCommand(
                t("palette.keys"), t("palette.keys_hide"), self.action_hide_help_panel
            )
        else:
            yield SystemCommand(
                t("palette.keys"), t("palette.keys_help"), self.action_show_help_panel
            )
        yield SystemCommand(t("palette.quit"), t("palette.quit_help"), self.exit)
