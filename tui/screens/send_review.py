"""The review before signing, the signing itself (with what the signer shows), and tracking
until the chain settles it. Speed-up and cancel of the pending payment start from here and
come back here for their own review."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer, Static

from tui.bindings import translate_bindings
from tui.errors import ReportsFailures, error_code
from tui.i18n import t
from tui.screens.send import send_error_text
from wallet.view import amount_text

if TYPE_CHECKING:
    from wallet.pending import OutboxEntry
    from wallet.send import Review
    from wallet.session import WalletSession

# Warnings that make ctrl+s ask twice: the ones that mean money may go where it is lost.
SERIOUS = frozenset({"lookalike", "token_contract", "contract", "high_fee", "duplicate"})


class SendReviewScreen(ReportsFailures, Screen[None]):
    CSS_PATH = "../styles/send.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "sign", "bind.send_sign", priority=True),
        Binding("u", "replace('speedup')", "bind.send_speedup"),
        Binding("x", "replace('cancel')", "bind.send_cancel_tx"),
        Binding("escape", "back", "bind.send_back"),
    ]

    # idle -> signing -> pending -> settled (or back to idle on an error before sending)
    phase: reactive[str] = reactive("idle")

    def __init__(self, review: Review, *, save_as: str | None = None) -> None:
        super().__init__()
        self.review = review
        self._save_as = save_as  # a name: the recipient goes into the address book once sent
        self.entry: OutboxEntry | None = None
        self._armed = False  # ctrl+s pressed once with serious warnings

    @property
    def session(self) -> WalletSession:
        return self.app.session  # type: ignore[attr-defined,no-any-return]

    def compose(self) -> ComposeResult:
        r = self.review
        title = {
            "send": "send.review.title",
            "speedup": "send.review.title_speedup",
            "cancel": "send.review.title_cancel",
        }[r.kind]
        with VerticalScroll(id="review-body"):
            yield Static(t(title), classes="title")
            yield Static(self._table(), id="review-table")
            if r.warnings:
                warn = Text(t("send.review.warnings") + "\n", style="bold")
                for w in r.warnings:
                    warn.append(
                        "! " + t(f"send.warning.{w.kind.value}", other=w.other or "") + "\n"
                    )
                yield Static(warn, id="review-warnings", classes="warning")
            yield Static(t("send.review.confirm_hint"), id="review-hint", classes="muted")
            yield Static("", id="review-device")
            yield Static("", id="review-status", classes="note")
        yield Footer()

    def _table(self) -> Text:
        r = self.review
        native = r.native

        def n(v: int) -> str:
            return amount_text(v, native.decimals, 18) + f" {native.symbol}"

        amount = amount_text(r.amount, r.asset.decimals, 18) + f" {r.asset.symbol}"
        total = n(r.total_native) if r.asset.contract is None else f"{amount} + {n(r.max_fee)}"
        tier = t(f"send.fee_{r.fee.tier.value}")
        rows = [
            ("network", f"{r.network.name} ({r.network.evm_chain_id})"),
            ("from", r.sender),
            ("to", r.recipient + (f"  [{r.contact}]" if r.contact else "")),
        ]
        if r.asset.contract is not None:
            rows.append(("token", r.asset.contract))
        rows += [
            ("amount", amount),
            (
                "fee",
                t("send.review.fee_value", likely=n(r.likely_fee), max=n(r.max_fee), tier=tier),
            ),
            ("total", total),
            ("fiat", t("send.review.fiat_none")),
            ("nonce", str(r.nonce)),
        ]
        out = Text()
        for key, value in rows:
            out.append(f"{t(f'send.review.{key}')}: ", style="bold")
            out.append(value + "\n")
        return out

    def on_mount(self) -> None:
        translate_bindings(self)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "sign":
            return self.phase == "idle"
        if action == "replace":
            return self.phase == "pending"
        return True

    def watch_phase(self, phase: str) -> None:
        self.refresh_bindings()

    def action_back(self) -> None:
        if self.phase != "signing":
            self.app.pop_screen()

    # -- sign and send -----------------------------------------------------------------------

    def action_sign(self) -> None:
        serious = any(w.kind.value in SERIOUS for w in self.review.warnings)
        status = self.query_one("#review-status", Static)
        if serious and not self._armed:
            self._armed = True
            status.update(t("send.review.confirm_again"))
            status.add_class("warning")
            return
        status.remove_class("warning")
        from tui.screens.totp_prompt import require_send_code

        require_send_code(self.app, self._start_signing)

    def _start_signing(self) -> None:
        if self.phase != "idle":
            return
        self.phase = "signing"
        device = Text(t("send.review.signing") + "\n", style="bold")
        for key, value in self.review.device_view():
            device.append(f"  {t(f'send.device.{key}')}: {value}\n")
        if getattr(getattr(self.session.active_signer, "info", None), "model", "") == "software":
            device.append(t("send.review.signing_software"), style="italic")
        self.query_one("#review-device", Static).update(device)
        self._sign()

    # An async worker is enough for a device: EvmSender.sign_and_send calls the signer with
    # asyncio.to_thread, and a device signer (OnDeviceThread) blocks that thread, never the
    # event loop, so the "confirm on your device" modal is drawn while the device waits.
    @work(exclusive=True, group="send-sign", exit_on_error=False)
    async def _sign(self) -> None:
        status = self.query_one("#review-status", Static)
        sender = self.session.sender()
        try:
            self.entry = await sender.sign_and_send(self.review, self.session.active_signer)
        except Exception as exc:
            self.phase = "idle"
            code = error_code(exc)
            if code is None:
                raise
            self.app.recent_errors.append(code)  # type: ignore[attr-defined]
            status.update(Text(signing_error_text(exc, self.session, self.review.asset)))
            status.add_class("warning")
            return
        if self._save_as:
            from wallet.addressbook import AddressBook

            r = self.review
            AddressBook(self.session.store).add(r.network.id, r.recipient, self._save_as[:64])
        self.phase = "pending"
        self._track()

    @work(exclusive=True, group="send-track", exit_on_error=False)
    async def _track(self) -> None:
        from chains.errors import ChainError
        from chains.networks import explorer_tx_url

        assert self.entry is not None
        status = self.query_one("#review-status", Static)
        url = explorer_tx_url(self.review.network, self.entry.tx_hash)
        head = t("send.review.sent", tx_hash=self.entry.tx_hash)
        if url:
            head += "\n" + t("send.review.explorer", url=url)
        status.update(Text(head + "\n" + t("send.review.pending")))
        sender = self.session.sender()
        while True:
            try:
                entry = await sender.wait(self.entry, timeout=30, poll=1.0)
            except ChainError:
                entry = self.entry  # the node is away: keep the entry, try again
            if not entry.open:
                break
            status.update(Text(head + "\n" + t("send.review.pending")))
        self.phase = "settled"
        final = {
            "mined": t("send.review.mined", block=entry.block),
            "failed": t("send.review.failed", block=entry.block),
            "replaced": t("send.review.replaced"),
            "dropped": t("send.review.dropped"),
            "unknown": t("send.review.unknown"),
        }[entry.state.value]
        status.update(Text(head + "\n" + final))
        status.set_class(entry.state.value in ("failed", "dropped", "unknown"), "warning")

    # -- speed up / cancel -------------------------------------------------------------------

    def action_replace(self, kind: str) -> None:
        if self.entry is not None and self.phase == "pending":
            self._replacement(kind)

    @work(exclusive=True, group="send-replace", exit_on_error=False)
    async def _replacement(self, kind: Any) -> None:
        assert self.entry is not None
        status = self.query_one("#review-status", Static)
        try:
            review = await self.session.sender().replacement(self.entry.id, kind, self.review.path)
        except Exception as exc:
            code = error_code(exc)
            if code is None:
                raise
            status.update(Text(send_error_text(exc, self.session, self.review.asset)))
            return
        self.app.push_screen(SendReviewScreen(review))


def signing_error_text(error: BaseException, session: WalletSession, asset: Any) -> str:
    """A device's refusal in the device's words (rejected, locked, wrong app, unplugged);
    anything else as the send screen words it."""
    from devices.errors import DeviceError
    from tui.device_interaction import device_error_text

    if isinstance(error, DeviceError):
        model = getattr(getattr(session.active_signer, "info", None), "model", None)
        return device_error_text(error, str(model or session.signer))
    return send_error_text(error, session, asset)
