"""The swaps table and the approvals this wallet granted: a swap's row is written before its
first transaction is signed and updated at each step, so a crash leaves a record of what was
paid (wallet/swap.py writes, the History screen reads)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from chains.evm import checksum
from wallet.store import Store
from wallet.swap_models import SwapRecord, SwapReview


def _now() -> str:
    return datetime.now(UTC).isoformat()


class SwapLog:
    def __init__(self, store: Store, network: str) -> None:
        self.db = store.db
        self.network = network

    def start(self, r: SwapReview) -> int:
        q, now = r.quote, _now()
        with self.db:
            cur = self.db.execute(
                "INSERT INTO swaps(network, sender, provider, sell_asset, sell_symbol, "
                "sell_decimals, buy_asset, buy_symbol, buy_decimals, amount_in, expected_out, "
                "min_out, deadline, slippage_bps, price_impact_bps, provider_fee, service_fee, "
                "service_fee_bps, service_fee_to, state, created_at, updated_at) "
                "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'started', ?, ?)",
                (self.network, r.sender, q.provider, r.sell.key, r.sell.symbol,
                 r.sell.decimals, r.buy.key, r.buy.symbol, r.buy.decimals, str(q.sell_amount),
                 str(q.buy_amount), str(q.min_buy_amount), q.deadline, q.slippage_bps,
                 q.price_impact_bps, str(q.provider_fee), str(r.service_fee), r.service_fee_bps,
                 r.service_fee_to, now, now),
            )  # fmt: skip
        return int(cur.lastrowid or 0)

    def update(self, swap_id: int, *, state: str | None = None, **fields: str | None) -> None:
        sets = ["updated_at = ?"]
        values: list[Any] = [_now()]
        if state is not None:
            sets.append("state = ?")
            values.append(state)
        for k, v in fields.items():
            sets.append(f"{k} = ?")
            values.append(v)
        # Column names come from this module's keyword arguments, never from input.
        with self.db:
            self.db.execute(
                f"UPDATE swaps SET {', '.join(sets)} WHERE id = ?",  # noqa: S608
                (*values, swap_id),
            )

    def record_approval(self, owner: str, token: str, spender: str, amount: int, tx: str) -> None:
        with self.db:
            self.db.execute(
                "INSERT INTO swap_approvals(network, owner, token, spender, amount, tx_hash, "
                "updated_at) VALUES(?, ?, ?, ?, ?, ?, ?) ON CONFLICT(network, owner, token, "
                "spender) DO UPDATE SET amount = excluded.amount, tx_hash = excluded.tx_hash, "
                "updated_at = excluded.updated_at",
                (self.network, owner, checksum(token), checksum(spender), str(amount), tx,
                 _now()),
            )  # fmt: skip

    def approvals(self, owner: str) -> list[Any]:
        return self.db.execute(
            "SELECT token, spender, amount FROM swap_approvals WHERE network = ? AND owner = ? "
            "ORDER BY updated_at DESC",
            (self.network, checksum(owner)),
        ).fetchall()

    def record(self, swap_id: int) -> SwapRecord:
        row = self.db.execute("SELECT * FROM swaps WHERE id = ?", (swap_id,)).fetchone()
        return _record(row)

    def history(self) -> list[SwapRecord]:
        rows = self.db.execute(
            "SELECT * FROM swaps WHERE network = ? ORDER BY id DESC", (self.network,)
        ).fetchall()
        return [_record(r) for r in rows]


def _record(r: Any) -> SwapRecord:
    def opt(v: Any) -> int | None:
        return None if v is None else int(v)

    return SwapRecord(
        id=int(r["id"]), network=r["network"], provider=r["provider"],
        sell_symbol=r["sell_symbol"], sell_decimals=int(r["sell_decimals"]),
        buy_symbol=r["buy_symbol"], buy_decimals=int(r["buy_decimals"]),
        amount_in=int(r["amount_in"]), expected_out=int(r["expected_out"]),
        min_out=int(r["min_out"]), service_fee=int(r["service_fee"]),
        provider_fee=int(r["provider_fee"]), received=opt(r["received"]),
        network_fee_paid=opt(r["network_fee_paid"]), approval_tx=r["approval_tx"],
        swap_tx=r["swap_tx"], fee_tx=r["fee_tx"], state=r["state"], error=r["error"],
        created_at=r["created_at"],
    )  # fmt: skip
