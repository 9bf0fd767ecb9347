"""Messages the app's screens send one another through the app."""

from __future__ import annotations

from textual.message import Message


class BalancesChanged(Message):
    """A transaction this app made settled on chain (a send mined or failed, a swap done): what
    the wallet holds changed. Posted by the flow's screen; it bubbles to the app, which bumps
    `TermwalletApp.balances_version`, and the Assets screen (another mode's screen, which no
    message of this screen's reaches) watches that and reloads in a worker."""
