"""The top line: app name, network, signer and lock state, always visible."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from tui.i18n import t

if TYPE_CHECKING:  # wallet.session pulls in pydantic models the first frame does not need
    from wallet.session import SessionStatus


class WalletHeader(Horizontal):
    def compose(self) -> ComposeResult:
        yield Static(t("app.title"), id="hdr-title")
        yield Static("", id="hdr-demo")
        yield Static("", id="hdr-network")
        yield Static("", id="hdr-signer")
        yield Static("", id="hdr-lock")

    def on_mount(self) -> None:
        self.watch(self.app, "status", self._show, init=True)

    def _show(self, status: SessionStatus | None) -> None:
        demo = self.query_one("#hdr-demo", Static)
        demo.update(t("header.demo") if status and status.demo else "")
        demo.display = bool(status and status.demo)
        if status is None:
            network = signer = lock = t("header.starting")
            self.remove_class("locked")
        else:
            network = status.network_name
            signer = t(f"header.{status.signer}") if status.signer in _KNOWN else status.signer
            if status.wallet is not None and status.connected is not None:
                # A device wallet: its name, and whether its device is in use now.
                state = t("header.connected") if status.connected else t("header.unplugged")
                signer = f"{status.wallet} ({state})"
            lock = (
                ""
                if status.locked is None
                else t("header.locked")
                if status.locked
                else t("header.unlocked")
            )
            self.set_class(bool(status.locked), "locked")
        self.query_one("#hdr-network", Static).update(Text(f"{t('header.network')}: {network}"))
        self.query_one("#hdr-signer", Static).update(Text(f"{t('header.signer')}: {signer}"))
        self.query_one("#hdr-lock", Static).update(lock)


_KNOWN = {"software", "watch_only", "no_wallet"}
