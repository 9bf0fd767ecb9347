"""What history holds: rows as sources report them and as stored, filters, the source protocol."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable

from chains.models import Network
from said import Said
from wallet.activity import Flag

REORG_WINDOW = 12  # blocks re-read on every sync, so a shallow reorg (or devnet revert) heals
WATCH_START = "watch-start"  # cursor 'source' holding the block an account was first synced at


class HistoryError(Exception):
    code = "HISTORY"


class BadFilter(HistoryError):
    code = "HISTORY_BAD_FILTER"


@dataclass(frozen=True, slots=True)
class HistoryItem:
    """One movement of value as a source reports it. Amounts are base units."""

    network: str
    account: str
    tx_hash: str
    log_index: int
    kind: str  # transfer | approval | call
    direction: str  # in | out | self
    asset: str  # Asset.key
    symbol: str
    decimals: int | None
    amount: int
    counterparty: str
    status: str  # pending | confirmed | failed
    block: int | None
    ts: int
    fee: int | None = None
    nonce: int | None = None
    method: str = ""
    made_here: bool = False


@dataclass(frozen=True, slots=True)
class HistoryRow:
    id: int
    network: str
    account: str
    tx_hash: str
    log_index: int
    kind: str
    direction: str
    asset: str
    symbol: str
    decimals: int | None
    amount: int
    counterparty: str
    status: str
    block: int | None
    ts: int
    fee: int | None
    nonce: int | None
    method: str
    made_here: bool
    flags: Flag
    dismissed: bool
    label: str
    note: str

    @property
    def flagged(self) -> bool:
        return bool(self.flags) and not self.dismissed


@dataclass(frozen=True)
class SourcePage:
    """What a source found. `cursors`: account -> where to continue next time. Rows of these
    accounts at or above `replace_from` block that are not in `items` are gone (a reorg)."""

    items: Sequence[HistoryItem]
    cursors: Mapping[str, str]
    replace_from: int | None = None
    head: int | None = None


@runtime_checkable
class HistorySource(Protocol):
    """One chain's history provider. `name` namespaces its cursors ('evm-node', 'etherscan',
    'electrum'...). `fetch` gets each account's cursor (None: never synced) and returns the
    items since then; it must be idempotent (items are upserted by (account, tx, log index))."""

    name: str
    network: str

    async def fetch(
        self, accounts: Sequence[str], cursors: Mapping[str, str | None]
    ) -> SourcePage: ...

    async def aclose(self) -> None: ...


@dataclass(frozen=True)
class HistoryQuery:
    accounts: tuple[str, ...] = ()
    asset: str | None = None  # an Asset.key, or a symbol
    direction: str | None = None  # in | out | self
    status: str | None = None
    since: int | None = None  # Unix seconds, inclusive
    until: int | None = None  # Unix seconds, exclusive
    search: str = ""  # hash or address (prefix), label or note (substring)
    flagged: bool = False
    network: str | None = None

    def where(self, *, search_by_index: bool = True) -> tuple[str, list[Any]]:
        """SQL condition and its arguments. With search_by_index=False the search terms are
        kept off their indexes (SQLite's unary "+"), so a query ordered by time walks the
        time index and stops at its LIMIT: what a search matching most rows needs."""
        parts: list[str] = []
        args: list[Any] = []
        if self.network:
            parts.append("h.network = ?")
            args.append(self.network)
        if self.accounts:
            parts.append(f"h.account IN ({','.join('?' * len(self.accounts))})")
            args += list(self.accounts)
        if self.asset:
            if ":" in self.asset:
                parts.append("h.asset = ?")
            else:
                parts.append("h.symbol = ? COLLATE NOCASE")
            args.append(self.asset)
        if self.direction:
            if self.direction not in ("in", "out", "self"):
                raise BadFilter(
                    Said(
                        "history.model.direction_must_out_self",
                        "direction must be in, out or self, not {direction!r}",
                        direction=self.direction,
                    )
                )
            parts.append("h.direction = ?")
            args.append(self.direction)
        if self.status:
            parts.append("h.status = ?")
            args.append(self.status)
        if self.since is not None:
            parts.append("h.ts >= ?")
            args.append(self.since)
        if self.until is not None:
            parts.append("h.ts < ?")
            args.append(self.until)
        if self.flagged:
            # `flags != 0` literally, so the partial index applies; dismissed ones are dealt with.
            parts.append("h.flags != 0 AND h.dismissed = 0")
        text = self.search.strip()
        if text:
            esc = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            prefix, contains = esc + "%", "%" + esc + "%"
            # Each OR term is indexable (prefix LIKE on NOCASE columns, IN on the notes'
            # key), so SQLite answers it with a union of index lookups, not a table scan.
            # Not the account column: a handful of values, so its range would look unselective
            # to the planner and turn the whole OR into a scan (the account filter does that).
            h = "h." if search_by_index else "+h."  # one of two fixed prefixes, no input
            parts.append(
                f"({h}tx_hash LIKE ? ESCAPE '\\' OR {h}counterparty LIKE ? ESCAPE '\\'"  # noqa: S608
                f" OR {h}tx_hash IN (SELECT tx_hash FROM history_notes"
                "   WHERE label LIKE ? ESCAPE '\\' OR note LIKE ? ESCAPE '\\')"
                f" OR {h}counterparty IN (SELECT address FROM address_book"
                "   WHERE label LIKE ? ESCAPE '\\'))"
            )
            args += [prefix, prefix, contains, contains, contains]
        return (" AND ".join(parts) or "1"), args


def parse_day(text: str) -> int:
    """'2026-01-31' (UTC midnight) -> Unix seconds. Raises BadFilter."""
    try:
        day = datetime.strptime(text.strip(), "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise BadFilter(
            Said(
                "history.model.not_date_use_yyyy",
                "{text!r} is not a date: use YYYY-MM-DD",
                text=text,
            )
        ) from None
    return int(day.timestamp())


def native_of(network: str) -> tuple[str, int]:
    """(symbol, decimals) of a network's coin."""
    from chains.networks import NETWORKS

    if network in NETWORKS:
        n = NETWORKS[network]
        return n.native_symbol, n.native_decimals
    if network.startswith("ltc"):
        return "LTC", 8
    if network.startswith("btc"):
        return "BTC", 8
    return "ETH", 18  # the devnet


def explorer_link(network: Network | None, tx_hash: str) -> str | None:
    if network is None or not network.explorer_url:
        return None
    return f"{network.explorer_url.rstrip('/')}/tx/{tx_hash}"
