"""Choose the signer: the hardware wallets found, why others cannot be used, and the software
wallet. `choose_signer(app)` is the whole flow (palette entry "Connect hardware wallet" and the
Assets screen's key):

1. discover on a thread worker (USB enumeration blocks; it runs on the device thread);
2. this modal lists the devices and the problems (a missing library, libusb);
3. the chosen device is opened with registry.select and the app's DeviceInteraction, and asked
   (silently) for each of the session's addresses at their paths: a device holding another
   seed is refused (registry.AccountMismatch) and closed;
4. on success the session signs with it (wrapped to run on the device thread) and the header
   names its model; "Use the software wallet" switches back.

Any failure leaves the signer as it was, and says why in the device's own words
(tui/device_interaction.py device_error_text).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tui.i18n import t

if TYPE_CHECKING:
    from devices.registry import Discovery

SOFTWARE = "software"


class DeviceChooseScreen(ModalScreen[str | None]):
    """Returns a device id, 'software', or None (escape: nothing changes)."""

    DEFAULT_CSS = """
    DeviceChooseScreen { align: center middle; }
    #device-choose-box {
        width: 80; max-width: 100%; height: auto; max-height: 90%;
        padding: 1 2; border: round $accent; background: $surface;
    }
    #device-choose-title { text-style: bold; color: $accent; padding: 0 0 1 0; }
    #device-choose-list { height: auto; max-height: 12; }
    #device-choose-problems { color: $warning; padding: 1 0 0 0; }
    #device-choose-hint { color: $text-muted; padding: 1 0 0 0; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", show=False)]

    def __init__(self, found: Discovery, current: str) -> None:
        super().__init__()
        self.found = found
        self.current = current  # the header's signer label now

    def compose(self) -> ComposeResult:
        options = [
            Option(Text(f"{d.model}  {d.id}" + (f"  {d.detail}" if d.detail else "")), id=d.id)
            for d in self.found.devices
        ]
        options.append(Option(t("devices.choose.software"), id=SOFTWARE))
        with Vertical(id="device-choose-box"):
            yield Static(t("devices.choose.title"), id="device-choose-title")
            yield Static(
                t("devices.choose.found", count=len(self.found.devices))
                if self.found.devices
                else t("devices.choose.none"),
                id="device-choose-note",
            )
            yield OptionList(*options, id="device-choose-list")
            if self.found.problems:
                lines = [t("devices.choose.problems")] + [
                    f"  {p.kind.brand}: {p.message}" for p in self.found.problems
                ]
                yield Static("\n".join(lines), id="device-choose-problems", markup=False)
            yield Static(
                Text(t("devices.choose.hint", current=self.current)), id="device-choose-hint"
            )

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


# -- the flow --------------------------------------------------------------------------------


def registry_of(app: App[Any]) -> Any:
    """devices.registry, or the one the app's services bring (tests: a registry whose
    discovery lists a recorded device)."""
    custom = getattr(getattr(app, "services", None), "device_registry", None)
    if custom is not None:
        return custom
    from devices import registry

    return registry


def choose_signer(app: App[Any]) -> None:
    """Start the flow; returns at once (the work runs on a thread worker)."""
    session = getattr(app, "session", None)
    if session is None:
        return
    app.run_worker(
        lambda: _discover(app),
        thread=True,
        group="device-choose",
        exclusive=True,
        exit_on_error=False,
        name="device-discover",
    )


def _discover(app: App[Any]) -> None:
    from devices.thread import device_thread

    found = device_thread().run(registry_of(app).discover)
    session = app.session  # type: ignore[attr-defined]

    def show() -> None:
        app.push_screen(
            DeviceChooseScreen(found, _label(session.signer)),
            lambda choice: _chosen(app, found, choice),
        )

    app.call_from_thread(show)


def _label(signer: str) -> str:
    return t(f"header.{signer}") if signer in ("software", "watch_only", "no_wallet") else signer


def _chosen(app: App[Any], found: Discovery, choice: str | None) -> None:
    session = getattr(app, "session", None)
    if choice is None or session is None:
        return
    if choice == SOFTWARE:
        session.use_software()
        app.status = session.status  # type: ignore[attr-defined]
        app.notify(t("devices.choose.software_now"))
        return
    app.run_worker(
        lambda: _connect(app, found, choice),
        thread=True,
        group="device-choose",
        exclusive=True,
        exit_on_error=False,
        name="device-connect",
    )


def _connect(app: App[Any], found: Discovery, device_id: str) -> None:
    """On a thread worker: open, check the accounts, then hand the signer to the session."""
    from chains.models import ChainKind
    from devices.emulator import EVM_CHAINS
    from devices.errors import DeviceError, Unsupported
    from devices.thread import OnDeviceThread, device_thread
    from tui.device_interaction import DeviceInteraction

    session = app.session  # type: ignore[attr-defined]
    registry = registry_of(app)
    entry = next((d for d in found.devices if d.id == device_id), None)
    model = entry.model if entry is not None else device_id
    ui = DeviceInteraction(app, model)
    signer: Any = None
    try:
        selection = device_thread().run(
            registry.select,
            device_id,
            interaction=ui,
            software=lambda: session.software_signer,
            discovery=found,
        )
        signer = OnDeviceThread(selection.signer)
        model = ui.device = signer.info.model
        if session.network.kind is not ChainKind.EVM:
            raise Unsupported(f"{session.network.name}: signing on a device is not built yet")
        # Other EVM networks sign as "eth": the address does not depend on the network.
        chain = session.network.id if session.network.id in EVM_CHAINS else "eth"
        accounts = [(a, session.path_of(a)) for a in session.addresses]
        registry.check_accounts(signer, chain, accounts)
    except (DeviceError, LookupError) as exc:
        if signer is not None:
            signer.close()
        app.call_from_thread(
            app.notify, _failure(exc, model), severity="error", timeout=10, markup=False
        )
        recent = getattr(app, "recent_errors", None)
        if recent is not None:
            recent.append(getattr(exc, "code", type(exc).__name__))
        return

    def switch() -> None:
        session.use_signer(signer, model)
        app.status = session.status  # type: ignore[attr-defined]
        app.notify(t("devices.choose.connected", device=model), markup=False)

    app.call_from_thread(switch)


def _failure(exc: BaseException, device: str) -> str:
    from tui.device_interaction import device_error_text

    if isinstance(exc, LookupError):
        return t("devices.choose.watch_only")
    return t("devices.choose.failed", reason=device_error_text(exc, device))
