"""History of Bitcoin and Litecoin accounts, from their syncs (wallet/utxo_sync.py)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from wallet.history.model import HistoryItem, SourcePage
from wallet.store import Store


def account_label(utxo_account: Any) -> str:
    """How history names a Bitcoin-like account: its first receiving address on the network."""
    return str(utxo_account.keys.key(0, 0).address)


class UtxoHistorySource:
    """History of Bitcoin/Litecoin accounts from their sync (wallet/utxo_sync.py): a sync reads
    every transaction of the account, so each fetch returns the whole history and rows the
    server no longer reports (a reorg, a replaced or dropped transaction) are removed.

    One row per transaction and account: `account` is the account's first receiving address on
    this network (`account_label`: regtest writes testnet keys with its own prefix); the
    amount is what left for others (out), came in (in) or came back to the account (self).
    `results` are syncs already made (the Assets refresh), keyed by account id; accounts
    without one are synced here."""

    name = "utxo"

    def __init__(
        self,
        accounts: Sequence[Any],  # wallet.utxo_sync.UtxoAccount, all on one network
        results: Mapping[int, Any] | None = None,  # account id -> SyncResult
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not accounts:
            raise ValueError("a UTXO history source needs at least one account")
        self.accounts = tuple(accounts)
        self.network = self.accounts[0].network.id
        self._results = dict(results or {})
        # When a pending transaction is first seen (its row's time until it is mined): a
        # fixed clock in the screenshots and snapshots, so they are the same on every run.
        self._clock = clock

    def labels(self) -> list[str]:
        """The `account` values of this source's rows (HistorySync's accounts)."""
        return [account_label(ua) for ua in self.accounts]

    async def fetch(self, accounts: Sequence[str], cursors: Mapping[str, str | None]) -> SourcePage:
        items: list[HistoryItem] = []
        new: dict[str, str] = {}
        for ua in self.accounts:
            label = account_label(ua)
            if label not in accounts:
                continue
            result = self._results.get(ua.account.id) or await ua.sync()
            items += self._items(ua, result)
            new[label] = str(result.tip)
        head = max((int(v) for v in new.values()), default=None)
        return SourcePage(items, new, replace_from=0, head=head)

    def _items(self, ua: Any, result: Any) -> list[HistoryItem]:
        from chains.utxo import parse_tx, script_to_address

        net = ua.network
        ours = {ua.keys.key(c, i).script for c in (0, 1) for i in range(result.used.get(c, 0))}
        txids = [r.txid for r in result.history]
        raw: dict[str, bytes] = {}
        made: set[str] = set()
        if txids:
            marks = ",".join("?" * len(txids))
            for r in ua.store.db.execute(
                f"SELECT txid, raw FROM utxo_transactions WHERE network = ? AND txid IN ({marks})",  # noqa: S608
                [net.id, *txids],
            ):
                raw[str(r[0])] = bytes(r[1])
            if self._has_outgoing(ua.store):
                made = {
                    str(r[0])
                    for r in ua.store.db.execute(
                        f"SELECT txid FROM utxo_outgoing WHERE network = ? AND txid IN ({marks})",  # noqa: S608
                        [net.id, *txids],
                    )
                }
        now = int(self._clock())
        out = []
        for rec in result.history:
            if rec.txid not in raw:
                continue
            outputs = [(o.script_pubkey.data, int(o.value)) for o in parse_tx(raw[rec.txid]).vout]
            others = [(script, v) for script, v in outputs if script not in ours]
            if rec.sent == 0:
                direction, amount, counterparty = "in", rec.received, ""
            elif not others:
                direction, amount, counterparty = "self", rec.received, ""
            else:
                direction, amount = "out", sum(v for _, v in others)
                counterparty = script_to_address(others[0][0], net) or ""
            out.append(
                HistoryItem(
                    network=net.id, account=account_label(ua), tx_hash=rec.txid, log_index=-1,
                    kind="transfer", direction=direction, asset=f"{net.id}:native",
                    symbol=net.symbol, decimals=net.decimals, amount=amount,
                    counterparty=counterparty,
                    status="confirmed" if rec.confirmed else "pending",
                    block=rec.height if rec.confirmed else None,
                    ts=rec.block_time or now,
                    fee=rec.fee if direction != "in" else None,
                    made_here=rec.txid in made,
                )
            )  # fmt: skip
        return out

    @staticmethod
    def _has_outgoing(store: Store) -> bool:
        return (
            store.db.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'utxo_outgoing'"
            ).fetchone()
            is not None
        )

    async def aclose(self) -> None:
        return None  # the backend belongs to the wallet's UTXO portfolio, which closes it
