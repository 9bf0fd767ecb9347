"""`termwallet swap FROM TO AMOUNT`: quote, print the review with every fee, then approve (exact
amount unless --unlimited-approval) and swap with the on-chain minimum and deadline.

--dry-run prints the review and signs nothing. The keystore password comes from
--password-file, stdin's first line or the terminal (the same path as `termwallet send`).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from tui.errors import sentence


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "swap",
        allow_abbrev=False,
        help="swap one asset for another (review first; --dry-run signs nothing)",
        description="Quote FROM -> TO, print every fee (provider, wallet service fee, network) "
        "and the minimum received, then approve the exact amount if needed and swap.",
    )
    p.add_argument("sell", metavar="FROM", help="symbol or contract of what to sell (e.g. ETH)")
    p.add_argument("buy", metavar="TO", help="symbol or contract of what to buy")
    p.add_argument("amount", metavar="AMOUNT", help="how much FROM to sell, e.g. 0.5")
    p.add_argument("--slippage", default="0.5", metavar="PCT", help="percent (default 0.5)")
    p.add_argument("--network", help="default: the network in settings")
    p.add_argument("--account", type=int, default=0, help="account number (default 0)")
    p.add_argument("--unlimited-approval", action="store_true",
                   help="approve unlimited spending (not recommended)")  # fmt: skip
    p.add_argument("--confirm-high-impact", action="store_true",
                   help="swap even when the price impact is above the threshold")  # fmt: skip
    p.add_argument("--accept-high-fee", action="store_true",
                   help="swap even when the network fee is far above the network's usual range "
                   "or what its blocks show (--yes alone is not enough then)")  # fmt: skip
    p.add_argument("--dry-run", action="store_true", help="print the review; sign nothing")
    p.add_argument("--yes", action="store_true", help="swap without asking to confirm")
    p.add_argument("--password-file", type=Path, help="file holding the keystore password")
    p.add_argument("--totp-file", type=Path,
                   help="file holding the two-factor code (when it is on for sending)")  # fmt: skip
    p.add_argument("--json", action="store_true", help="print the review/result as JSON")
    p.set_defaults(handler=run_swap)


def run_swap(args: argparse.Namespace) -> int:
    return asyncio.run(_swap(args))


def review_dict(r: Any) -> dict[str, Any]:
    """The review as figures: integers in base units as strings, plus display texts."""
    from chains.units import format_with_symbol

    q = r.quote

    def f(amount: int, asset: Any) -> str:
        return format_with_symbol(amount, asset.decimals, asset.symbol, max_places=18)

    fee_asset = r.provider_fee_asset
    # A fee in a token that is neither side of the swap: its base units and contract.
    fee_display = (
        f(q.provider_fee, fee_asset)
        if fee_asset is not None
        else f"{q.provider_fee} base units of {q.provider_fee_token}"
    )

    return {
        "network": r.network.id, "provider": q.provider, "from": r.sell.symbol,
        "to": r.buy.symbol, "route": list(q.route),
        "amount_in": str(r.amount_in), "amount_in_display": f(r.amount_in, r.sell),
        "expected_out": str(q.buy_amount), "expected_out_display": f(q.buy_amount, r.buy),
        "min_out": str(q.min_buy_amount), "min_out_display": f(q.min_buy_amount, r.buy),
        "rate_display": f"1 {r.sell.symbol} = {f(r.rate, r.buy)}",
        "slippage_bps": q.slippage_bps, "price_impact_bps": q.price_impact_bps,
        "provider_fee": str(q.provider_fee), "provider_fee_bps": q.provider_fee_bps,
        "provider_fee_display": fee_display,
        "provider_fee_symbol": None if fee_asset is None else fee_asset.symbol,
        "service_fee": str(r.service_fee), "service_fee_bps": r.service_fee_bps,
        "service_fee_display": f(r.service_fee, r.sell), "service_fee_to": r.service_fee_to,
        "network_fee_likely": str(r.network_fee_likely),
        "network_fee_max": str(r.network_fee_max),
        "network_fee_display": f(r.network_fee_max, r.native),
        "total_display": f"{f(r.total_sell, r.sell)} + network fee up to "
                         f"{f(r.network_fee_max, r.native)}",
        "approval": None if r.approval_amount is None else str(r.approval_amount),
        "approval_unlimited": r.unlimited, "spender": q.spender, "deadline": q.deadline,
        # Every approval transaction in signing order (approve(0) first for USDT-like tokens).
        "approvals": [{"amount": str(a), "network_fee_max": str(fee),
                       "network_fee_display": f(fee, r.native)} for a, fee in r.approval_fees()],
        "allowance": str(r.allowance),
        "high_impact": r.needs_impact_confirmation,
        "fee_concerns": [c.value for c in r.fee_concerns], "high_fee": r.high_fee,
        "nodes": list(r.nodes),
        "first_use": [{"symbol": f.asset.symbol, "contract": f.asset.contract,
                       "decimals": f.asset.decimals, "source": f.source} for f in r.first_use],
        # Providers whose quote was refused (not "no route"): the quote above is another's.
        "refused": [{"provider": x.provider, "code": getattr(x.error, "code", None),
                     "reason": _reason(x.error)} for x in r.refused],
    }  # fmt: skip


def _print(d: dict[str, Any], file: Any = None) -> None:
    rows = [
        ("Swap", f"{d['amount_in_display']} -> {d['to']} ({d['provider']})"),
        ("Rate", d["rate_display"]),
        ("Expected", d["expected_out_display"]),
        ("Minimum", f"{d['min_out_display']} (slippage {d['slippage_bps'] / 100:.2f} %, "
                    "enforced on chain)"),
        ("Price impact", f"{d['price_impact_bps'] / 100:.2f} %"),
        ("Provider fee", f"{d['provider_fee_display']} ({d['provider_fee_bps'] / 100:.2f} %)"),
        ("Service fee", f"{d['service_fee_display']} ({d['service_fee_bps'] / 100:.2f} %)"),
        ("Network fee", f"up to {d['network_fee_display']}"),
        ("Total", d["total_display"]),
        ("Deadline", str(d["deadline"]) if d["deadline"] is not None else "none (aggregator)"),
    ]  # fmt: skip
    if len(d["approvals"]) == 2:  # the token needs its allowance reset to 0 first
        from tui.i18n import t

        reset, then = d["approvals"]
        rows.append(("Approvals", t("cli.swap_approval_reset", current=d["allowance"],
                                    fee=reset["network_fee_display"])))  # fmt: skip
        rows.append(("", t("cli.swap_approval_second", spender=d["spender"],
                            amount="UNLIMITED" if d["approval_unlimited"] else then["amount"],
                            fee=then["network_fee_display"])))  # fmt: skip
    elif d["approval"] is not None:
        rows.append(("Approval", "UNLIMITED" if d["approval_unlimited"] else
                     f"{d['approval']} base units to {d['spender']}"))  # fmt: skip
    from tui.token_text import nodes_text

    rows.append(("Node" + ("s" if len(d["nodes"]) > 1 else ""), nodes_text(d["nodes"])))
    for first in d["first_use"]:
        source = "the token list" if first["source"] == "list" else "the contract"
        rows.append(("First use", f"{first['symbol']}: {first['decimals']} decimals, from "
                     f"{source} (kept from now on)"))  # fmt: skip
    for label, value in rows:
        print(f"{label + ':' if label else '':14} {value}", file=file or sys.stdout)
    for concern in d["fee_concerns"]:
        print(f"WARNING: {_FEE_WARNINGS[concern]}", file=sys.stderr)
    for refusal in d["refused"]:
        from tui.i18n import t

        text = t("cli.swap_refused", provider=refusal["provider"], reason=refusal["reason"],
                 chosen=d["provider"])  # fmt: skip
        print(f"WARNING: {text}", file=sys.stderr)
    if d["approval_unlimited"]:
        print("WARNING: an unlimited approval lets the swap contract take all of this token, "
              "now and later.", file=sys.stderr)  # fmt: skip
    if d["high_impact"]:
        print("WARNING: high price impact; add --confirm-high-impact to swap anyway.",
              file=sys.stderr)  # fmt: skip


def _reason(exc: BaseException) -> str:
    """A refusal's sentence in the user's language (tui/errors.py), as one line."""
    from tui.errors import user_message
    from tui.text import plain

    return plain(user_message(exc))


def _insufficient(exc: Any, sell: Any, native: Any) -> str:
    """What is missing, as amounts of the asset it is counted in."""
    from chains.units import format_with_symbol
    from tui.i18n import t

    asset = next((a for a in (sell, native) if a.symbol == exc.symbol), None)
    if asset is None:
        need, have = f"{exc.need} base units", f"{exc.have} base units"
    else:
        need, have = (format_with_symbol(v, asset.decimals, asset.symbol, max_places=18)
                      for v in (exc.need, exc.have))  # fmt: skip
    return t("cli.swap_insufficient", symbol=exc.symbol, need=need, have=have)


_FEE_WARNINGS = {
    "high_fee": "THE NETWORK FEE IS FAR ABOVE THIS NETWORK'S USUAL RANGE or above what its "
    "latest block shows: the node may be lying or broken.",
    "fee_above_amount": "the network fee likely costs more than the amount swapped.",
    "below_base_fee": "the maximum fee is below the current base fee: the network will not "
    "take this swap until fees fall.",
}


async def _swap(args: argparse.Namespace) -> int:
    from chains.errors import ChainError, InsufficientFunds
    from chains.units import parse_amount
    from tui.cli_errors import CliError, typed_error
    from tui.cli_wallet import (
        account_address,
        asset_for,
        open_wallet,
        print_outcome,
        show_review,
        user_confirms,
        wallet_signer,
    )
    from tui.i18n import t
    from wallet.send_checks import SendError
    from wallet.settings import load_settings
    from wallet.swap import SwapDraft, swapper_for

    wallet = open_wallet(args.network)
    session = wallet["session"]
    swapper = None
    try:
        if not session.addresses:
            raise CliError(t("cli.no_eth_account"), "NO_ACCOUNT")
        settings = load_settings(wallet["paths"].config_file)
        address = account_address(session, args.account)
        (sell, sell_new), (buy, buy_new) = (
            await asset_for(session, args.sell),
            await asset_for(session, args.buy),
        )
        try:
            slippage = parse_amount(args.slippage, 2)
            amount = parse_amount(args.amount, sell.decimals)
        except ValueError as exc:
            raise typed_error(exc) from None
        swapper = swapper_for(session, settings, poll=0.5)
        path = f"m/44'/60'/0'/0/{args.account}"
        draft = SwapDraft(sell=sell, buy=buy, amount=amount, slippage_bps=slippage,
                          unlimited_approval=args.unlimited_approval)  # fmt: skip
        try:
            review = await swapper.review(draft, address, path)
        except InsufficientFunds as exc:
            raise CliError(_insufficient(exc, sell, session.network.native_asset),
                           exc.code) from None  # fmt: skip
        d = review_dict(review)
        show_review(args, d, lambda out: _print(d, file=out))
        if args.dry_run:
            print(t("cli.dry_run"), file=sys.stderr)
            return 0
        if review.high_fee and not args.accept_high_fee:
            # A node that lies about fees would have --yes pay them: this needs its own word.
            raise CliError(
                "not swapped: the network fee is far above this network's usual range or what "
                "its latest block shows (the node may be lying or broken). Check it, try "
                "another RPC URL, or add --accept-high-fee to pay it anyway."
            )
        if not user_confirms(args.yes, t("cli.confirm_swap"), verb="swap", done="swapped"):
            return 1
        from wallet.tokens import UserTokens

        for first_use in (sell_new, buy_new):
            if first_use is not None:
                # Confirmed as shown: these decimals are the token's from now on (see send).
                UserTokens(session.store).add(first_use)
        signer = wallet_signer(wallet, args)
        try:
            record = await swapper.execute(
                review, signer, confirm_high_impact=args.confirm_high_impact,
                accept_high_fee=args.accept_high_fee,
            )  # fmt: skip
        finally:
            signer.close()
        out = {"state": record.state, "swap_tx": record.swap_tx,
               "approval_tx": record.approval_tx, "fee_tx": record.fee_tx,
               "received": str(record.received), "network_fee_paid":
               str(record.network_fee_paid)}  # fmt: skip
        from chains.units import format_with_symbol

        received = format_with_symbol(record.received or 0, buy.decimals, buy.symbol,
                                      max_places=18)  # fmt: skip
        paid = format_with_symbol(record.network_fee_paid or 0, review.native.decimals,
                                  review.native.symbol, max_places=18)  # fmt: skip
        print_outcome(
            args, d, out, f"swapped: received {received}; network fees {paid}; tx {record.swap_tx}"
        )
        return 0
    except ChainError as exc:
        raise typed_error(exc) from None
    except SendError as exc:
        # TokenChanged: a known token's decimals or symbol from the node differ.
        raise CliError(sentence(exc)) from None
    finally:
        if swapper is not None:
            await swapper.aclose()
        await session.aclose()
