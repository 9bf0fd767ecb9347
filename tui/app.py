"""The Textual app. make_app() builds it; tests pass their own Services."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections import deque
from typing import TYPE_CHECKING

from textual import events
from textual.app import App
from textual.await_complete import AwaitComplete
from textual.binding import Binding
from textual.reactive import reactive
from textual.screen import Screen
from textual.timer import Timer
from textual.worker import Worker, WorkerState

from tui import heap, i18n
from tui.app_commands import WalletCommands
from tui.app_session import SessionOpening
from tui.bindings import translate_bindings
from tui.colours import SIXTEEN_COLOURS, few_colours
from tui.errors import error_code, user_message
from tui.i18n import t
from tui.screens.assets import AssetsScreen
from tui.screens.too_small import TooSmallScreen, too_small
from tui.services import Services

if TYPE_CHECKING:  # kept off the start-up path: these pull in pydantic models and the store
    from tui.messages import BalancesChanged
    from wallet.keystore import UnlockedWallet
    from wallet.lockout import IdleTimer
    from wallet.session import SessionStatus, WalletSession
    from wallet.settings import Settings


_log = logging.getLogger("tui")

# A dropped SSH connection, a closed terminal window, `kill`: each ends the app like `q` does,
# so the terminal is restored, the store closed and the demo's anvil stopped. By default they
# would end the process where it stands, and nothing of that would happen.
ENDING_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


def _screen(module: str, name: str) -> Screen[None]:
    import importlib

    return getattr(importlib.import_module(module), name)()  # type: ignore[no-any-return]


class TermwalletApp(SessionOpening, WalletCommands, App[int]):
    """The wallet's app. Its session's opening (tui/app_session.py) and its palette's commands
    (tui/app_commands.py) are written in modules of their own."""

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
        # The unlock prompt of an existing wallet is in the first frame (it needs the keystore
        # and the store, about 15 ms); the session opens after that frame: it imports the
        # domain models, the settings and the chain libraries (about a second), and the user
        # should see the app while that happens, not a blank terminal.
        self._start()
        self._heap_timer = self.set_interval(1.0, self._freeze_heap_when_settled)
        self.set_interval(2.0, self._refresh_status)
        if not self.is_headless:
            from tui.hangup import terminal_fd

            fd = terminal_fd()
            if fd is not None:
                self.set_interval(0.5, lambda: self._end_if_hung_up(fd))

    def _end_if_hung_up(self, fd: int) -> None:
        """The terminal is gone and no SIGHUP came (tui/hangup.py): end as on SIGHUP."""
        from tui.hangup import hung_up

        if not self._exit and hung_up(fd):
            _log.info("ending: the terminal hung up")
            self.exit(128 + signal.SIGHUP)

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

    def on_balances_changed(self, _: BalancesChanged) -> None:
        self.balances_version += 1

    def action_toggle_language(self) -> None:
        self.language = "zh-CN" if self.language == "en" else "en"

    def action_refresh(self) -> None:
        if isinstance(self.screen, AssetsScreen):
            self.screen.action_refresh()

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
