"""`termwallet coins`: coin control for Bitcoin and Litecoin accounts.

    termwallet coins [ACCOUNT] [--script p2wpkh|p2tr] [--json]
    termwallet coins --freeze OUTPOINT[,OUTPOINT...] | --unfreeze OUTPOINT[,...]

ACCOUNT is CHAIN or CHAIN:N (ltc, btc:1); without it every Bitcoin/Litecoin account is listed.
Each unspent output shows its amount, confirmations, address, label (BIP329, `termwallet
labels`) and whether it is frozen (never spent by automatic selection) or waiting in a payment.
Spend chosen coins with `termwallet send CHAIN TO AMOUNT --coins OUTPOINT,...` (AMOUNT `max`
sends all of them). Exit 3 when a server could not be read.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

from tui.errors import sentence

EXIT_STALE = 3
_UTXO = ("btc", "btc-testnet", "btc-regtest", "ltc", "ltc-testnet", "ltc-regtest")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "coins",
        help="coin control: the unspent coins of Bitcoin/Litecoin accounts, freeze/unfreeze",
        description="Unspent coins with their labels; frozen coins are never spent unless "
        "unfrozen. Spend chosen coins with `termwallet send ... --coins TXID:VOUT,...`.",
    )
    p.add_argument("account", nargs="?", metavar="ACCOUNT", help="CHAIN or CHAIN:N, e.g. ltc:0")
    p.add_argument("--script", choices=("p2wpkh", "p2tr"), help="only this account type")
    p.add_argument("--json", action="store_true", help="one JSON array")
    act = p.add_mutually_exclusive_group()
    act.add_argument("--freeze", metavar="OUTPOINTS", help="TXID:VOUT[,TXID:VOUT...]")
    act.add_argument("--unfreeze", metavar="OUTPOINTS", help="TXID:VOUT[,TXID:VOUT...]")
    p.set_defaults(handler=run_coins)


def run_coins(args: argparse.Namespace) -> int:
    if args.freeze or args.unfreeze:
        return _freeze(args.freeze or args.unfreeze, frozen=bool(args.freeze))
    return asyncio.run(_list(args))


def _freeze(text: str, *, frozen: bool) -> int:
    from tui.cli_errors import CliError
    from tui.cli_wallet import open_wallet
    from tui.i18n import t
    from wallet.coin_control import CoinChoiceError, CoinControl, parse_outpoints

    try:
        outpoints = parse_outpoints(text)
    except CoinChoiceError as exc:
        raise CliError(sentence(exc)) from None
    session = open_wallet(None, [])["session"]
    try:
        CoinControl(session.store).set_frozen(outpoints, frozen)
    finally:
        asyncio.run(session.aclose())
    for o in outpoints:
        print(t("coins.cli.frozen" if frozen else "coins.cli.unfrozen", outpoint=o))
    return 0


def _account_filter(text: str | None) -> tuple[str | None, int | None]:
    from tui.cli_errors import CliError

    if not text:
        return None, None
    chain, _, index = text.partition(":")
    if chain not in _UTXO or (index and not index.isdigit()):
        raise CliError(
            f"'{text[:40]}' is not an account: give CHAIN or CHAIN:N with CHAIN one of "
            + ", ".join(_UTXO)
        )
    return chain, int(index) if index else None


async def _list(args: argparse.Namespace) -> int:
    from chains.errors import ChainError
    from tui.cli_errors import CliError
    from tui.cli_wallet import open_wallet
    from tui.errors import user_message
    from tui.i18n import t

    chain, index = _account_filter(args.account)
    session = open_wallet(None, [chain] if chain else None)["session"]
    try:
        utxo = session.utxo
        if not utxo:
            raise CliError(t("coins.cli.no_accounts"))
        keys = []
        for key in utxo.keys():
            acct, net = utxo.account(key), utxo.network(key)
            if chain and net.id != chain:
                continue
            if index is not None and acct.account_index != index:
                continue
            if args.script and acct.script.value != args.script:
                continue
            keys.append(key)
        if not keys:
            raise CliError(t("coins.cli.no_match", account=args.account or ""))
        out: list[dict[str, Any]] = []
        stale = False
        for key in keys:
            acct, net = utxo.account(key), utxo.network(key)
            head: dict[str, Any] = {
                "network": net.id,
                "script": acct.script.value,
                "account": acct.account_index,
                "watch_only": acct.watch_only,
            }
            try:
                rows = await utxo.coin_rows(key)
                tip = utxo.results[key].tip
            except (ChainError, ValueError) as exc:
                if getattr(exc, "code", None) is None:
                    raise
                stale = True
                out.append(head | {"error": user_message(exc), "coins": []})
                continue
            head["coins"] = [_row(r, net, tip) for r in rows]
            out.append(head)
        if args.json:
            print(json.dumps(out, indent=2, ensure_ascii=False))
        else:
            _print(out)
        return EXIT_STALE if stale else 0
    finally:
        await session.aclose()


def _row(r: Any, net: Any, tip: int) -> dict[str, Any]:
    from wallet.view import amount_text

    return {
        "outpoint": r.outpoint,
        "value": str(r.value),
        "display": amount_text(r.value, net.decimals) + f" {net.symbol}",
        "confirmations": tip - r.height + 1 if r.height > 0 else 0,
        "address": r.address,
        "label": r.label,
        "frozen": r.frozen,
        "reserved": r.reserved,
    }


def _print(accounts: list[dict[str, Any]]) -> None:
    from tui.i18n import t
    from tui.text import plain

    for a in accounts:
        name = f"{a['network']}  {a['script']} #{a['account']}"
        print(name + (" " + t("coins.cli.watch_only") if a["watch_only"] else ""))
        if "error" in a:
            print("  " + t("coins.cli.not_read", reason=a["error"]))
            continue
        if not a["coins"]:
            print("  " + t("coins.cli.none"))
        for c in a["coins"]:
            marks = []
            if c["frozen"]:
                marks.append(t("coins.frozen"))
            if c["reserved"]:
                marks.append(t("coins.reserved"))
            conf = (
                t("coins.confirmations", n=c["confirmations"])
                if c["confirmations"]
                else t("coins.unconfirmed")
            )
            # Labels come from files other wallets wrote: printed plain (PlainStream too).
            label = f'  "{plain(c["label"])}"' if c["label"] else ""
            print(
                f"  {c['outpoint']}  {c['display']:>20}  {conf:>10}  {c['address']}"
                f"{'  [' + ', '.join(marks) + ']' if marks else ''}{label}"
            )
