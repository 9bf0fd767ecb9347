"""Following a sent Bitcoin/Litecoin transaction until a block holds it: the UTXO send review
and the fee-bump review do it one way (issue 21), on the review base's status line."""

from __future__ import annotations

import asyncio
from typing import Any

from rich.text import Text
from textual import work
from textual.widgets import Static

from tui.i18n import t

TRACK_POLL = 3.0  # seconds between status reads while waiting for a block


class UtxoTracking:
    """For a ReviewScreen that has `utxo` (the portfolio), `key` (the account) and `txid`."""

    utxo: Any
    key: str
    txid: str | None

    @work(exclusive=True, group="utxo-track", exit_on_error=False)
    async def _track(self) -> None:
        from chains.errors import ChainError
        from tui.messages import BalancesChanged
        from wallet.history.model import explorer_link

        screen: Any = self
        assert self.txid is not None
        status = screen.query_one("#review-status", Static)
        url = explorer_link(self.utxo.network(self.key).to_network(), self.txid)
        head = screen.sent_head(self.txid, url)
        status.update(Text(head + "\n" + t("utxo.send.pending")))
        sender = self.utxo.sender(self.key)
        while True:
            try:
                st = await sender.status(self.txid)
            except ChainError:
                st = None  # the server is away: the transaction is stored, keep asking
            if st is not None and st.state.value == "confirmed":
                break
            await asyncio.sleep(TRACK_POLL)
        screen.phase = "settled"
        status.update(Text(head + "\n" + t("send.review.mined", block=st.height)))
        screen.post_message(BalancesChanged())  # confirmed: Assets reads its balances again
