"""`termwallet history`: the wallet's transactions for scripts (table, JSON or CSV).

    termwallet history [--json | --csv] [--account ADDR] [--asset KEY|SYMBOL] [--since DAY]
                       [--until DAY] [--direction in|out|self] [--flagged] [--search TEXT]
                       [--limit N] [--sync [--network NET]]

Reads the saved history; --sync first brings it up to date from the network (exit 3 when that
fails: the saved history is printed, marked not current). CSV columns are documented in
wallet/history/ (CSV_COLUMNS); JSON objects carry the same keys.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

EXIT_STALE = 3


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "history",
        help="the wallet's transactions (table, --json or --csv)",
        description="Transactions of the wallet's accounts, newest first, with abnormal "
        "activity flagged. Dates are YYYY-MM-DD (UTC); --until includes that day.",
    )
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="one JSON array")
    fmt.add_argument("--csv", action="store_true", help="CSV with the documented columns")
    p.add_argument("--account", help="only this account (address)")
    p.add_argument("--asset", help="asset key (network:contract) or symbol, e.g. DUSD")
    p.add_argument("--since", metavar="YYYY-MM-DD", help="from this day (UTC)")
    p.add_argument("--until", metavar="YYYY-MM-DD", help="to this day, inclusive (UTC)")
    p.add_argument("--direction", choices=("in", "out", "self"))
    p.add_argument("--flagged", action="store_true", help="only abnormal activity")
    p.add_argument("--search", default="", help="hash or address prefix, label or note text")
    p.add_argument("--limit", type=int, help="at most N rows (table default: 50)")
    p.add_argument("--sync", action="store_true", help="read new transactions first")
    p.add_argument("--network", help="with --sync: the network (default: from settings)")
    p.set_defaults(handler=run_history)


def _day(text: str | None, option: str) -> int | None:
    """A YYYY-MM-DD option as Unix seconds (UTC midnight); a clear refusal otherwise."""
    from tui.cli_errors import CliError
    from tui.i18n import t
    from wallet.history.model import BadFilter, parse_day

    if text is None:
        return None
    try:
        return parse_day(text)
    except BadFilter:
        raise CliError(
            t("history.cli.bad_date", option=option, value=text), BadFilter.code
        ) from None


def _query(args: argparse.Namespace) -> Any:
    from tui.cli_errors import CliError
    from tui.i18n import t
    from wallet.history.model import HistoryQuery

    if args.limit is not None and args.limit < 1:
        raise CliError(t("history.cli.bad_limit", value=args.limit), "HISTORY_BAD_FILTER")
    since, until = _day(args.since, "--since"), _day(args.until, "--until")
    if since is not None and until is not None and since > until:
        raise CliError(
            t("history.cli.since_after_until", since=args.since, until=args.until),
            "HISTORY_BAD_FILTER",
        )
    return HistoryQuery(
        accounts=(args.account,) if args.account else (),
        asset=args.asset,
        direction=args.direction,
        since=since,
        until=until + 86_400 if until is not None else None,
        search=args.search,
        flagged=args.flagged,
    )


async def _sync(network_id: str | None) -> str | None:
    """Sync the user's wallet (EVM network and Bitcoin/Litecoin accounts); None on success,
    else the reasons (for stderr)."""
    from wallet.history.sync import sync_wallet_history
    from wallet.paths import Paths
    from wallet.settings import load_settings
    from wallet.user import UserWallet

    paths = Paths.default().ensure()
    settings = load_settings(paths.config_file)
    if network_id:
        settings = settings.model_copy(update={"network": network_id})
    session = UserWallet.open(paths, settings).session()
    try:
        _report, errors = await sync_wallet_history(session, paths.config_file)
    finally:
        await session.aclose()
    return "; ".join(f"{getattr(e, 'code', type(e).__name__)}: {e}" for e in errors) or None


def run_history(args: argparse.Namespace) -> int:
    from tui.cli_errors import CliError, typed_error
    from tui.i18n import set_language, t
    from wallet.history.model import BadFilter
    from wallet.history.store import HistoryStore
    from wallet.paths import Paths
    from wallet.store import Store

    set_language(getattr(args, "lang", None) or "en")
    try:
        q = _query(args)
        q.where()  # refuses a bad filter before anything is opened
    except BadFilter as exc:
        raise typed_error(exc) from None
    if args.network:
        from chains.networks import network_ids

        if args.network not in network_ids():
            known = ", ".join(network_ids())
            raise CliError(
                t("cli.unknown_network", network=args.network, known=known), "UNKNOWN_NETWORK"
            )
    status = 0
    if args.sync:
        reason = asyncio.run(_sync(args.network))
        if reason is not None:
            print(t("history.cli.offline", reason=reason), file=sys.stderr)
            status = EXIT_STALE
    paths = Paths.default().ensure()
    store = Store(paths.database)
    try:
        hs = HistoryStore(store)
        if args.csv:
            if args.limit is None:
                hs.export_csv(sys.stdout, q)
            else:
                _csv_limited(hs, q, args.limit)
            return status
        rows = list(_take(hs.iter_rows(q), args.limit if args.limit is not None else
                          (None if args.json else 50)))  # fmt: skip
        if args.json:
            json.dump([_as_json(r) for r in rows], sys.stdout, indent=2)
            print()
            return status
        if not rows:
            print(t("history.cli.none"))
            return status
        _print_table(rows)
        return status
    finally:
        store.close()


def _take(rows: Any, limit: int | None) -> Any:
    for i, r in enumerate(rows):
        if limit is not None and i >= limit:
            return
        yield r


def _csv_limited(hs: Any, q: Any, limit: int) -> None:
    import io

    buf = io.StringIO()
    hs.export_csv(buf, q)
    lines = buf.getvalue().splitlines(keepends=True)
    sys.stdout.write("".join(lines[: limit + 1]))


def _as_json(r: Any) -> dict[str, Any]:
    from wallet.activity import flag_names

    return {
        "time": r.ts, "network": r.network, "account": r.account, "tx_hash": r.tx_hash,
        "log_index": r.log_index, "status": r.status, "direction": r.direction, "kind": r.kind,
        "asset": r.asset, "symbol": r.symbol, "decimals": r.decimals,
        "amount_base": str(r.amount), "counterparty": r.counterparty,
        "fee_base": None if r.fee is None else str(r.fee), "block": r.block, "nonce": r.nonce,
        "method": r.method, "made_here": r.made_here, "flags": flag_names(r.flags),
        "dismissed": r.dismissed, "label": r.label, "note": r.note,
    }  # fmt: skip


def _print_table(rows: list[Any]) -> None:
    from tui.i18n import tn
    from tui.widgets.history_table import _fit, cells, column_widths, header_text

    width = 100
    print(header_text(width))
    for r in rows:
        values = cells(r)
        print(" ".join(_fit(values[k], w, right) for k, w, right in column_widths(width)))
    print(tn("history.synced_no_block", len(rows), rows=len(rows),
            flagged=sum(1 for r in rows if r.flagged)))  # fmt: skip
