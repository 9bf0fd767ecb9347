"""The one shape of every review before signing (send on EVM chains, send on Bitcoin/Litecoin,
swap): what will be signed as rows of data, one phase machine, one sign guard, one area that
says what the signer shows, one status line, and the failure handling of signing.

A review screen fills in the hooks (`rows`, `sign_and_send`, `after_sent`, `error_text`, ...);
the base owns the order, which the money depends on:
    ctrl+s -> `second_press` (serious warnings ask twice) -> `refusal` (e.g. an expired quote)
    -> the send code (two-factor, when on) -> `refusal` again -> phase "signing" -> the device
    prompt -> a way to sign -> `after_sent` (phase "pending"/"settled") or, on a typed error,
    back to "idle" with the error in the status line.

Another way to sign (PSBT export, a remote signer agent) plugs in as one more entry of
`sign_ways` and a binding to `sign('<name>')`: it passes through the same guard, phases and
error handling as the active signer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer, Static

from tui.bindings import translate_bindings
from tui.errors import ReportsFailures, error_code
from tui.i18n import t
from tui.send_errors import signer_model

if TYPE_CHECKING:
    from wallet.session import WalletSession

ResultT = TypeVar("ResultT")

Row = tuple[str, str]  # (label as shown, value): one line of the review table
SignWay = Callable[[], Awaitable[object]]  # signs and sends; returns what after_sent receives

# idle -> signing -> pending -> settled, or back to idle on an error before anything was sent.
# A flow with nothing to track (a swap waits inside its own steps) goes signing -> settled.
PHASES = ("idle", "signing", "pending", "settled")


def rows_text(rows: Iterable[Row]) -> Text:
    """The rows as the table shows them: a bold label, then the value as plain text (values
    come from outside - addresses, names - and are never read as markup)."""
    out = Text()
    for label, value in rows:
        out.append(f"{label}: ", style="bold")
        out.append(value + "\n")
    return out


class ReviewScreen(ReportsFailures, Screen[ResultT], Generic[ResultT]):
    # The widget ids are `{ID_PREFIX}-body`, -table, -hint, -device and -status: the styles
    # (send.tcss, swap.tcss) and the tests address them.
    ID_PREFIX: ClassVar[str] = "review"
    TITLE_KEY: ClassVar[str] = "send.review.title"
    HINT_KEY: ClassVar[str] = "send.review.confirm_hint"
    DEVICE_PROMPT: ClassVar[bool] = True  # False: the flow reports its steps in the status

    phase: reactive[str] = reactive("idle")

    def __init__(self) -> None:
        super().__init__()
        self._armed = False  # ctrl+s pressed once where serious warnings ask twice

    @property
    def session(self) -> WalletSession:
        return self.app.session  # type: ignore[attr-defined,no-any-return]

    # -- hooks a review fills in ---------------------------------------------------------------

    def title_key(self) -> str:
        return self.TITLE_KEY

    def rows(self) -> list[Row]:
        """What will be signed, one (label, value) a line."""
        raise NotImplementedError

    def compose_notes(self) -> ComposeResult:
        """Warnings and notes between the table and the hint (none by default)."""
        yield from ()

    def device_lines(self) -> list[Row]:
        """What the signer will show, to compare on its screen (with DEVICE_PROMPT)."""
        return []

    def second_press(self) -> str | None:
        """The warning that makes ctrl+s ask twice, or None when once is enough."""
        return None

    def refusal(self) -> str | None:
        """A reason not to sign now (asked before and after the send code), or None."""
        return None

    def sign_ways(self) -> dict[str, SignWay]:
        """The ways this review can be signed, by name. 'signer' is the session's active
        signer; PSBT export or a remote agent add their own entry here."""
        return {"signer": self.sign_and_send}

    async def sign_and_send(self) -> object:
        """Sign with the active signer and hand the transaction on; the result goes to
        `after_sent`. Raises typed errors (error_code) for the status line."""
        raise NotImplementedError

    def started(self) -> None:
        """Called as signing starts (after the device prompt is shown)."""

    def after_sent(self, result: Any) -> None:
        """Signed and handed on: move the phase on (pending and track, or settled)."""
        raise NotImplementedError

    def error_text(self, error: BaseException) -> str:
        raise NotImplementedError

    def leave(self) -> None:
        self.app.pop_screen()

    # -- the shape -----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        p = self.ID_PREFIX
        with VerticalScroll(id=f"{p}-body"):
            yield Static(t(self.title_key()), classes="title")
            yield Static(rows_text(self.rows()), id=f"{p}-table")
            yield from self.compose_notes()
            yield Static(t(self.HINT_KEY), id=f"{p}-hint", classes="muted")
            if self.DEVICE_PROMPT:
                yield Static("", id=f"{p}-device")
            yield Static("", id=f"{p}-status", classes="note")
        yield Footer()

    def on_mount(self) -> None:
        translate_bindings(self)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "sign":
            return self.phase == "idle"
        if action == "back":
            return self.phase != "signing"
        return True

    def watch_phase(self, phase: str) -> None:
        self.refresh_bindings()

    def action_back(self) -> None:
        if self.phase != "signing":
            self.leave()

    def status(self, text: str | Text, *, warning: bool = False) -> None:
        line = self.query_one(f"#{self.ID_PREFIX}-status", Static)
        line.update(Text(text) if isinstance(text, str) else text)
        line.set_class(warning, "warning")

    def sent_head(self, tx_hash: str, url: str | None) -> str:
        """The first lines of the status once sent: the hash, and where to see it."""
        head = t("send.review.sent", tx_hash=tx_hash)
        return head + ("\n" + t("send.review.explorer", url=url) if url else "")

    # -- the sign guard ------------------------------------------------------------------------

    def action_sign(self, way: str = "signer") -> None:
        if self.phase != "idle" or way not in self.sign_ways():
            return
        warning = self.second_press()
        if warning is not None and not self._armed:
            self._armed = True
            self.status(warning, warning=True)
            return
        reason = self.refusal()
        if reason is not None:
            self.status(reason, warning=True)
            return
        self.query_one(f"#{self.ID_PREFIX}-status", Static).remove_class("warning")
        from tui.screens.totp_prompt import require_send_code

        require_send_code(self.app, lambda: self._start_signing(way))

    def _start_signing(self, way: str) -> None:
        if self.phase != "idle":
            return
        reason = self.refusal()  # the code may have taken a while to type
        if reason is not None:
            self.status(reason, warning=True)
            return
        self.phase = "signing"
        if self.DEVICE_PROMPT:
            device = Text(t("send.review.signing") + "\n", style="bold")
            for label, value in self.device_lines():
                device.append(f"  {label}: {value}\n")
            if signer_model(self.session) == "software":
                device.append(t("send.review.signing_software"), style="italic")
            self.query_one(f"#{self.ID_PREFIX}-device", Static).update(device)
        self.started()
        self._sign(self.sign_ways()[way])

    # An async worker is enough for a device: the senders run the signer in a thread
    # (asyncio.to_thread), which a device blocks while it waits for its button, never the
    # event loop, so the "confirm on your device" modal is drawn meanwhile.
    @work(exclusive=True, group="review-sign", exit_on_error=False)
    async def _sign(self, way: SignWay) -> None:
        try:
            result = await way()
        except Exception as exc:
            self.phase = "idle"
            code = error_code(exc)
            if code is None:
                raise  # not ours: the app's one handler reports it
            self.app.recent_errors.append(code)  # type: ignore[attr-defined]
            self.status(self.error_text(exc), warning=True)
            return
        self.after_sent(result)
