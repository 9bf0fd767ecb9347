"""The outbox: signed transactions, stored before they are broadcast, and their reconciliation.

The rule that keeps money safe across crashes: a transaction is written here (and synced: the
store runs synchronous=FULL) before its bytes leave the process. On start, and whenever a send
is prepared, `reconcile` settles every open row:

- one of the transactions for its (sender, nonce) has a receipt -> that one is 'mined' (or
  'failed' if it reverted) and its siblings are 'replaced';
- the chain's nonce has moved past it with none of ours mined -> 'dropped' (another wallet
  used that nonce; nothing of ours can be mined any more);
- otherwise it is re-broadcast: the very same signed bytes, so the node either already has it
  or takes it now. It can never become a second transfer, because it spends the same nonce.

New transactions never take a nonce an open row holds (see next_nonce), so a crash cannot lead
to a nonce being used for two different payments.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from chains.errors import ChainError
from chains.evm import AlreadyKnown, EvmBackend, NonceUsed, TxRejected
from wallet.store import Store


class NonceGap(ChainError):
    """The node's next nonce leaves nonces before it that no known transaction holds."""

    code = "NONCE_GAP"

    def __init__(self, sender: str, latest: int, nonce: int, missing: int) -> None:
        super().__init__(
            f"the node says the next nonce of {sender} is {nonce}, but the chain has "
            f"{latest} transactions mined and this wallet knows of no payment waiting for "
            f"{missing} of the nonces in between: a payment signed now would wait behind a gap "
            "forever. Nothing was signed. If another wallet of these keys sent something, "
            "wait until it is mined; otherwise the node is wrong: try another RPC URL.",
            latest=latest,
            nonce=nonce,
        )


class TxState(StrEnum):
    SIGNED = "signed"  # stored, not known to be broadcast
    BROADCAST = "broadcast"  # a node accepted it
    MINED = "mined"
    FAILED = "failed"  # mined, reverted (the fee is spent, the transfer did not happen)
    REPLACED = "replaced"  # a sibling with the same nonce was mined
    DROPPED = "dropped"  # the nonce was used by a transaction we do not know
    # The node refused the broadcast. That proves nothing (a hostile node can pass the bytes on
    # and say "refused"), so it is watched by hash and nonce until the chain settles it; its
    # nonce may go to the next payment, and then at most one of the two can be mined.
    UNKNOWN = "unknown"


OPEN = (TxState.SIGNED, TxState.BROADCAST)
WATCHED = (*OPEN, TxState.UNKNOWN)  # not settled by the chain yet


@dataclass(frozen=True)
class OutboxEntry:
    id: int
    network: str
    chain_id: int
    sender: str
    nonce: int
    tx_hash: str
    raw_tx: bytes
    kind: str  # send | speedup | cancel
    replaces: int | None
    recipient: str
    asset: str
    amount: int
    gas: int
    max_fee_per_gas: int
    max_priority_fee_per_gas: int
    state: TxState
    block: int | None
    error: str | None
    created_at: str

    @property
    def open(self) -> bool:
        return self.state in OPEN

    @property
    def watched(self) -> bool:
        return self.state in WATCHED


@dataclass(frozen=True)
class NewEntry:
    network: str
    chain_id: int
    sender: str
    nonce: int
    tx_hash: str
    raw_tx: bytes
    kind: str
    recipient: str
    asset: str
    amount: int
    gas: int
    max_fee_per_gas: int
    max_priority_fee_per_gas: int
    replaces: int | None = None


@dataclass(frozen=True)
class ReconcileReport:
    mined: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()
    rebroadcast: tuple[str, ...] = ()
    dropped: tuple[str, ...] = ()
    replaced: tuple[str, ...] = ()
    still_open: tuple[str, ...] = ()
    unknown: tuple[str, ...] = ()  # refused by the node, not settled by the chain yet


def _now() -> str:
    return datetime.now(UTC).isoformat()


class Outbox:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.db = store.db

    def record(self, e: NewEntry) -> OutboxEntry:
        now = _now()
        with self.db:
            cur = self.db.execute(
                "INSERT INTO outbox(network, chain_id, sender, nonce, tx_hash, raw_tx, kind, "
                "replaces, recipient, asset, amount, gas, max_fee_per_gas, "
                "max_priority_fee_per_gas, state, created_at, updated_at) "
                "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'signed', ?, ?)",
                (
                    e.network,
                    e.chain_id,
                    e.sender,
                    e.nonce,
                    e.tx_hash.lower(),
                    e.raw_tx.hex(),
                    e.kind,
                    e.replaces,
                    e.recipient,
                    e.asset,
                    str(e.amount),
                    e.gas,
                    str(e.max_fee_per_gas),
                    str(e.max_priority_fee_per_gas),
                    now,
                    now,
                ),
            )
        return self.get(int(cur.lastrowid or 0))

    def mark(
        self, entry_id: int, state: TxState, *, block: int | None = None, error: str | None = None
    ) -> None:
        with self.db:
            self.db.execute(
                "UPDATE outbox SET state = ?, block = COALESCE(?, block), error = ?, "
                "updated_at = ? WHERE id = ?",
                (state.value, block, error, _now(), entry_id),
            )

    def get(self, entry_id: int) -> OutboxEntry:
        row = self.db.execute("SELECT * FROM outbox WHERE id = ?", (entry_id,)).fetchone()
        if row is None:
            raise KeyError(entry_id)
        return _entry(row)

    def by_hash(self, tx_hash: str) -> OutboxEntry | None:
        row = self.db.execute(
            "SELECT * FROM outbox WHERE tx_hash = ?", (tx_hash.lower(),)
        ).fetchone()
        return None if row is None else _entry(row)

    def entries(
        self, network: str, *, open_only: bool = False, watched: bool = False
    ) -> list[OutboxEntry]:
        sql = "SELECT * FROM outbox WHERE network = ?"
        if open_only:
            sql += " AND state IN ('signed', 'broadcast')"
        elif watched:
            sql += " AND state IN ('signed', 'broadcast', 'unknown')"
        rows = self.db.execute(sql + " ORDER BY id", (network,)).fetchall()
        return [_entry(r) for r in rows]

    def siblings(self, entry: OutboxEntry) -> list[OutboxEntry]:
        rows = self.db.execute(
            "SELECT * FROM outbox WHERE network = ? AND sender = ? AND nonce = ? ORDER BY id",
            (entry.network, entry.sender, entry.nonce),
        ).fetchall()
        return [_entry(r) for r in rows]

    def max_open_nonce(self, network: str, sender: str) -> int | None:
        row = self.db.execute(
            "SELECT MAX(nonce) FROM outbox WHERE network = ? AND sender = ? "
            "AND state IN ('signed', 'broadcast')",
            (network, sender),
        ).fetchone()
        return None if row[0] is None else int(row[0])

    def has_unsent(self, network: str) -> bool:
        row = self.db.execute(
            "SELECT 1 FROM outbox WHERE network = ? AND state = 'signed' LIMIT 1", (network,)
        ).fetchone()
        return row is not None

    def sent_to(self, network: str, recipient: str) -> bool:
        """Has this wallet sent to `recipient` before (a transaction that was mined)?"""
        row = self.db.execute(
            "SELECT 1 FROM outbox WHERE network = ? AND lower(recipient) = ? "
            "AND state = 'mined' LIMIT 1",
            (network, recipient.lower()),
        ).fetchone()
        return row is not None

    def recipients(self) -> list[str]:
        """Addresses this wallet has paid: only payments that reached the chain count, so a
        refused or dropped send to a poisoned address never makes it "known" (which would
        silence the new-address warning and feed the lookalike check)."""
        rows = self.db.execute(
            "SELECT DISTINCT recipient FROM outbox WHERE state = 'mined'"
        ).fetchall()
        return [str(r[0]) for r in rows]

    async def next_nonce(self, backend: EvmBackend, network: str, sender: str) -> int:
        """The node's pending count, but never a nonce one of our open rows holds: the node may
        have forgotten a transaction we still intend to land (it is re-broadcast on reconcile).

        Every nonce between the mined count and the one returned must be a transaction the
        wallet knows is waiting: otherwise the new one would sit behind a gap that nothing
        fills (a node answering a pending count too high, once, poisoned every later send)."""
        latest, pending = await backend.nonces(sender)
        mine = self.max_open_nonce(network, sender)
        nonce = pending if mine is None else max(pending, mine + 1)
        ours = self.watched_nonces(network, sender)
        missing = [k for k in range(latest, nonce) if k not in ours]
        if missing:
            raise NonceGap(sender, latest, nonce, len(missing))
        return nonce

    def watched_nonces(self, network: str, sender: str) -> set[int]:
        rows = self.db.execute(
            "SELECT DISTINCT nonce FROM outbox WHERE network = ? AND sender = ? "
            "AND state IN ('signed', 'broadcast', 'unknown')",
            (network, sender),
        ).fetchall()
        return {int(r[0]) for r in rows}

    def similar(
        self, network: str, sender: str, recipient: str, asset: str, amount: int
    ) -> list[OutboxEntry]:
        """This sender's payments of `amount` of `asset` to `recipient`, newest first."""
        rows = self.db.execute(
            "SELECT * FROM outbox WHERE network = ? AND sender = ? AND lower(recipient) = ? "
            "AND asset = ? AND amount = ? AND kind IN ('send', 'speedup') ORDER BY id DESC",
            (network, sender, recipient.lower(), asset, str(amount)),
        ).fetchall()
        return [_entry(r) for r in rows]

    async def reconcile(
        self, backend: EvmBackend, network: str, *, rebroadcast: bool = True
    ) -> ReconcileReport:
        """Settle open rows from the chain; rebroadcast=False only records what landed (the
        tracking loop), True also re-sends what is still open (start-up)."""
        open_rows = self.entries(network, watched=True)
        if not open_rows:
            return ReconcileReport()
        groups: dict[tuple[str, int], list[OutboxEntry]] = defaultdict(list)
        for row in open_rows:
            for sib in self.siblings(row):
                if sib not in groups[(sib.sender, sib.nonce)]:
                    groups[(sib.sender, sib.nonce)].append(sib)
        hashes = [e.tx_hash for group in groups.values() for e in group]
        receipts = await backend.receipts(hashes)
        latest_nonce: dict[str, int] = {}
        out: dict[str, list[str]] = defaultdict(list)
        for (sender, nonce), group in groups.items():
            landed = [e for e in group if receipts.get(e.tx_hash) is not None]
            if landed:
                winner = landed[0]
                rcpt = receipts[winner.tx_hash]
                assert rcpt is not None
                state = TxState.MINED if rcpt.success else TxState.FAILED
                self.mark(winner.id, state, block=rcpt.block)
                out[state.value].append(winner.tx_hash)
                for e in group:
                    if e.id != winner.id and e.watched:
                        self.mark(e.id, TxState.REPLACED)
                        out["replaced"].append(e.tx_hash)
                continue
            if sender not in latest_nonce:
                latest_nonce[sender] = (await backend.nonces(sender))[0]
            if latest_nonce[sender] > nonce:
                # Receipts are read before the nonce: a transaction of ours mined in between
                # would show up here as dropped, so look once more before saying so.
                again = await backend.receipts([e.tx_hash for e in group])
                if any(r is not None for r in again.values()):
                    out["still_open"].extend(e.tx_hash for e in group if e.watched)
                    continue
                for e in group:
                    if e.watched:
                        self.mark(e.id, TxState.DROPPED, error="nonce used by another transaction")
                        out["dropped"].append(e.tx_hash)
                continue
            # An unknown row is not sent again: the node refused it, and its nonce may belong
            # to a newer payment now. It stays watched until the chain settles it.
            out["unknown"].extend(e.tx_hash for e in group if e.state is TxState.UNKNOWN)
            if rebroadcast:
                await self._rebroadcast(backend, [e for e in group if e.open], out)
            else:
                out["still_open"].extend(e.tx_hash for e in group if e.open)
        if out["rebroadcast"]:
            # A node may mine at once (and a devnet does): record that now rather than at the
            # next start. One more batched request, only when something was re-sent.
            after = await self.reconcile(backend, network, rebroadcast=False)
            for key in ("mined", "failed", "replaced", "dropped"):
                out[key].extend(getattr(after, key))
        return ReconcileReport(
            mined=tuple(out["mined"]),
            failed=tuple(out["failed"]),
            rebroadcast=tuple(out["rebroadcast"]),
            dropped=tuple(out["dropped"]),
            replaced=tuple(out["replaced"]),
            still_open=tuple(out["still_open"]),
            unknown=tuple(out["unknown"]),
        )

    async def _rebroadcast(
        self, backend: EvmBackend, group: Sequence[OutboxEntry], out: dict[str, list[str]]
    ) -> None:
        """The newest (highest-fee) first: a node holding an older sibling takes the newer as
        its replacement, and then refuses the older one as underpriced, which is fine."""
        for e in sorted(group, key=lambda e: e.id, reverse=True):
            try:
                await backend.broadcast(e.raw_tx)
            except AlreadyKnown:
                pass
            except NonceUsed:
                # Mined between our receipt check and now: the next reconcile records it.
                out["still_open"].append(e.tx_hash)
                continue
            except TxRejected as exc:
                self.mark(e.id, e.state, error=exc.reason[:200])
                out["still_open"].append(e.tx_hash)
                continue
            self.mark(e.id, TxState.BROADCAST)
            out["rebroadcast"].append(e.tx_hash)


def _entry(r: Any) -> OutboxEntry:
    return OutboxEntry(
        id=int(r["id"]),
        network=r["network"],
        chain_id=int(r["chain_id"]),
        sender=r["sender"],
        nonce=int(r["nonce"]),
        tx_hash=r["tx_hash"],
        raw_tx=bytes.fromhex(r["raw_tx"]),
        kind=r["kind"],
        replaces=r["replaces"],
        recipient=r["recipient"],
        asset=r["asset"],
        amount=int(r["amount"]),
        gas=int(r["gas"]),
        max_fee_per_gas=int(r["max_fee_per_gas"]),
        max_priority_fee_per_gas=int(r["max_priority_fee_per_gas"]),
        state=TxState(r["state"]),
        block=r["block"],
        error=r["error"],
        created_at=r["created_at"],
    )
