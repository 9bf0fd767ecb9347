"""CSV export of history.

CSV export columns (stable; scripts read them, add at the end, never rename):

    time_utc         block time (or first seen, pending), ISO 8601 UTC
    network          network id (eth, devnet, btc, ...)
    account          the user's address the row belongs to
    tx_hash          transaction hash / txid
    log_index        -1 for the transaction's own native value, -2, -3, ... for coin a contract
                     paid inside it (an internal transfer), else the token event's index
    status           pending | confirmed | failed
    direction        in | out | self
    kind             transfer | approval | call
    asset            asset key: <network>:<contract> or <network>:native
    symbol           asset symbol ('' when unknown)
    amount           decimal amount in whole units (exact; '' when decimals are unknown)
    amount_base      amount in base units (wei, satoshi, token units); allowance for approvals
    counterparty     the other side: sender (in), recipient (out), spender (approval)
    fee              network fee in whole native units, on one row per transaction sent
    fee_base         the fee in base units
    block            block number ('' while pending)
    nonce            sender's nonce ('' when unknown)
    method           transfer | approve | swap | 0x-selector | ''
    made_here        1 when this app signed it
    flags            abnormal-activity flags, '|'-separated (wallet/activity.py Flag names)
    label            the user's label
    note             the user's note
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from typing import IO, TYPE_CHECKING

from wallet.activity import flag_names
from wallet.history.model import HistoryQuery, native_of

if TYPE_CHECKING:
    from wallet.history.store import HistoryStore


CSV_COLUMNS = (
    "time_utc", "network", "account", "tx_hash", "log_index", "status", "direction", "kind",
    "asset", "symbol", "amount", "amount_base", "counterparty", "fee", "fee_base", "block",
    "nonce", "method", "made_here", "flags", "label", "note",
)  # fmt: skip


def write_csv(history: HistoryStore, out: IO[str], q: HistoryQuery = HistoryQuery()) -> int:
    """Write the rows of `history` matching `q` as CSV (columns: CSV_COLUMNS, documented
    above); returns how many."""
    from chains.units import format_amount

    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    n = 0
    for r in history.iter_rows(q):
        _, native_decimals = native_of(r.network)
        writer.writerow(
            [
                datetime.fromtimestamp(r.ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                # Every text cell is guarded: symbols, methods and counterparties come
                # from chain data anyone can write (a token named =HYPERLINK(...)).
                _csv_safe(r.network), _csv_safe(r.account), _csv_safe(r.tx_hash),
                r.log_index, _csv_safe(r.status), _csv_safe(r.direction),
                _csv_safe(r.kind), _csv_safe(r.asset), _csv_safe(r.symbol),
                "" if r.decimals is None
                else format_amount(r.amount, r.decimals).replace(",", ""),
                r.amount, _csv_safe(r.counterparty),
                "" if r.fee is None
                else format_amount(r.fee, native_decimals).replace(",", ""),
                "" if r.fee is None else r.fee,
                "" if r.block is None else r.block,
                "" if r.nonce is None else r.nonce,
                _csv_safe(r.method), int(r.made_here),
                _csv_safe("|".join(flag_names(r.flags))),
                _csv_safe(r.label), _csv_safe(r.note),
            ]
        )  # fmt: skip
        n += 1
    return n


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


def _csv_safe(text: str | None) -> str:
    """A cell a spreadsheet would run as a formula (=, +, -, @, also after leading spaces or as
    their fullwidth forms, which some spreadsheets fold) is quoted with a leading apostrophe:
    exports get opened in Excel, and labels, notes, token symbols and method names are text
    that others or the user wrote."""
    if text is None:
        return ""
    return "'" + text if text.lstrip(" ")[:1] in _FORMULA_START else text
