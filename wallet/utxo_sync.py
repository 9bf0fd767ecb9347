"""Bitcoin and Litecoin accounts: gap-limit address discovery, balances, UTXOs and history.

An account's addresses come from its stored account-level xpub (no password). Discovery walks
the receive (0) and change (1) chains until `gap_limit` consecutive addresses have no history
(BIP44's rule, 20 by default), asking the server about windows of addresses that double in
size, so a wallet with 1,000 used addresses needs a handful of round trips, not fifty.

Transactions are fetched once and cached in the store; balances, UTXOs and the account's view
of each transaction (received, sent, fee) are computed from them, so a re-sync asks only for
histories and whatever is new.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from chains.aio import gather_all
from chains.coin_selection import Coin
from chains.errors import ChainError
from chains.utxo import UtxoBackend
from said import Said
from wallet.accounts import Account
from wallet.store import Store
from wallet.utxo_keys import CHANGE, RECEIVE, AccountKeys, AddressKey, UtxoAccountError

DEFAULT_GAP_LIMIT = 20
MAX_WINDOW = 500
# A server that puts a transaction in every address's history would have discovery derive
# and ask forever (seen with the hostile proxy of issue 14). No personal account comes near
# this many used addresses on one chain; beyond it the server's answer is refused.
MAX_ADDRESSES_PER_CHAIN = 5_000


class ImplausibleHistory(ChainError):
    code = "UTXO_IMPLAUSIBLE_HISTORY"


@dataclass(frozen=True)
class UtxoTxRecord:
    """One transaction as the account sees it; the History screen merges these."""

    network: str
    account_id: int
    txid: str
    received: int  # to our addresses
    sent: int  # from our addresses
    fee: int | None  # None when an input is not ours (we cannot know it)
    height: int  # <= 0: unconfirmed
    block_time: int | None  # Unix seconds of its block
    confirmations: int

    @property
    def amount(self) -> int:
        """Net effect on the account: positive received, negative sent (fee included)."""
        return self.received - self.sent

    @property
    def confirmed(self) -> bool:
        return self.height > 0


@dataclass(frozen=True)
class SyncResult:
    network: str
    account_id: int
    tip: int
    confirmed: int  # base units in confirmed UTXOs
    unconfirmed: int  # base units in mempool UTXOs (may be ours: change)
    coins: tuple[Coin, ...]
    history: tuple[UtxoTxRecord, ...]  # newest first
    used: dict[int, int]  # chain -> number of addresses up to the last used one
    receive_address: str  # first unused receiving address
    change_key: AddressKey  # first unused change address
    requests: int  # protocol calls this sync made
    as_of: datetime = field(default_factory=lambda: datetime.now(UTC))
    receive_index: int = 0  # the receiving address's index (a device shows it by its path)

    @property
    def total(self) -> int:
        return self.confirmed + self.unconfirmed


class UtxoAccount:
    """One stored Bitcoin/Litecoin account on one network, synced through a backend."""

    def __init__(
        self,
        store: Store,
        account: Account,
        backend: UtxoBackend,
        *,
        gap_limit: int = DEFAULT_GAP_LIMIT,
    ) -> None:
        if account.xpub is None or account.path is None:
            raise UtxoAccountError(
                Said(
                    "utxo_sync.watch_only_single_address",
                    "a watch-only single address has no xpub: add the account "
                    "from a signer or xpub",
                )
            )
        net = backend.network
        if account.family != net.family:
            raise UtxoAccountError(
                Said(
                    "utxo_sync.account_account_not",
                    "account {id} is a {family} account, not {network}",
                    id=account.id,
                    family=account.family,
                    network=net.id,
                )
            )
        if gap_limit < 1:
            raise UtxoAccountError(
                Said("utxo_sync.gap_limit_must_at", "the gap limit must be at least 1")
            )
        self.store = store
        self.account = account
        self.backend = backend
        self.network = net
        self.gap_limit = gap_limit
        self.keys = AccountKeys(net, account.script, account.xpub, account.path)

    @cached_property
    def _db(self) -> Any:
        return self.store.db

    # --- addresses -----------------------------------------------------------------------

    def _known_used(self) -> dict[int, int]:
        rows = self._db.execute(
            "SELECT change, MAX(idx) AS top FROM utxo_addresses "
            "WHERE account_id = ? AND network = ? AND used = 1 GROUP BY change",
            (self.account.id, self.network.id),
        ).fetchall()
        return {int(r["change"]): int(r["top"]) + 1 for r in rows}

    async def _discover(
        self, change: int, start_hint: int, found: dict[str, Any]
    ) -> dict[str, AddressKey]:
        """Addresses of one chain in order until `gap_limit` consecutive ones have no history
        (BIP44); returns those with history, address -> key. Windows grow (fewer round
        trips); what a window fetched past the gap is ignored, so the answer does not depend
        on window sizes."""
        used: dict[str, AddressKey] = {}
        unused_run = 0
        start = 0
        window = max(self.gap_limit, start_hint + self.gap_limit)
        while True:
            keys = [self.keys.key(change, i) for i in range(start, start + window)]
            histories = await self.backend.histories([k.address for k in keys])
            for k in keys:
                if not histories[k.address]:
                    unused_run += 1
                    if unused_run >= self.gap_limit:
                        return used
                    continue
                unused_run = 0
                used[k.address] = k
                found[k.address] = histories[k.address]
            start += window
            if start >= MAX_ADDRESSES_PER_CHAIN:
                raise ImplausibleHistory(
                    Said(
                        "utxo_sync.server_says_more_than",
                        "the server says more than {count} "
                        "addresses of this account have transactions, one after the "
                        "other: the server is broken or lying. Use another server.",
                        count=MAX_ADDRESSES_PER_CHAIN,
                    )
                )
            window = min(max(window * 2, self.gap_limit), MAX_WINDOW)

    async def sync(self) -> SyncResult:
        requests_before = self.backend.requests
        # Each sync's own: two syncs of one account can overlap (the Assets screen's periodic
        # read and a reload after a payment), and a shared dict emptied by the second made the
        # first count the used addresses without their transactions: a balance of 0.
        found: dict[str, Any] = {}
        hint = self._known_used()
        # Independent requests go out together: ElectrumX holds small replies up to a second
        # to pad them against traffic analysis, so each sequential round trip can cost 1 s.
        receive, change, tip = await gather_all(
            self._discover(RECEIVE, hint.get(RECEIVE, 0), found),
            self._discover(CHANGE, hint.get(CHANGE, 0), found),
            self.backend.block_number(),
        )
        ours = receive | change

        heights: dict[str, int] = {}
        for items in found.values():
            for it in items:
                heights[it.txid] = it.height
        cached = self._cached_raw(heights)
        missing = [t for t in heights if t not in cached]
        times = self._cached_times(heights)
        need_times = {h for t, h in heights.items() if h > 0 and t not in times}
        fetched, block_times = await gather_all(
            self.backend.transactions(missing) if missing else _nothing(),
            self.backend.block_times(sorted(need_times)) if need_times else _nothing(),
        )
        raw = cached | fetched
        for t, h in heights.items():
            if t not in times and h > 0:
                times[t] = block_times.get(h)

        result = self._compute(tip, ours, heights, raw, times)
        self._save(ours, heights, raw, times, result)
        return SyncResult(**{**result, "requests": self.backend.requests - requests_before})

    def _cached_raw(self, heights: dict[str, int]) -> dict[str, bytes]:
        out: dict[str, bytes] = {}
        if not heights:
            return out
        rows = self._db.execute(
            "SELECT txid, raw FROM utxo_transactions WHERE network = ?", (self.network.id,)
        ).fetchall()
        for r in rows:
            if r["txid"] in heights:
                out[str(r["txid"])] = bytes(r["raw"])
        return out

    def _cached_times(self, heights: dict[str, int]) -> dict[str, int | None]:
        rows = self._db.execute(
            "SELECT txid, height, block_time FROM utxo_transactions WHERE network = ?",
            (self.network.id,),
        ).fetchall()
        return {
            str(r["txid"]): r["block_time"]
            for r in rows
            if r["txid"] in heights and r["height"] == heights[r["txid"]] and r["block_time"]
        }

    def _compute(
        self,
        tip: int,
        ours: dict[str, AddressKey],
        heights: dict[str, int],
        raw: dict[str, bytes],
        times: dict[str, int | None],
    ) -> dict[str, Any]:
        from chains.utxo import parse_tx

        by_script = {k.script: k for k in ours.values()}
        txs = {t: parse_tx(r) for t, r in raw.items()}
        # Our outputs: (txid, vout) -> (value, key)
        outputs: dict[tuple[str, int], tuple[int, AddressKey]] = {}
        for txid, tx in txs.items():
            for n, out in enumerate(tx.vout):
                k = by_script.get(out.script_pubkey.data)
                if k is not None:
                    outputs[(txid, n)] = (int(out.value), k)
        spent: set[tuple[str, int]] = set()
        history = []
        for txid, tx in txs.items():
            sent = 0
            all_inputs_known = True
            input_total = 0
            for vin in tx.vin:
                op = (vin.txid.hex(), int(vin.vout))
                if op in outputs:
                    spent.add(op)
                    sent += outputs[op][0]
                    input_total += outputs[op][0]
                else:
                    all_inputs_known = False
            received = sum(v for (t, _), (v, _) in outputs.items() if t == txid)
            out_total = sum(int(o.value) for o in tx.vout)
            h = heights[txid]
            history.append(
                UtxoTxRecord(
                    network=self.network.id,
                    account_id=self.account.id,
                    txid=txid,
                    received=received,
                    sent=sent,
                    fee=input_total - out_total if all_inputs_known else None,
                    height=h,
                    block_time=times.get(txid),
                    confirmations=tip - h + 1 if h > 0 else 0,
                )
            )
        history.sort(key=lambda r: (r.height <= 0, r.height, r.txid), reverse=True)
        coins = []
        for (txid, n), (value, k) in sorted(outputs.items()):
            if (txid, n) in spent:
                continue
            coins.append(
                Coin(
                    txid=txid,
                    vout=n,
                    value=value,
                    height=max(heights[txid], 0),
                    script=k.script,
                    kind=self.keys.kind,
                    path=k.path,
                    pubkey=k.pubkey,
                    prev_tx=raw[txid],
                )
            )
        used = {
            c: max((k.index for k in ours.values() if k.change == c), default=-1) + 1
            for c in (RECEIVE, CHANGE)
        }
        return {
            "network": self.network.id,
            "account_id": self.account.id,
            "tip": tip,
            "confirmed": sum(c.value for c in coins if c.height > 0),
            "unconfirmed": sum(c.value for c in coins if c.height <= 0),
            "coins": tuple(coins),
            "history": tuple(history),
            "used": used,
            "receive_address": self._first_unused(RECEIVE, ours).address,
            "receive_index": self._first_unused(RECEIVE, ours).index,
            "change_key": self._first_unused(CHANGE, ours),
        }

    def _first_unused(self, change: int, ours: dict[str, AddressKey]) -> AddressKey:
        top = max((k.index for k in ours.values() if k.change == change), default=-1)
        return self.keys.key(change, top + 1)

    def _save(
        self,
        ours: dict[str, AddressKey],
        heights: dict[str, int],
        raw: dict[str, bytes],
        times: dict[str, int | None],
        result: dict[str, Any],
    ) -> None:
        acct, net = self.account.id, self.network.id
        used = result["used"]
        rows = [
            (acct, net, c, i, self.keys.key(c, i).address, int(self.keys.key(c, i).address in ours))
            for c in (RECEIVE, CHANGE)
            for i in range(used[c] + self.gap_limit)
        ]
        with transaction(self._db):
            self._db.executemany(
                "INSERT INTO utxo_addresses(account_id, network, change, idx, address, used) "
                "VALUES(?, ?, ?, ?, ?, ?) ON CONFLICT(account_id, network, change, idx) "
                "DO UPDATE SET used = excluded.used",
                rows,
            )
            self._db.executemany(
                "INSERT INTO utxo_transactions(network, txid, raw, height, block_time) "
                "VALUES(?, ?, ?, ?, ?) ON CONFLICT(network, txid) DO UPDATE SET "
                "height = excluded.height, block_time = excluded.block_time",
                [(net, t, raw[t], heights[t], times.get(t)) for t in heights],
            )
            self._db.execute(
                "DELETE FROM utxo_history WHERE account_id = ? AND network = ?", (acct, net)
            )
            self._db.executemany(
                "INSERT INTO utxo_history(account_id, network, txid, received, sent, fee) "
                "VALUES(?, ?, ?, ?, ?, ?)",
                [
                    (
                        acct,
                        net,
                        r.txid,
                        str(r.received),
                        str(r.sent),
                        None if r.fee is None else str(r.fee),
                    )
                    for r in result["history"]
                ],
            )
            # Outgoing transactions the server now reports as mined are settled.
            for r in result["history"]:
                if r.height > 0:
                    self._db.execute(
                        "UPDATE utxo_outgoing SET state = 'confirmed', height = ? "
                        "WHERE network = ? AND txid = ? AND state IN ('signed', 'broadcast')",
                        (r.height, net, r.txid),
                    )
            self._db.execute(
                "INSERT INTO balances(network, address, asset, amount, block, as_of) "
                "VALUES(?, ?, ?, ?, ?, ?) ON CONFLICT(network, address, asset) DO UPDATE SET "
                "amount = excluded.amount, block = excluded.block, as_of = excluded.as_of",
                (
                    net,
                    f"account:{acct}",
                    f"{net}:native",
                    str(result["confirmed"] + result["unconfirmed"]),
                    result["tip"],
                    datetime.now(UTC).isoformat(),
                ),
            )

    def stored_history(self) -> list[dict[str, Any]]:
        """The last synced history, without the network (for the History screen offline)."""
        rows = self._db.execute(
            "SELECT h.txid, h.received, h.sent, h.fee, t.height, t.block_time "
            "FROM utxo_history h JOIN utxo_transactions t "
            "ON t.network = h.network AND t.txid = h.txid "
            "WHERE h.account_id = ? AND h.network = ? ORDER BY t.height <= 0 DESC, t.height DESC",
            (self.account.id, self.network.id),
        ).fetchall()
        return [
            {
                "txid": r["txid"],
                "received": int(r["received"]),
                "sent": int(r["sent"]),
                "fee": None if r["fee"] is None else int(r["fee"]),
                "height": int(r["height"]),
                "block_time": r["block_time"],
            }
            for r in rows
        ]


def utxo_backend(
    network_id: str,
    *,
    electrum_servers: dict[str, list[str]] | None = None,
    esplora_urls: dict[str, list[str]] | None = None,
    prefer: str = "electrum",
) -> UtxoBackend:
    """The backend for a Bitcoin-like network with the user's servers first: the Electrum
    protocol by default, an Esplora REST API when preferred or when no Electrum server is
    known for the network."""
    from chains.utxo_networks import utxo_network

    net = utxo_network(network_id, electrum_servers=electrum_servers, esplora_urls=esplora_urls)
    if (prefer == "esplora" and net.esplora_urls) or not net.electrum_servers:
        if not net.esplora_urls:
            raise UtxoAccountError(
                Said(
                    "utxo_sync.no_server_configured_add",
                    "no server configured for {name}: add an Electrum server (electrum_servers)",
                    name=net.name,
                )
            )
        from chains.esplora import EsploraBackend

        return EsploraBackend(net)
    from chains.electrum import ElectrumBackend

    return ElectrumBackend(net)


async def _nothing() -> dict[Any, Any]:
    return {}


@contextmanager
def transaction(db: Any) -> Iterator[None]:
    """One transaction for a group of writes. The store's connection is in autocommit mode
    (isolation_level=None), where `with db:` opens none: each statement would be its own
    transaction with its own fsync (synchronous=FULL), seconds for a sync's few hundred rows."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def reserved_outpoints(store: Store, network: str) -> set[str]:
    """Inputs of our transactions that are signed or broadcast but not settled."""
    rows = store.db.execute(
        "SELECT inputs FROM utxo_outgoing WHERE network = ? AND state IN ('signed', 'broadcast')",
        (network,),
    ).fetchall()
    out: set[str] = set()
    for r in rows:
        out.update(json.loads(r["inputs"]))
    return out


def addresses_of(result: SyncResult, keys: AccountKeys) -> Iterable[str]:
    return (keys.key(c, i).address for c in (RECEIVE, CHANGE) for i in range(result.used[c]))
