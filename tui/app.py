"""The Textual app. make_app() builds it; tests pass their own Services."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections import deque
from collections.abc import Iterable
from functools import partial
from typing import TYPE_CHECKING

from textual import events, work
from textual.app import App, SystemCommand
from textual.await_complete import AwaitComplete
from textual.binding import Binding
from textual.reactive import reactive
from textual.screen import Screen
from textual.timer import Timer
from textual.worker import Worker, WorkerState

from tui import heap, i18n
from tui.bindings import translate_bindings
from tui.colours import SIXTEEN_COLOURS, few_colours
from tui.errors import error_code, user_message
from tui.i18n import t, tn
from tui.screens.assets import AssetsScreen
from tui.screens.too_small import TooSmallScreen, too_small
from tui.services import Services
from tui.widgets.nav import SCREENS

if TYPE_CHECKING:  # kept off the start-up path: these pull in pydantic models and the store
    from tui.messages import BalancesChanged
    from wallet.keystore import UnlockedWallet
    from wallet.lockout import IdleTimer
    from wallet.session import SessionStatus, WalletSession
    from wallet.settings import Settings
    from wallet.wallets import WalletRow


_log = logging.getLogger("tui")

# A dropped SSH connection, a closed terminal window, `kill`: each ends the app like `q` does,
# so the terminal is restored, the store closed and the demo's anvil stopped. By default they
# would end the process where it stands, and nothing of that would happen.
ENDING_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


def _screen(module: str, name: str) -> Screen[None]:
    import importlib

    return getattr(importlib.import_module(module), name)()  # type: ignore[no-any-return]


class TermwalletApp(App[int]):
    # history.tcss is read with the app's own (about 5 ms more before the first frame): a
    # screen's CSS_PATH makes Textual re-parse every stylesheet and restyle every widget of the
    # app when the screen first shows, and History's first paint has a target (bench/history.py).
    CSS_PATH = ["styles/app.tcss", "styles/history.tcss"]
    TITLE = "termwallet"
    # Assets is the first frame; the other screens (and what they import) load on first visit.
    MODES = {
        "assets": AssetsScreen,
        "history": lambda: _screen("tui.screens.history", "HistoryScreen"),
        "swap": lambda: _screen("tui.screens.swap", "SwapScreen"),
        "support": lambda: _screen("tui.screens.support", "SupportScreen"),
    }
    BINDINGS = [
        Binding("1", "switch_mode('assets')", "bind.assets", show=False),
        Binding("2", "switch_mode('history')", "bind.history", show=False),
        Binding("3", "switch_mode('swap')", "bind.swap", show=False),
        Binding("4", "switch_mode('support')", "bind.support", show=False),
        Binding("ctrl+p", "command_palette", "bind.palette", show=False, priority=True),
        Binding("f2", "toggle_language", "bind.language"),
        Binding("q", "quit", "bind.quit"),
    ]

    status: reactive[SessionStatus | None] = reactive(None)
    balances_version: reactive[int] = reactive(0)  # bumped by BalancesChanged (tui/messages.py)
    language: reactive[str] = reactive("en")

    def __init__(
        self, services: Services, language: str = "en", *, ambiguous_wide: bool = False
    ) -> None:
        super().__init__()
        self.services = services
        self.session: WalletSession | None = None
        # Codes of recent errors, newest last: support tickets quote them (never messages).
        self.recent_errors: deque[str] = deque(maxlen=20)
        self._idle: IdleTimer | None = None
        self._heap_timer: Timer | None = None
        self._fitting = False  # _fit_terminal is taking the too-small notice off
        # The unlock prompt went up before the session opened (_show_early_gate), and the
        # wallet it unlocked while the session was still opening.
        self._early_gate = False
        self._unlocked_early: UnlockedWallet | None = None
        if few_colours(self.console.color_system):
            # TERM=linux, vt100 and the like: colours that stay readable once reduced to 16.
            self.register_theme(SIXTEEN_COLOURS)
            self.theme = SIXTEEN_COLOURS.name
            self.add_class("-sixteen-colours")
        self.ambiguous_wide = ambiguous_wide
        if ambiguous_wide:
            # A terminal that draws ─ · … two cells wide: none of them on screen (ambiguous.py).
            from tui.ambiguous import NarrowAmbiguous

            self._filters.append(NarrowAmbiguous())
        i18n.set_unambiguous(ambiguous_wide)
        i18n.set_language(language)
        self.set_reactive(TermwalletApp.language, language)
        translate_bindings(self)

    def on_load(self) -> None:
        # On the app's own loop, before the driver takes the terminal: from here on a signal
        # becomes an exit at the next turn of the loop, never an interruption mid-frame.
        loop = asyncio.get_running_loop()
        for signum in ENDING_SIGNALS:
            loop.add_signal_handler(signum, self._ended_by_signal, signum)

    def _ended_by_signal(self, signum: int) -> None:
        _log.info("ending on signal %s", signal.Signals(signum).name)
        self.exit(128 + signum)  # the shell's convention for "ended by signal N"

    def on_mount(self) -> None:
        self.switch_mode("assets")
        # Below the smallest size that works, one notice instead of broken screens: it goes
        # on top of whatever is shown (a mode switch or a dialog opening while small included)
        # and comes off when the terminal is large enough again.
        self.screen_change_signal.subscribe(self, lambda _: self.call_later(self._fit_terminal))
        self.call_later(self._fit_terminal)
        # After the first frame: opening a session imports the domain models, the settings
        # and the chain libraries (about a second), and the user should see the app while that
        # happens, not a blank terminal. The unlock prompt needs none of it: it comes first.
        self.call_after_refresh(self._start)
        self._heap_timer = self.set_interval(1.0, self._freeze_heap_when_settled)
        self.set_interval(2.0, self._refresh_status)

    def on_resize(self, event: events.Resize) -> None:
        self.call_later(self._fit_terminal)

    def _fit_terminal(self) -> None:
        if self._exit or not self.is_running:
            return
        small, top = too_small(self.size), self.screen
        if isinstance(top, TooSmallScreen):
            if small:
                top.show(self.size)
            else:
                self._fitting = True
                try:
                    self.pop_screen()  # the screen under it changes, and is fitted in turn
                finally:
                    self._fitting = False
        elif small:
            self.push_screen(TooSmallScreen())

    def pop_screen(self) -> AwaitComplete:
        """A screen that closes itself (dismiss, a worker's pop) while the notice covers it:
        the notice comes off with it, and goes back over what is then shown. Textual pops
        whatever is on top, which would be the notice, leaving the closed screen in place."""
        if isinstance(self.screen, TooSmallScreen) and not self._fitting:
            super().pop_screen()
        return super().pop_screen()

    def _freeze_heap_when_settled(self) -> None:
        """Once: when the wallet is open and its first reads (and imports) are done, with no
        dialog open, so nothing about to be dropped is frozen (tui/heap.py). Polled, because
        screens' workers report to their screens, not to the app."""
        if (
            self.session is None
            or len(self.screen_stack) != 1
            or any(w.is_running for w in self.workers)
        ):
            return
        if self._heap_timer is not None:
            self._heap_timer.stop()
        heap.freeze()

    def _start(self) -> None:
        """The unlock prompt of an existing wallet as soon as the keystore is known to exist
        (UserServices.early_gate), then the session, which opens while the password is typed.
        The session's thread starts once the prompt is drawn: its imports hold the GIL for
        most of a second and would slow the drawing."""
        early = getattr(self.services, "early_gate", None)
        try:
            screen = early() if early is not None else None
        except Exception as exc:  # the session's opening meets it too, and reports it there
            _log.warning("early unlock prompt skipped: %s", type(exc).__name__)
            screen = None
        if screen is None:
            self._open_session()
            return
        self._early_gate = True
        self.push_screen(screen, self._through_early_gate)
        screen.call_after_refresh(self._open_session)

    def _through_early_gate(self, unlocked: UnlockedWallet | None) -> None:
        if unlocked is None:
            return
        if self.session is None:
            self._unlocked_early = unlocked  # _open_session takes it once the session is open
        else:
            self._through_gate(unlocked)

    @work(exclusive=True, group="session", exit_on_error=False)
    async def _open_session(self) -> None:
        if self.services.demo:
            self.notify(t("demo.starting"), timeout=4)
        self._opened(await self.services.open_session())
        expected = getattr(getattr(self.services, "paths", None), "config_file", None)
        for found in getattr(self.services, "misplaced_config", ()):
            self.notify(
                t("config.misplaced", found=found, expected=expected),
                severity="warning",
                timeout=20,
                markup=False,
            )
        if self.services.demo:
            url = self.session.network.rpc_urls[0]
            self.notify(t("demo.ready", url=url), timeout=4, markup=False)
        choices = getattr(self.services, "wallet_choices", None)
        wallets = choices() if choices is not None and not self._early_gate else []
        if self._early_gate:
            # The prompt is up already, or was answered while the session opened: no second
            # prompt. After this worker (its group would cancel it): the unlocked session.
            unlocked, self._unlocked_early = self._unlocked_early, None
            if unlocked is not None:
                self.call_later(self._through_gate, unlocked)
        elif len(wallets) > 1:
            # Several wallets (software, devices, passphrase wallets): the user picks first.
            from tui.screens.wallet_pick import WalletPickScreen

            current = self.session.wallet.id if self.session.wallet is not None else None
            self.push_screen(WalletPickScreen(wallets, current), self._picked_at_start)
        else:
            self._pass_gate()
        self._start_idle_timer()

    def _pass_gate(self) -> None:
        gate_screen = getattr(self.services, "gate_screen", None)
        first = gate_screen() if gate_screen is not None else None
        if first is not None:
            self.push_screen(first, self._through_gate)
        else:
            self._watch_activity()

    def _picked_at_start(self, choice: int | str | None) -> None:
        current = self.session.wallet if self.session is not None else None
        from tui.screens.wallet_pick import ADD

        if choice is None or (current is not None and choice == current.id):
            self._pass_gate()  # the wallet that opened is the one wanted
        elif choice == ADD:
            from tui.screens.device_setup import DeviceSetupScreen

            store = self.services.wallet.store  # type: ignore[attr-defined]

            def added(wallet: WalletRow | None) -> None:
                if wallet is None:
                    self._pass_gate()  # no device after all: the wallet that opened
                else:
                    self._device_added(wallet)

            self.push_screen(DeviceSetupScreen(store), added)
        else:
            self._wallet_picked(choice)

    def _through_gate(self, unlocked: UnlockedWallet | WalletRow | None) -> None:
        """Onboarding or unlock finished: the wallet's keys are available now (or, for a
        device wallet just added, on its device)."""
        if unlocked is None:
            return
        from wallet.wallets import WalletRow

        if not isinstance(unlocked, WalletRow):
            self.services.unlocked(unlocked)  # type: ignore[attr-defined]
        self._reopen_session()

    def _opened(self, session: WalletSession) -> None:
        """A new session is the app's: a device wallet's signer gets the app's prompts (PIN,
        passphrase, confirm on device, connect your device)."""
        self.session = session
        device = getattr(session, "device", None)
        if device is not None:
            from tui.device_interaction import DeviceInteraction
            from tui.device_wait import AppDeviceWait

            device.interaction = DeviceInteraction(self, device.info.model)
            device.wait = AppDeviceWait(self, device.info.model, device.wallet.name)
            custom = getattr(self.services, "device_registry", None)
            if custom is not None:
                device.registry = custom  # tests: a registry that lists their device
        self.status = session.status

    def _refresh_status(self) -> None:
        """The header follows a device wallet's device (connected or not) as it changes."""
        if self.session is not None and getattr(self.session, "device", None) is not None:
            self.status = self.session.status

    @work(exclusive=True, group="activity", exit_on_error=False)
    async def _watch_activity(self) -> None:
        """Read the history once the wallet is open, so abnormal activity (an approval, a
        lookalike transfer, an outflow not made here) is announced without visiting History.
        A failure is quiet here: the History screen shows it where it matters."""
        from wallet.history.sync import sync_wallet_history

        session = self.session
        if session is None or (not session.addresses and not getattr(session, "utxo", None)):
            return
        config = getattr(getattr(self.services, "paths", None), "config_file", None)
        report, errors = await sync_wallet_history(session, config)
        for exc in errors:
            self.recent_errors.append(error_code(exc) or type(exc).__name__)
        if report is not None and report.flagged:
            self.notify(
                tn("history.flag_notice", len(report.flagged), count=len(report.flagged)),
                severity="warning",
                timeout=12,
            )

    @work(exclusive=True, group="session", exit_on_error=False)
    async def _reopen_session(self) -> None:
        """New accounts or a new lock state: a fresh session over the same store."""
        old = self.session
        self._opened(await self.services.open_session())
        assert self.session is not None
        if old is not None and getattr(old, "device", None) is not None:
            from devices.thread import device_thread

            device_thread().submit(old.device.close)  # type: ignore[union-attr]
        if old is not None and old.backend is not self.session.backend:
            await old.backend.aclose()
        if old is not None and getattr(old, "utxo", None) and old.utxo is not self.session.utxo:
            await old.utxo.aclose()  # its Electrum connections
        if isinstance(self.screen, AssetsScreen):
            self.screen.action_refresh()
        self._watch_activity()

    # -- auto-lock ---------------------------------------------------------------------------

    def _start_idle_timer(self) -> None:
        minutes = getattr(self.services, "auto_lock_minutes", 0)
        if not minutes or self._idle is not None:
            return
        from wallet.lockout import IdleTimer

        self._idle = IdleTimer(minutes)
        self.set_interval(5, self._check_idle)

    async def on_event(self, event: events.Event) -> None:
        if self._idle is not None and isinstance(event, events.Key | events.MouseDown):
            self._idle.touch()
        await super().on_event(event)

    def _check_idle(self) -> None:
        if self._idle is None or not self._idle.expired():
            return
        self._idle.touch()
        if self.services.lock():  # type: ignore[attr-defined]
            minutes = self.services.auto_lock_minutes  # type: ignore[attr-defined]
            if self.session is not None:
                self.session.locked = True
                self.status = self.session.status
            self.push_screen(
                self.services.unlock_screen(tn("unlock.auto_locked", minutes, minutes=minutes)),  # type: ignore[attr-defined]
                self._through_gate,
            )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """A screen that `takes_every_key` (the unlock screen) leaves no app action reachable
        behind it: no mode switch (1-4), no quit on a typed 'q', no command palette. Only the
        language may change. Its own bindings run on the screen, not here."""
        stack = self.screen_stack
        if stack and getattr(stack[-1], "takes_every_key", False):
            return action == "toggle_language"
        return True

    def action_screenshot(self, filename: str | None = None, path: str | None = None) -> None:
        """Never write a screen that shows a secret (a new recovery phrase) to a file."""
        if any(getattr(s, "shows_secret", False) for s in self.screen_stack):
            self.notify(t("errors.no_screenshot"), severity="warning")
            return
        super().action_screenshot(filename, path)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self.report_failure(event)

    def report_failure(self, event: Worker.StateChanged) -> None:
        """The one place worker failures become messages for the user. Textual tells only the
        node that started a worker, so screens pass theirs here (MainScreen, dialogs)."""
        if event.state is not WorkerState.ERROR or event.worker.error is None:
            return
        error = event.worker.error
        self.recent_errors.append(error_code(error) or type(error).__name__)
        # The log file redacts secrets (wallet/logs.py); unknown errors keep their traceback.
        _log.warning(
            "worker %s failed: %s",
            event.worker.name,
            error_code(error) or type(error).__name__,
            exc_info=error if error_code(error) is None else None,
        )
        if event.worker.group == "session" and self.services.demo:
            self.notify(
                t("demo.failed", reason=user_message(error)),
                severity="error",
                timeout=30,
                markup=False,
            )
        else:
            # markup=False: an error may quote a URL or a server's words, shown as they are.
            self.notify(user_message(error), severity="error", timeout=10, markup=False)

    def watch_language(self, language: str) -> None:
        i18n.set_language(language)
        translate_bindings(self)
        self.refresh_bindings()

    def action_toggle_language(self) -> None:
        self.language = "zh-CN" if self.language == "en" else "en"

    def on_balances_changed(self, _: BalancesChanged) -> None:
        self.balances_version += 1

    def action_refresh(self) -> None:
        if isinstance(self.screen, AssetsScreen):
            self.screen.action_refresh()

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

    async def on_unmount(self) -> None:
        try:
            await self.shutdown_session()
        finally:
            i18n.set_unambiguous(False)  # process-wide: the next app (tests) decides its own

    async def shutdown_session(self) -> None:
        session, self.session = self.session, None
        try:
            if session is not None:
                await session.aclose()
        finally:
            await self.services.close()


def make_app(
    settings: Settings | None = None,
    services: Services | None = None,
    *,
    language: str | None = None,
    ambiguous_wide: bool | None = None,
) -> TermwalletApp:
    """The app on `services` (the user's wallet by default). The language comes from
    `language`, else from `settings`; settings given here are used as they are. Ambiguous
    widths: `ambiguous_wide`, else `settings`, else the environment and config file as the
    first frame reads them (wallet/startup.py)."""
    if services is None:
        from tui.services import UserServices
        from wallet.paths import Paths

        services = UserServices(Paths.default(), settings)
    lang = language or (settings.language if settings is not None else "en")
    if ambiguous_wide is None:
        from wallet.startup import ambiguous_wide as from_environment

        if settings is not None and settings.ambiguous_width != "auto":
            ambiguous_wide = settings.ambiguous_width == "wide"
        else:
            config = getattr(getattr(services, "paths", None), "config_file", None)
            ambiguous_wide = from_environment(config)
    return TermwalletApp(services, lang, ambiguous_wide=ambiguous_wide)
