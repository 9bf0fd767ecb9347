"""The top line: app name, network, signer and lock state, always visible."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from tui.i18n import t

if TYPE_CHECKING:  # wallet.session pulls in pydantic models the first frame does not need
    from wallet.session import SessionStatus


class WalletHeader(Horizontal):
    """What does not fit goes in this order: the app's name, the "Network:" label, the
    "Signer:" label. Textual would cut the line instead, and the lock state (docked right) then
    covered the signer: "签名: 软    解锁" in zh-CN with the keys panel open."""

    def __init__(self) -> None:
        super().__init__()
        self._network = self._signer = ""

    def compose(self) -> ComposeResult:
        # Filled at once in their fullest form (_fit shortens them once the width is known):
        # empty Statics updated on mount drew the labels a frame after the first one.
        status = getattr(self.app, "status", None)
        network, signer, lock = _labels(status)
        demo = Static(t("header.demo") if status and status.demo else "", id="hdr-demo")
        demo.display = bool(status and status.demo)
        yield Static(t("app.title"), id="hdr-title")
        yield demo
        yield Static(Text(f"{t('header.network')}: {network}"), id="hdr-network")
        yield Static(Text(f"{t('header.signer')}: {signer}"), id="hdr-signer")
        yield Static(lock, id="hdr-lock")

    def on_mount(self) -> None:
        self.watch(self.app, "status", self._show, init=True)

    def _show(self, status: SessionStatus | None) -> None:
        demo = self.query_one("#hdr-demo", Static)
        demo.update(t("header.demo") if status and status.demo else "")
        demo.display = bool(status and status.demo)
        network, signer, lock = _labels(status)
        self.set_class(bool(status and status.locked), "locked")
        self._network, self._signer = network, signer
        self.query_one("#hdr-lock", Static).update(lock)
        self._fit()

    def on_resize(self, _: events.Resize) -> None:
        self._fit()

    def _fit(self) -> None:
        """The fullest form of the line that fits the header's width (in terminal cells: a
        CJK character takes two)."""
        if not self._network and not self._signer:
            return
        title = self.query_one("#hdr-title", Static)
        demo = self.query_one("#hdr-demo", Static)
        lock = str(self.query_one("#hdr-lock", Static).render())
        network_label = f"{t('header.network')}: {self._network}"
        signer_label = f"{t('header.signer')}: {self._signer}"
        forms = [
            (True, network_label, signer_label),
            (False, network_label, signer_label),
            (False, self._network, signer_label),
            (False, self._network, self._signer),
        ]
        fixed = (cell_len(t("header.demo")) + 2 if demo.display else 0) + (
            cell_len(lock) + 2 if lock else 0
        )
        width = self.size.width
        for show_title, network, signer in forms:
            used = fixed + cell_len(network) + cell_len(signer) + 4
            used += cell_len(t("app.title")) + 2 if show_title else 0
            if width == 0 or used <= width:
                break
        title.display = show_title
        self.query_one("#hdr-network", Static).update(Text(network))
        self.query_one("#hdr-signer", Static).update(Text(signer))


_KNOWN = {"software", "watch_only", "no_wallet"}


def _labels(status: SessionStatus | None) -> tuple[str, str, str]:
    """(network, signer, lock state) as the header says them."""
    if status is None:
        starting = t("header.starting")
        return starting, starting, starting
    network = status.network_name
    signer = t(f"header.{status.signer}") if status.signer in _KNOWN else status.signer
    if status.wallet is not None and status.connected is not None:
        # A device wallet: its name, and whether its device is in use now.
        state = t("header.connected") if status.connected else t("header.unplugged")
        signer = f"{status.wallet} ({state})"
    if status.locked is None:
        lock = ""
    else:
        lock = t("header.locked") if status.locked else t("header.unlocked")
    return network, signer, lock
