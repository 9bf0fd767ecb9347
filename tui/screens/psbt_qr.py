"""A PSBT as an animated QR code (BC-UR crypto-psbt, fountain coded) for QR signers:
Keystone, Jade, SeedSigner, Passport. The frames run until the user leaves; a signer that
missed some completes from later ones. The signed PSBT comes back through "Load a signed PSBT"
(a file, or its base64/UR text pasted)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from tui.bindings import translate_bindings
from tui.i18n import t

FRAME_SECONDS = 0.25
# Bytes a frame: 25 text rows (QR version 7, level M). Larger frames need taller terminals.
FRAGMENT = 60


class PsbtQrScreen(Screen[None]):
    CSS_PATH = "../styles/send.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "back", "bind.send_back")]

    def __init__(self, psbt: bytes) -> None:
        super().__init__()
        from wallet.psbt_ur import UrEncoder

        self.encoder = UrEncoder.for_psbt(psbt, FRAGMENT)
        self.frame = 0
        self.shown: list[str] = []  # the UR parts drawn so far (the tests decode them)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="review-body"):
            yield Static(t("psbt.app.qr_title"), classes="title")
            yield Static("", id="psbt-qr")
            yield Static("", id="psbt-qr-hint", classes="muted")
        yield Footer()

    def on_mount(self) -> None:
        translate_bindings(self)
        self._next()
        if not self.encoder.single:
            self.set_interval(FRAME_SECONDS, self._next)

    def _next(self) -> None:
        from wallet.qr import qr_text

        self.frame += 1
        part = self.encoder.part(self.frame)
        self.shown.append(part)
        # No markup: the lines are drawn as plain text.
        self.query_one("#psbt-qr", Static).update(Text("\n".join(qr_text(part).lines)))
        self.query_one("#psbt-qr-hint", Static).update(
            t("psbt.app.qr_hint", n=self.frame, total=self.encoder.seq_len)
        )

    def action_back(self) -> None:
        self.app.pop_screen()
