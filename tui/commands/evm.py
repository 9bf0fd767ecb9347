"""`termwallet balance` and `termwallet send`: balances and payments for scripts.

`send` prints the same review the app shows; --dry-run stops there and signs nothing. The
keystore password comes from --password-file, stdin's first line or the terminal, never from
argv. Bitcoin and Litecoin share both commands: `balance` lists their accounts after the EVM
network's assets, `send btc|ltc` prepares a PSBT, prints its review (fee in sat/vB) and signs
with the keystore's key; anything a crash left signed but unsent is broadcast first, once.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from tui.cli_utxo import print_utxo_balances, send_utxo, utxo_row
from tui.cli_wallet import (
    account_address,
    asset_for,
    device_signer,
    device_totp,
    open_wallet,
    print_outcome,
    show_review,
    user_confirms,
    wallet_signer,
    watched_on_device,
)
from tui.errors import sentence
from tui.i18n import t

_EVM = ("eth", "sepolia", "polygon", "arbitrum", "base", "bnb", "devnet")
_UTXO = ("btc", "btc-testnet", "btc-regtest", "ltc", "ltc-testnet", "ltc-regtest")
EXIT_STALE = 3  # balance: the figures are the last saved ones, not current


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    bal = sub.add_parser(
        "balance",
        help="balances of the wallet's accounts (and settle any unsent transaction)",
        description="Reads every account's balances in one batched request. When the node "
        f"cannot be reached the last saved figures are printed marked stale (exit {EXIT_STALE}).",
    )
    bal.add_argument("--network", choices=_EVM, help="default: the network in settings")
    bal.add_argument("--json", action="store_true")
    bal.set_defaults(handler=run_balance)

    send = sub.add_parser(
        "send",
        allow_abbrev=False,
        help="send coins or tokens (review first; --dry-run signs nothing)",
        description="Prepare a payment, print its review (recipient, amount, network fee, "
        "total, warnings), then sign with the wallet's key and broadcast.",
    )
    send.add_argument("chain", metavar="CHAIN", choices=_EVM + _UTXO, help=", ".join(_EVM + _UTXO))
    send.add_argument(
        "to", metavar="TO", help="recipient: 0x address (EIP-55 checked), or bc1/ltc1 address"
    )
    send.add_argument("amount", metavar="AMOUNT", help="e.g. 0.25, or 'max'")
    send.add_argument("--asset", help="token SYMBOL or contract ADDRESS (default: the coin)")
    send.add_argument("--fee", choices=("slow", "normal", "fast"), default="normal")
    send.add_argument("--account", type=int, default=0, help="account number (default 0)")
    send.add_argument(
        "--script",
        choices=("p2wpkh", "p2tr"),
        default="p2wpkh",
        help="btc/ltc: which account sends, SegWit (p2wpkh, default) or Taproot (p2tr)",
    )
    send.add_argument(
        "--coins",
        metavar="OUTPOINTS",
        help="btc/ltc: spend exactly these coins, TXID:VOUT,... (see `termwallet coins`); "
        "with AMOUNT max, all of them",
    )
    send.add_argument("--dry-run", action="store_true", help="print the review; sign nothing")
    send.add_argument("--yes", action="store_true", help="send without asking to confirm")
    send.add_argument(
        "--send-again",
        action="store_true",
        help="pay even though the same amount to the same recipient is pending",
    )
    send.add_argument(
        "--accept-high-fee",
        action="store_true",
        help="send even when the fee is far above the network's usual range or what its "
        "blocks show (--yes alone is not enough then)",
    )
    send.add_argument("--no-wait", action="store_true", help="do not wait for it to be mined")
    send.add_argument("--password-file", type=Path, help="file holding the keystore password")
    send.add_argument(
        "--totp-file",
        type=Path,
        help="file holding the two-factor code (when it is on for sending)",
    )
    send.add_argument(
        "--device", metavar="ID", help="sign on this hardware wallet (see `termwallet devices`)"
    )
    send.add_argument("--json", action="store_true", help="print the review/result as JSON")
    send.set_defaults(handler=run_send)


# -- balance ---------------------------------------------------------------------------------


def run_balance(args: argparse.Namespace) -> int:
    return asyncio.run(_balance(args))


async def _balance(args: argparse.Namespace) -> int:
    from wallet.view import amount_text

    wallet = open_wallet(args.network)
    session = wallet["session"]
    try:
        report = await session.reconcile_once()
        view = await session.portfolio()
        utxo = await session.utxo_holdings()
        utxo_rows = [utxo_row(h) for h in utxo]
        resent = list(session.utxo.resumed) if session.utxo else []
        rows = []
        for h in view.holdings:
            rows.append(
                {
                    "asset": h.asset.symbol,
                    "contract": h.asset.contract,
                    "amount": str(h.amount),
                    "decimals": h.asset.decimals,
                    "display": amount_text(h.amount, h.asset.decimals),
                }
            )
        reason = None if view.error is None else str(view.error)
        if args.json:
            out = {
                "network": session.network.id,
                "accounts": list(session.addresses),
                "block": view.block,
                "stale": view.stale,
                "stale_reason": reason,
                "balances": rows,
            }
            if utxo_rows:
                out["utxo"] = utxo_rows
            if resent:
                out["utxo_resent"] = resent
            if report is not None and (report.mined or report.rebroadcast or report.dropped):
                out["settled"] = {
                    "mined": list(report.mined),
                    "rebroadcast": list(report.rebroadcast),
                    "dropped": list(report.dropped),
                }
            print(json.dumps(out, indent=2))
        else:
            if view.stale:
                said = (reason or "").rstrip(".")
                saved = (
                    "No saved balances."
                    if view.block is None
                    else f"Last saved balances, from block {view.block}:"
                )
                print(f"NOT CURRENT: {said}. {saved}", file=sys.stderr)
            block = "-" if view.block is None else view.block  # nothing read yet
            print(
                f"{session.network.name}  block {block}  accounts: "
                f"{', '.join(session.addresses) or 'none'}"
            )
            for r in rows:
                print(f"  {r['asset']:8} {r['display']:>24}")
            print_utxo_balances(utxo_rows, resent)
        return EXIT_STALE if view.stale or any(r["stale"] for r in utxo_rows) else 0
    finally:
        await session.aclose()


# -- send ------------------------------------------------------------------------------------


def run_send(args: argparse.Namespace) -> int:
    from tui.cli_errors import CliError

    if args.chain in _UTXO:
        if args.asset is not None:
            raise CliError(t("cli.one_asset", chain=args.chain))
        return asyncio.run(send_utxo(args))
    if args.coins is not None:
        raise CliError(f"{args.chain} has no coins to choose: --coins is for btc and ltc")
    return asyncio.run(_send(args))


async def _send(args: argparse.Namespace) -> int:
    from chains.errors import ChainError, InsufficientFunds
    from chains.evm import NonceUsed, TxRejected
    from chains.fees import FeeTier
    from chains.units import parse_amount
    from devices.errors import DeviceError
    from tui.cli_errors import CliError, typed_error
    from tui.text import plain
    from wallet.safety import RecipientError
    from wallet.send import MAX, SendDraft
    from wallet.send_checks import SendError

    wallet = open_wallet(args.chain)
    session = wallet["session"]
    early: Any = None  # a device opened to find a watched sender
    try:
        if not session.addresses:
            raise CliError(t("cli.no_eth_account"), "NO_ACCOUNT")
        path = f"m/44'/60'/0'/0/{args.account}"
        try:
            sender_address = account_address(session, args.account)
        except CliError:
            if not args.device:
                raise
            early, sender_address = watched_on_device(
                args.device, session.network.id, path, session
            )
        sender = session.sender()
        for txid in (await sender.reconcile()).rebroadcast:
            print(f"re-sent a payment signed before a crash: {txid}", file=sys.stderr)
        asset, first_use = await asset_for(session, args.asset)
        amount: Any = (
            MAX
            if args.amount.strip().lower() == "max"
            else parse_amount(args.amount, asset.decimals)
        )
        draft = SendDraft(recipient=args.to, amount=amount, asset=asset, fee=FeeTier(args.fee))
        try:
            review = await sender.prepare(draft, sender_address, path)
        except InsufficientFunds as exc:
            raise CliError(_insufficient(exc, session.network, asset), exc.code) from None
        except RecipientError as exc:
            raise CliError(t("cli.recipient_refused", reason=sentence(exc)), "RECIPIENT") from None
        doc = _review_json(review)
        fiat = _fiat_line(session, review)
        show_review(args, doc, lambda out: _print_review(review, out, fiat))
        if args.dry_run:
            print("dry run: nothing was signed or sent", file=sys.stderr)
            return 0
        if review.duplicate is not None and not args.send_again:
            # A retry after a crash or an error: the first payment may be on its way already.
            raise CliError(t("cli.duplicate", tx=review.duplicate), "DUPLICATE")
        if review.high_fee and not args.accept_high_fee:
            # A node that lies about fees would have --yes pay them: this needs its own word.
            raise CliError(t("cli.high_fee"), "HIGH_FEE")
        if not user_confirms(args.yes):
            return 1
        if first_use is not None:
            # The user confirmed this token as shown (decimals included): from now on its
            # stored decimals and symbol are the truth, and a node answering otherwise is
            # refused (wallet/send.py TokenChanged).
            from wallet.tokens import UserTokens

            UserTokens(session.store).add(first_use)
        if early is not None:
            device_totp(wallet["user"], args.password_file, args.totp_file)
            signer, early = early, None
        elif args.device:
            device_totp(wallet["user"], args.password_file, args.totp_file)
            signer = device_signer(args.device, session.network.id, path, sender_address)
        else:
            signer = wallet_signer(wallet, args)
        try:
            entry = await sender.sign_and_send(review, signer)
        except DeviceError as exc:
            from tui.commands.devices import device_failure

            raise CliError(device_failure(exc, signer.info.model)) from None
        except TxRejected as exc:
            sent = exc.details.get("tx_hash")
            if sent is None or isinstance(exc, NonceUsed):
                raise
            # A refusal is the node's word, not the chain's: say so, or the user pays again.
            raise CliError(
                f"the node refused the transaction ({plain(exc.reason)}), but it may still "
                f"reach the chain: {sent} (nonce {review.nonce}) is kept as unknown and "
                "watched until the chain settles it. Check `termwallet balance` before "
                "paying again."
            ) from None
        finally:
            signer.close()
        result: dict[str, Any] = {
            "tx_hash": entry.tx_hash,
            "nonce": entry.nonce,
            "state": entry.state.value,
        }
        if entry.open and not await session.backend.has_transaction(entry.tx_hash):
            # The node said it took the transaction but does not have it: "sent" would be a
            # lie. It stays in the outbox and is broadcast again on the next start.
            print(
                f"not confirmed sent: the node answered for {entry.tx_hash} (nonce "
                f"{entry.nonce}) but does not hold it. It is kept and broadcast again at the "
                "next `termwallet balance` or send; check it before paying again.",
                file=sys.stderr,
            )
            if args.json:
                print_outcome(args, doc, result | {"state": "not_confirmed"}, "")
            return 1
        if not args.no_wait:
            entry = await sender.wait(entry, timeout=120, poll=0.5)
            result |= {"state": entry.state.value, "block": entry.block}
        print_outcome(
            args,
            doc,
            result,
            f"sent: {entry.tx_hash} (nonce {entry.nonce}) - {entry.state.value}"
            + (f" in block {entry.block}" if entry.block is not None else ""),
        )
        return 0 if entry.state.value in ("mined", "broadcast") else 1
    except (ChainError, SendError) as exc:
        raise typed_error(exc) from None
    finally:
        if early is not None:
            early.close()
        await session.aclose()


def _insufficient(exc: Any, network: Any, asset: Any) -> str:
    from chains.units import format_with_symbol

    decimals = asset.decimals if exc.symbol == asset.symbol else network.native_decimals
    need = format_with_symbol(exc.need, decimals, exc.symbol, max_places=18)
    have = format_with_symbol(exc.have, decimals, exc.symbol, max_places=18)
    from tui.i18n import t

    what = "with_fee" if asset.contract is None else "needed"
    if asset.contract is not None and exc.symbol == network.native_symbol:
        what = "fee"
    return t(f"cli.insufficient_{what}", symbol=exc.symbol, need=need, have=have)


def _fiat_line(session: Any, review: Any) -> str:
    """The review's fiat values from the last known prices (tui/fiat_text.py): shown, never
    used to build what is signed."""
    from tui.fiat_text import review_fiat

    native = review.network.native_asset
    return review_fiat(
        session,
        [
            ("amount", session.price_symbol(review.asset), review.amount, review.asset.decimals),
            ("fee", native.symbol, review.max_fee, native.decimals),
        ],
    )


def _review_texts(review: Any) -> tuple[Any, str, str, list[str]]:
    """(fee formatter, amount, total, warnings) as the review shows them."""
    from chains.units import format_with_symbol

    native = review.native

    def n(v: int) -> str:
        return format_with_symbol(v, native.decimals, native.symbol, max_places=18)

    amount = format_with_symbol(
        review.amount, review.asset.decimals, review.asset.symbol, max_places=18
    )
    total = (
        n(review.total_native)
        if review.asset.contract is None
        else f"{amount} + {n(review.max_fee)}"
    )
    warnings = [w.kind.value + (f" ({w.other})" if w.other else "") for w in review.warnings]
    return n, amount, total, warnings


def _review_json(review: Any) -> dict[str, Any]:
    _, amount, total, warnings = _review_texts(review)
    return {
        "network": review.network.id,
        "from": review.sender,
        "to": review.recipient,
        "asset": review.asset.symbol,
        "contract": review.asset.contract,
        "amount": str(review.amount),
        "amount_display": amount,
        "nonce": review.nonce,
        "gas": review.gas,
        "max_fee_per_gas": str(review.fee.max_fee_per_gas),
        "max_priority_fee_per_gas": str(review.fee.max_priority_fee_per_gas),
        "network_fee_max": str(review.max_fee),
        "network_fee_likely": str(review.likely_fee),
        "total": total,
        "fiat": None,
        "warnings": warnings,
        "nodes": list(review.nodes),
    }


def _print_review(review: Any, out: Any, fiat: str | None = None) -> None:
    from tui.token_text import nodes_text

    n, amount, total, warnings = _review_texts(review)
    lines = [
        ("Network", f"{review.network.name} (chain {review.network.evm_chain_id})"),
        ("From", review.sender),
        ("To", review.recipient + (f"  [{review.contact}]" if review.contact else "")),
        ("Amount", amount),
        (
            "Network fee",
            f"{n(review.likely_fee)} likely, at most {n(review.max_fee)} ({review.fee.tier.value})",
        ),
        ("Total", total),
        ("Fiat value", fiat or "no price known"),
        ("Nonce", str(review.nonce)),
        ("Node" + ("s" if len(review.nodes) > 1 else ""), nodes_text(review.nodes)),
    ]
    if review.asset.contract is not None:
        lines.insert(4, ("Token", review.asset.contract))
    for label, value in lines:
        print(f"{label + ':':13} {value}", file=out)
    for w in warnings:
        print(
            f"WARNING: {_WARNINGS.get(w.split(' ')[0], w)}"
            + (f" {w.split(' ', 1)[1]}" if " " in w else ""),
            file=out,
        )


_WARNINGS = {
    "contract": "the recipient is a contract: make sure it can receive this asset.",
    "token_contract": "the recipient is the token's own contract: tokens sent there are lost.",
    "new": "you have not sent to this address before.",
    "lookalike": "the address looks like one you know, but is different (address poisoning?):",
    "no_checksum": "the address was typed without its checksum (all lower or upper case).",
    "self": "this is your own address.",
    "high_fee": "THE NETWORK FEE IS FAR ABOVE THIS NETWORK'S USUAL RANGE or above what its "
    "latest block shows: the node may be lying or broken.",
    "fee_above_amount": "the network fee likely costs more than the amount sent.",
    "duplicate": "a payment of this amount to this recipient is pending or was just re-sent:",
    "below_base_fee": "the maximum fee is below the current base fee: the network will not "
    "take this transaction until fees fall, and the node may refuse it.",
}
