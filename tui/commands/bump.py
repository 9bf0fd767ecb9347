"""`termwallet bump TXID` and `termwallet cpfp TXID`: speed up an unconfirmed Bitcoin/Litecoin
transaction (wallet/utxo_bump.py).

    termwallet bump TXID [--fee-rate N | --tier slow|normal|fast] [--dry-run] [--yes]
    termwallet cpfp TXID [--fee-rate N | --tier slow|normal|fast] [--dry-run] [--yes]

`bump` replaces one of our payments (BIP125) with one paying more; `cpfp` spends an output of
ours from the transaction back to us with a fee that lifts both. The review (old fee, new fee,
what changes) is printed before anything is signed; the account is found from the synced
history (`termwallet history --sync` first if it is not there).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from tui.errors import sentence


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    for name, help_text in (
        ("bump", "replace an unconfirmed payment of ours with one paying a higher fee (RBF)"),
        ("cpfp", "speed up an unconfirmed transaction paying us with a child (CPFP)"),
    ):
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("txid", metavar="TXID", help="the unconfirmed transaction")
        rate = p.add_mutually_exclusive_group()
        rate.add_argument("--fee-rate", type=int, metavar="N", help="fee rate in sat/vB")
        rate.add_argument(
            "--tier", choices=("slow", "normal", "fast"), default="fast", help="default: fast"
        )
        p.add_argument("--dry-run", action="store_true", help="print the review; sign nothing")
        p.add_argument("--yes", action="store_true", help="sign and send without asking")
        p.add_argument("--password-file", type=Path, help="file holding the keystore password")
        p.add_argument(
            "--totp-file",
            type=Path,
            help="file holding the two-factor code (when it is on for sending)",
        )
        p.add_argument("--json", action="store_true", help="print the review/result as JSON")
        p.set_defaults(handler=run_bump, kind="rbf" if name == "bump" else "cpfp")


def run_bump(args: argparse.Namespace) -> int:
    return asyncio.run(_bump(args))


async def _bump(args: argparse.Namespace) -> int:
    from chains.errors import ChainError
    from devices.errors import DeviceError
    from tui.cli_errors import CliError
    from tui.cli_wallet import open_wallet, user_confirms, wallet_signer

    txid = args.txid.strip().lower()
    if len(txid) != 64 or any(c not in "0123456789abcdef" for c in txid):
        raise CliError("TXID must be 64 hex digits (see `termwallet history`)")
    wallet = open_wallet(None)
    session = wallet["session"]
    signer: Any = None
    try:
        utxo = session.utxo
        key = utxo.key_of_tx(txid) if utxo is not None else None
        if key is None and utxo is not None:
            await utxo.refresh()  # sent since the last sync, or never synced here
            key = utxo.key_of_tx(txid)
        if key is None:
            raise CliError(
                "no Bitcoin or Litecoin account of this wallet has that transaction: run "
                "`termwallet history --sync` first, or check the TXID"
            )
        if session.device is not None or not args.dry_run:
            signer = wallet_signer(wallet, args)
        review = await utxo.prepare_bump(
            key, txid, args.kind, signer, tier=args.tier, fee_rate=args.fee_rate
        )
        print_bump_review(review, args.json)
        if args.dry_run:
            print("dry run: nothing was signed or sent", file=sys.stderr)
            return 0
        question = "Sign and send the replacement?" if args.kind == "rbf" else "Sign and send?"
        if not user_confirms(args.yes, question):
            return 1
        bumper = utxo.bumper(key)
        try:
            signed = bumper.sign(review, signer)  # stored before it is broadcast
        except DeviceError as exc:
            from tui.commands.devices import device_failure

            raise CliError(device_failure(exc, signer.info.model)) from None
        new = await bumper.broadcast(review, signed)
        if args.json:
            print(json.dumps({"txid": new, "replaces" if args.kind == "rbf" else "parent": txid}))
        else:
            what = "replacement" if args.kind == "rbf" else "child"
            print(f"sent the {what}: {new}")
        return 0
    except (ChainError, ValueError) as exc:
        if getattr(exc, "code", None) is None:
            raise
        raise CliError(sentence(exc)) from None
    finally:
        if signer is not None:
            signer.close()
        await session.aclose()


def print_bump_review(review: Any, as_json: bool) -> None:
    from chains.units import format_with_symbol

    def c(v: int) -> str:
        return format_with_symbol(v, review.decimals, review.symbol)

    rbf = review.kind.value == "rbf"
    if as_json:
        print(
            json.dumps(
                {
                    "kind": review.kind.value,
                    "network": review.network,
                    "txid": review.txid,
                    "old_fee": str(review.old_fee),
                    "old_fee_rate": str(review.old_rate),
                    "new_fee": str(review.new_fee),
                    "new_fee_rate": str(review.new_rate),
                    "child_fee": str(review.child_fee),
                    "vsize": review.new_vsize,
                    "change_before": str(review.old_change),
                    "change_after": str(review.new_change),
                    "coins_added": review.added_inputs,
                    "to": review.recipient,
                    "amount": str(review.amount),
                },
                indent=2,
            )
        )
        return
    if rbf:
        lines = [
            ("Replaces", review.txid),
            ("Pays", f"{c(review.amount)} to {review.recipient} (unchanged)"),
            ("Old fee", f"{c(review.old_fee)} ({review.old_rate} sat/vB)"),
            (
                "New fee",
                f"{c(review.new_fee)} ({review.new_rate} sat/vB, +{c(review.fee_increase)})",
            ),
            ("Change", f"{c(review.old_change)} -> {c(review.new_change)}"),
            ("Coins added", str(review.added_inputs)),
        ]
    else:
        lines = [
            ("Speeds up", review.txid),
            ("Parent fee", f"{c(review.old_fee)} ({review.old_rate} sat/vB)"),
            ("Child fee", c(review.child_fee)),
            ("Together", f"{c(review.new_fee)} ({review.new_rate} sat/vB)"),
            ("Back to us", f"{c(review.new_change)} at {review.recipient}"),
        ]
    for label, value in lines:
        print(f"{label + ':':13} {value}")
