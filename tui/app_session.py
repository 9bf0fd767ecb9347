"""Opening the wallet behind the first frame: the early unlock prompt, the session's worker,
the wallet picker at start, reopening after an unlock or a change of wallet, and the auto-lock.
A part of TermwalletApp (tui/app.py), split from it by concern (issue 21)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from textual import events, work

from tui.errors import error_code
from tui.i18n import t, tn
from tui.screens.assets import AssetsScreen

if TYPE_CHECKING:  # kept off the start-up path: these pull in pydantic models and the store
    from textual.app import App

    from tui.services import Services
    from wallet.keystore import UnlockedWallet
    from wallet.lockout import IdleTimer
    from wallet.session import SessionStatus, WalletSession
    from wallet.wallets import WalletRow

    _AppBase = App[int]
else:
    _AppBase = object

_log = logging.getLogger("tui")


class SessionOpening(_AppBase):
    """TermwalletApp's session: what it opens, when, and behind which prompt."""

    services: Services
    session: WalletSession | None
    status: SessionStatus | None
    _idle: IdleTimer | None
    _early_gate: bool
    _unlocked_early: UnlockedWallet | None

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
            self.call_after_refresh(self._open_session)  # behind the first frame
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
