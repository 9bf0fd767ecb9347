"""Add a hardware wallet: pick the device, unlock it (its PIN matrix and passphrase come up as
the device asks), read the account keys it holds, optionally see each first address on the
device's screen, and save a device wallet (xpubs, fingerprint, model: no secret).

Pushed from first run ("Use a hardware wallet") and from the palette ("Add a hardware
wallet"). Dismisses with the saved wallet (wallet.wallets.WalletRow), or None.
Device I/O runs on the device thread from thread workers (devices/thread.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, ContentSwitcher, Footer, OptionList, Static
from textual.widgets.option_list import Option

from tui.bindings import translate_bindings
from tui.errors import ReportsFailures, sentence
from tui.i18n import t

if TYPE_CHECKING:
    from devices.registry import Discovery
    from wallet.device_wallet import DeviceKeys
    from wallet.store import Store

AGAIN = "again"


class DeviceSetupScreen(ReportsFailures, Screen[Any]):
    CSS_PATH = "../styles/keys.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "bind.back", show=True),
    ]

    def __init__(self, store: Store) -> None:
        super().__init__()
        self._store = store
        self._found: Discovery | None = None
        self._signer: Any = None  # the opened device, on the device thread
        self.keys: DeviceKeys | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="keys-box"):
            yield Static(t("devices.setup.title"), classes="keys-title")
            with ContentSwitcher(initial="dev-pick", id="dev-steps"):
                with Vertical(id="dev-pick"):
                    yield Static(t("devices.setup.looking"), id="dev-pick-note")
                    yield OptionList(id="dev-list")
                    yield Static("", id="dev-problems", classes="keys-warning")
                with Vertical(id="dev-read"):
                    yield Static("", id="dev-read-note")
                with Vertical(id="dev-review"):
                    yield Static(t("devices.setup.review"))
                    yield Static("", id="dev-accounts")
                    yield Static("", id="dev-skipped", classes="keys-warning")
                    with Horizontal():
                        yield Button(t("devices.setup.show"), id="dev-show")
                        yield Button(t("devices.setup.save"), id="dev-save", variant="primary")
            yield Static("", id="dev-status", classes="keys-status")
        yield Footer()

    def on_mount(self) -> None:
        translate_bindings(self)
        self._discover()

    @property
    def step(self) -> str:
        return str(self.query_one("#dev-steps", ContentSwitcher).current)

    def _go(self, step: str) -> None:
        self.query_one("#dev-steps", ContentSwitcher).current = step

    def _status(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#dev-status", Static)
        status.update(Text(text))
        status.set_class(error, "error")

    # -- 1. pick ---------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="device-setup", exit_on_error=False)
    def _discover(self) -> None:
        from devices.thread import device_thread
        from tui.screens.device_choose import registry_of

        found = device_thread().run(registry_of(self.app).discover)
        self.app.call_from_thread(self._show_found, found)

    def _show_found(self, found: Discovery) -> None:
        self._found = found
        options = [
            Option(Text(f"{d.model}  {d.id}" + (f"  {d.detail}" if d.detail else "")), id=d.id)
            for d in found.devices
        ]
        options.append(Option(t("devices.setup.again"), id=AGAIN))
        listing = self.query_one("#dev-list", OptionList)
        listing.clear_options()
        listing.add_options(options)
        listing.highlighted = 0
        listing.focus()
        note = (
            t("devices.choose.found", count=len(found.devices))
            if found.devices
            else t("devices.setup.none")
        )
        self.query_one("#dev-pick-note", Static).update(note)
        problems = "\n".join(f"{p.kind}: {p.message}" for p in found.problems)
        self.query_one("#dev-problems", Static).update(Text(problems))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id == AGAIN:
            self.query_one("#dev-pick-note", Static).update(t("devices.setup.looking"))
            self._discover()
            return
        if self._found is None:
            return
        entry = next((d for d in self._found.devices if d.id == event.option.id), None)
        if entry is None:
            return
        self.query_one("#dev-read-note", Static).update(
            Text(t("devices.setup.reading", device=entry.model))
        )
        self._status("")
        self._go("dev-read")
        self._read(entry)

    # -- 2. read ---------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="device-setup", exit_on_error=False)
    def _read(self, entry: Any) -> None:
        from devices.errors import DeviceError
        from devices.thread import device_thread
        from tui.device_interaction import DeviceInteraction, device_error_text
        from tui.screens.device_choose import registry_of
        from wallet.device_wallet import read_device_keys

        ui = DeviceInteraction(self.app, entry.model)
        thread = device_thread()
        try:
            self._close_device()
            self._signer = thread.run(registry_of(self.app).open_entry, entry, ui)
            ui.device = self._signer.info.model
            keys = thread.run(read_device_keys, self._signer)
        except DeviceError as exc:
            self._close_device()
            self.app.call_from_thread(self._failed, device_error_text(exc, ui.device))
            return
        self.app.call_from_thread(self._review, keys)

    def _failed(self, message: str) -> None:
        self._go("dev-pick")
        self.query_one("#dev-list", OptionList).focus()
        self._status(message, error=True)

    def _review(self, keys: DeviceKeys) -> None:
        self.keys = keys
        lines = [t("devices.setup.fingerprint", fingerprint=keys.fingerprint or "-")]
        for chain, script in keys.xpubs:
            _, address = keys.first_address(chain, script)
            lines.append(f"{chain:12} {script.value:7} {address}")
        self.query_one("#dev-accounts", Static).update(Text("\n".join(lines)))
        skipped = [f"{c} {s.value}: {why}" for (c, s), why in keys.skipped.items()]
        self.query_one("#dev-skipped", Static).update(
            Text(t("devices.setup.skipped") + "\n" + "\n".join(skipped) if skipped else "")
        )
        self._go("dev-review")
        self.query_one("#dev-save", Button).focus()

    # -- 3. check on the device, save ------------------------------------------------------

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "dev-show":
            self._status(t("devices.setup.showing"))
            self._show_on_device()
        elif event.button.id == "dev-save":
            self._save()

    @work(thread=True, exclusive=True, group="device-setup", exit_on_error=False)
    def _show_on_device(self) -> None:
        from devices.errors import DeviceError
        from devices.thread import device_thread
        from tui.device_interaction import device_error_text
        from wallet.device_wallet import show_first_addresses

        if self._signer is None or self.keys is None:
            return
        try:
            device_thread().run(show_first_addresses, self._signer, self.keys)
        except DeviceError as exc:
            text = device_error_text(exc, self.keys.model)
            self.app.call_from_thread(self._status, text, error=True)
            return
        self.app.call_from_thread(self._status, t("devices.setup.shown"))

    def _save(self) -> None:
        from wallet.device_wallet import store_device_wallet
        from wallet.wallets import WalletError

        if self.keys is None:
            return
        try:
            wallet, _ = store_device_wallet(self._store, self.keys)
        except WalletError as exc:
            self._status(sentence(exc), error=True)
            return
        self._close_device()
        self.dismiss(wallet)

    def _close_device(self) -> None:
        signer, self._signer = self._signer, None
        if signer is not None:
            from devices.thread import device_thread

            device_thread().submit(signer.close)

    def action_back(self) -> None:
        if self.step == "dev-review":
            self._close_device()
            self.keys = None
            self._go("dev-pick")
            self.query_one("#dev-list", OptionList).focus()
            return
        self._close_device()
        self.dismiss(None)
