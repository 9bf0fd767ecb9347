"""The review of a fee bump (wallet/utxo_bump.py), on the shared review shape: old fee, new fee
and what changes before ctrl+s signs; the replacement (RBF) or child (CPFP) is then sent and
followed until a block holds it."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, ClassVar

from textual.binding import Binding, BindingType

from tui.i18n import t
from tui.screens.review_base import ReviewScreen, Row
from tui.screens.utxo_track import UtxoTracking
from tui.send_errors import utxo_error_text
from wallet.view import amount_text

if TYPE_CHECKING:
    from wallet.utxo_bump import BumpReview
    from wallet.utxo_portfolio import UtxoPortfolio


class BumpReviewScreen(UtxoTracking, ReviewScreen[None]):
    CSS_PATH = "../styles/send.tcss"
    TITLE_KEY = "bump.title_rbf"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "sign", "bind.send_sign", priority=True),
        Binding("escape", "back", "bind.send_back"),
    ]

    def __init__(self, key: str, review: BumpReview) -> None:
        super().__init__()
        self.key = key
        self.review = review
        self.txid: str | None = None

    @property
    def utxo(self) -> UtxoPortfolio:
        assert self.session.utxo is not None
        return self.session.utxo

    def _coins(self, value: int) -> str:
        return amount_text(value, self.review.decimals) + f" {self.review.symbol}"

    def title_key(self) -> str:
        return f"bump.title_{self.review.kind.value}"

    def rows(self) -> list[Row]:
        r, c = self.review, self._coins
        net = self.utxo.network(self.key)
        old = t("bump.fee_value", fee=c(r.old_fee), rate=r.old_rate)
        if r.kind.value == "rbf":
            rows = [
                ("send.review.network", net.name),
                ("bump.replaces", r.txid),
                ("bump.pays", t("bump.pays_value", amount=c(r.amount), to=r.recipient)),
                ("bump.old_fee", old),
                (
                    "bump.new_fee",
                    t(
                        "bump.new_fee_value",
                        fee=c(r.new_fee),
                        rate=r.new_rate,
                        more=c(r.fee_increase),
                    ),
                ),
                ("bump.change", t("bump.change_value", old=c(r.old_change), new=c(r.new_change))),
                ("bump.added", str(r.added_inputs)),
            ]
        else:
            rows = [
                ("send.review.network", net.name),
                ("bump.parent", r.txid),
                ("bump.parent_fee", old),
                ("bump.child_fee", c(r.child_fee)),
                ("bump.package", t("bump.fee_value", fee=c(r.new_fee), rate=r.new_rate)),
                ("bump.back", t("bump.back_value", amount=c(r.new_change), to=r.recipient)),
            ]
        return [(t(k), v) for k, v in rows]

    def device_lines(self) -> list[Row]:
        r = self.review
        if r.kind.value == "rbf":
            return [
                (t("send.device.to"), r.recipient),
                (t("send.device.amount"), self._coins(r.amount)),
                (t("utxo.send.device_fee"), self._coins(r.new_fee)),
            ]
        return [(t("utxo.send.device_fee"), self._coins(r.child_fee))]

    async def sign_and_send(self) -> str:
        bumper = self.utxo.bumper(self.key)
        # sign() blocks (a device waits for its button) and stores the transaction first.
        signed = await asyncio.to_thread(bumper.sign, self.review, self.session.active_signer)
        return await bumper.broadcast(self.review, signed)

    def error_text(self, error: BaseException) -> str:
        return utxo_error_text(error, self.review.symbol, self.review.decimals)

    def after_sent(self, result: Any) -> None:
        self.txid = result
        self.phase = "pending"
        self._track()
