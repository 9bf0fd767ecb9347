""" "Check and confirm on your <device>": while the device waits for its buttons, this screen
shows the same fields the device shows (address, recipient, amount, fee, network), formatted
and translated here from the device's structured DevicePrompt.

The decision is the device's: this screen has no confirm button. The device thread closes it
(Interaction.finished) when the device has answered; `update` shows the next prompt of the same
request in place.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from chains.units import format_with_symbol
from devices.base import DevicePrompt, PromptAmount, PromptKind
from tui.i18n import t
from tui.text import plain


def _amount(a: PromptAmount) -> str:
    return format_with_symbol(a.value, a.decimals, a.symbol, max_places=a.decimals)


def prompt_fields(p: DevicePrompt) -> list[tuple[str, str]]:
    """(translated label, value) in the order the device shows them."""
    rows: list[tuple[str, str]] = []
    if p.kind is PromptKind.VERIFY_ADDRESS:
        if p.address:
            rows.append((t("devices.confirm.address"), p.address))
        if p.path:
            rows.append((t("devices.confirm.path"), p.path))
        if p.chain:
            rows.append((t("devices.confirm.chain"), p.chain))
        return rows
    if p.kind is PromptKind.SIGN_TX:
        if p.address:
            rows.append((t("devices.confirm.recipient"), p.address))
        if p.amount:
            rows.append((t("devices.confirm.amount"), _amount(p.amount)))
        if p.fee:
            rows.append((t("devices.confirm.max_fee"), _amount(p.fee)))
        if p.chain_id is not None:
            rows.append((t("devices.confirm.chain_id"), str(p.chain_id)))
        return rows
    if p.kind is PromptKind.SIGN_PSBT:
        for out in p.outputs:
            rows.append((t("devices.confirm.output"), f"{out.address}  {_amount(out.amount)}"))
        if p.fee:
            rows.append((t("devices.confirm.fee"), _amount(p.fee)))
        if p.chain:
            rows.append((t("devices.confirm.chain"), p.chain))
        return rows
    if p.kind is PromptKind.SIGN_TYPED_DATA and p.hashes:
        rows.append((t("devices.confirm.domain_hash"), "0x" + p.hashes[0]))
        if len(p.hashes) == 2:
            rows.append((t("devices.confirm.message_hash"), "0x" + p.hashes[1]))
        else:  # primaryType EIP712Domain: the domain alone is signed
            rows.append((t("devices.confirm.message_hash"), t("devices.confirm.domain_only")))
    if p.kind is PromptKind.SIGN_MESSAGE:
        if p.path:
            rows.append((t("devices.confirm.path"), p.path))
        if p.chain:
            rows.append((t("devices.confirm.chain"), p.chain))
        if p.hashes:  # the device shows a hash of the message instead of its text
            rows.append((t("devices.confirm.message_hash"), p.hashes[0].upper()))
        if p.message is not None:
            # The message came from outside: control and format characters never reach the
            # terminal (a newline shows as its own line of the value).
            for i, line in enumerate(p.message.split("\n")):
                label = t("devices.confirm.message") if i == 0 else ""
                rows.append((label, plain(line)))
    return rows


def prompt_text(p: DevicePrompt) -> str:
    """The whole screen as text: title, fields, the hint (also used by the CLI)."""
    verify = p.kind is PromptKind.VERIFY_ADDRESS
    key = "devices.confirm.verify_title" if verify else "devices.confirm.title"
    title = t(key, device=p.device)
    lines = [title, ""]
    if p.kind is PromptKind.SIGN_TYPED_DATA:
        lines.append(t("devices.confirm.typed_data"))
    if p.kind is PromptKind.SIGN_MESSAGE:
        lines.append(t("devices.confirm.sign_message"))
    if p.kind is PromptKind.CONFIRM:
        lines.append(t("devices.confirm.generic", device=p.device))
    rows = prompt_fields(p)
    width = max((len(label) for label, _ in rows), default=0)
    lines += [f"{label:<{width}}  {value}" for label, value in rows]
    if p.has_data:
        lines.append(t("devices.confirm.data", device=p.device))
    hint = "devices.confirm.verify_hint" if verify else "devices.confirm.hint"
    lines += ["", t(hint, device=p.device)]
    return "\n".join(lines)


class DeviceConfirmScreen(ModalScreen[None]):
    CSS_PATH = "../styles/devices.tcss"

    def __init__(self, prompt: DevicePrompt) -> None:
        super().__init__()
        self.prompt = prompt
        self.closing = False
        self._gone = False

    def close(self) -> None:
        """Dismiss now if on top; else as soon as the modal above it (a PIN entry) is gone."""
        self.closing = True
        if self.is_current:
            self._dismiss_once()

    def on_screen_resume(self) -> None:
        # Also runs after a push that `close` already answered: dismiss only once.
        if self.closing:
            self._dismiss_once()

    def _dismiss_once(self) -> None:
        if not self._gone:
            self._gone = True
            self.dismiss()

    def compose(self) -> ComposeResult:
        with Vertical(id="device-box"):
            yield Static(Text(prompt_text(self.prompt)), id="device-prompt")

    def update(self, prompt: DevicePrompt) -> None:
        self.prompt = prompt
        self.query_one("#device-prompt", Static).update(Text(prompt_text(prompt)))
