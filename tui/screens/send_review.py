"""The review before signing, the signing itself (with what the signer shows), and tracking
until the chain settles it. Speed-up and cancel of the pending payment start from here and
come back here for their own review."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static

from tui.errors import error_code
from tui.fiat_text import review_fiat
from tui.i18n import t
from tui.screens.review_base import ReviewScreen, Row
from tui.send_errors import send_error_text, signing_error_text
from tui.token_text import first_use_text, nodes_text
from wallet.view import amount_text

if TYPE_CHECKING:
    from wallet.pending import OutboxEntry
    from wallet.send import Review

# Warnings that make ctrl+s ask twice: the ones that mean money may go where it is lost.
SERIOUS = frozenset({"lookalike", "token_contract", "contract", "high_fee", "duplicate"})


class SendReviewScreen(ReviewScreen[None]):
    CSS_PATH = "../styles/send.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "sign", "bind.send_sign", priority=True),
        Binding("u", "replace('speedup')", "bind.send_speedup"),
        Binding("x", "replace('cancel')", "bind.send_cancel_tx"),
        Binding("escape", "back", "bind.send_back"),
    ]

    def __init__(self, review: Review, *, save_as: str | None = None) -> None:
        super().__init__()
        self.review = review
        self._save_as = save_as  # a name: the recipient goes into the address book once sent
        self.entry: OutboxEntry | None = None

    def title_key(self) -> str:
        return {
            "send": "send.review.title",
            "speedup": "send.review.title_speedup",
            "cancel": "send.review.title_cancel",
        }[self.review.kind]

    def rows(self) -> list[Row]:
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
            (
                "fiat",
                review_fiat(
                    self.session,
                    [
                        ("amount", self.session.price_symbol(r.asset), r.amount, r.asset.decimals),
                        ("fee", native.symbol, r.max_fee, native.decimals),
                    ],
                ),
            ),
            ("nonce", str(r.nonce)),
        ]
        if r.nodes:
            rows.append(("nodes", nodes_text(r.nodes, self.session)))
        return [(t(f"send.review.{key}"), value) for key, value in rows]

    def compose_notes(self) -> ComposeResult:
        if self.review.first_use is not None:
            yield Static(first_use_text(self.review.first_use), id="review-first-use")
        if self.review.warnings:
            warn = Text(t("send.review.warnings") + "\n", style="bold")
            for w in self.review.warnings:
                warn.append("! " + t(f"send.warning.{w.kind.value}", other=w.other or "") + "\n")
            yield Static(warn, id="review-warnings", classes="warning")

    def device_lines(self) -> list[Row]:
        return [(t(f"send.device.{key}"), value) for key, value in self.review.device_view()]

    def second_press(self) -> str | None:
        serious = any(w.kind.value in SERIOUS for w in self.review.warnings)
        return t("send.review.confirm_again") if serious else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "replace":
            return self.phase == "pending"
        return super().check_action(action, parameters)

    # -- sign and send -----------------------------------------------------------------------

    async def sign_and_send(self) -> OutboxEntry:
        # EvmSender.sign_and_send runs the signer in a thread (see review_base).
        return await self.session.sender().sign_and_send(self.review, self.session.active_signer)

    def error_text(self, error: BaseException) -> str:
        session, asset = self.session, self.review.asset
        return signing_error_text(error, session, lambda e: send_error_text(e, session, asset))

    def after_sent(self, result: Any) -> None:
        self.entry = result
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
        head = self.sent_head(self.entry.tx_hash, url)
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
        if entry.state.value in ("mined", "failed", "replaced"):
            from tui.messages import BalancesChanged

            # On chain (a failed one paid its fee too): Assets reads its balances again.
            self.post_message(BalancesChanged())

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
