"""`termwallet balance` and `termwallet send`: balances and payments for scripts.

`send` prints the same review the app shows; --dry-run stops there and signs nothing. The
keystore password comes from --password-file, stdin's first line or the terminal, never from
argv. Bitcoin and Litecoin share the command but are not built yet, and say so.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

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
    send.add_argument("chain", metavar="CHAIN", choices=_EVM + _UTXO, help=", ".join(_EVM))
    send.add_argument("to", metavar="TO", help="recipient 0x address (EIP-55 checked)")
    send.add_argument("amount", metavar="AMOUNT", help="e.g. 0.25, or 'max'")
    send.add_argument("--asset", help="token SYMBOL or contract ADDRESS (default: the coin)")
    send.add_argument("--fee", choices=("slow", "normal", "fast"), default="normal")
    send.add_argument("--account", type=int, default=0, help="account number (default 0)")
    send.add_argument("--dry-run", action="store_true", help="print the review; sign nothing")
    send.add_argument("--yes", action="store_true", help="send without asking to confirm")
    send.add_argument("--no-wait", action="store_true", help="do not wait for it to be mined")
    send.add_argument("--password-file", type=Path, help="file holding the keystore password")
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

    wallet = _open(args.network)
    session = wallet["session"]
    try:
        report = await session.reconcile_once()
        view = await session.portfolio()
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
            if report is not None and (report.mined or report.rebroadcast or report.dropped):
                out["settled"] = {
                    "mined": list(report.mined),
                    "rebroadcast": list(report.rebroadcast),
                    "dropped": list(report.dropped),
                }
            print(json.dumps(out, indent=2))
        else:
            if view.stale:
                print(
                    f"NOT CURRENT: {reason}. Last saved balances, from block {view.block}:",
                    file=sys.stderr,
                )
            print(
                f"{session.network.name}  block {view.block}  accounts: "
                f"{', '.join(session.addresses) or 'none'}"
            )
            for r in rows:
                print(f"  {r['asset']:8} {r['display']:>24}")
        return EXIT_STALE if view.stale else 0
    finally:
        await session.aclose()


# -- send ------------------------------------------------------------------------------------


def run_send(args: argparse.Namespace) -> int:
    from tui.cli import CliError

    if args.chain in _UTXO:
        raise CliError(
            f"sending on {args.chain} is not built yet: only EVM networks ({', '.join(_EVM)}) "
            "can send today"
        )
    return asyncio.run(_send(args))


async def _send(args: argparse.Namespace) -> int:
    from chains.errors import ChainError, InsufficientFunds
    from chains.fees import FeeTier
    from chains.units import parse_amount
    from devices.errors import DeviceError
    from tui.cli import CliError
    from wallet.safety import RecipientError
    from wallet.send import MAX, SendDraft, SendError

    wallet = _open(args.chain)
    session = wallet["session"]
    try:
        if not session.addresses:
            raise CliError("this wallet has no Ethereum account: run `termwallet init` first")
        sender_address = _account_address(session.store, args.account)
        sender = session.sender()
        await sender.reconcile()
        asset = await _asset(session, args.asset)
        amount: Any = (
            MAX
            if args.amount.strip().lower() == "max"
            else parse_amount(args.amount, asset.decimals)
        )
        path = f"m/44'/60'/0'/0/{args.account}"
        draft = SendDraft(recipient=args.to, amount=amount, asset=asset, fee=FeeTier(args.fee))
        try:
            review = await sender.prepare(draft, sender_address, path)
        except InsufficientFunds as exc:
            raise CliError(_insufficient(exc, session.network, asset)) from None
        except RecipientError as exc:
            raise CliError(f"recipient refused: {exc}") from None
        _print_review(review, args.json)
        if args.dry_run:
            print("dry run: nothing was signed or sent", file=sys.stderr)
            return 0
        if not args.yes:
            if not sys.stdin.isatty():
                raise CliError("not sent: add --yes to send without the confirmation prompt")
            if input("Send this transaction? [y/N] ").strip().lower() not in ("y", "yes"):
                print("not sent", file=sys.stderr)
                return 1
        if args.device:
            signer = _device_signer(args.device, session.network.id, path, sender_address)
        else:
            signer = _unlock(wallet["user"], args.password_file)
        try:
            entry = await sender.sign_and_send(review, signer)
        except DeviceError as exc:
            from tui.commands.devices import device_failure

            raise CliError(device_failure(exc, signer.info.model)) from None
        finally:
            signer.close()
        result: dict[str, Any] = {
            "tx_hash": entry.tx_hash,
            "nonce": entry.nonce,
            "state": entry.state.value,
        }
        if not args.no_wait:
            entry = await sender.wait(entry, timeout=120, poll=0.5)
            result |= {"state": entry.state.value, "block": entry.block}
        if args.json:
            print(json.dumps(result))
        else:
            print(
                f"sent: {entry.tx_hash} (nonce {entry.nonce}) - {entry.state.value}"
                + (f" in block {entry.block}" if entry.block is not None else "")
            )
        return 0 if entry.state.value in ("mined", "broadcast") else 1
    except (ChainError, SendError) as exc:
        raise CliError(str(exc)) from None
    finally:
        await session.aclose()


def _open(network_id: str | None) -> dict[str, Any]:
    from tui.cli import CliError
    from wallet.paths import Paths
    from wallet.settings import SettingsError, load_settings
    from wallet.user import UserWallet

    paths = Paths.default().ensure()
    try:
        settings = load_settings(paths.config_file)
        if network_id:
            settings = settings.model_copy(update={"network": network_id})
        user = UserWallet.open(paths, settings)
        session = user.session()
    except SettingsError as exc:
        raise CliError(str(exc)) from None
    except ValueError as exc:
        raise CliError(str(exc)) from None
    return {"session": session, "paths": paths, "user": user}


def _account_address(store: Any, account: int) -> str:
    from tui.cli import CliError
    from wallet.accounts import AccountBook, AccountError
    from wallet.keys import ScriptKind

    try:
        return str(AccountBook(store).address("eth", ScriptKind.ETH, account))
    except AccountError as exc:
        raise CliError(str(exc)) from None


async def _asset(session: Any, wanted: str | None) -> Any:
    from tui.cli import CliError

    if wanted is None:
        return session.assets[0]
    for a in session.assets:
        if a.symbol.lower() == wanted.lower() or (
            a.contract is not None and a.contract.lower() == wanted.lower()
        ):
            return a
    if not wanted.lower().startswith("0x"):
        known = ", ".join(a.symbol for a in session.assets)
        raise CliError(
            f"no asset '{wanted}' on {session.network.name}: choose {known}, "
            "or give the token's contract address"
        )
    from wallet.tokens import UserTokens

    candidate = await UserTokens(session.store).inspect(session.backend, wanted)
    if not candidate.listed:
        print(
            f"WARNING: {candidate.asset.symbol} ({candidate.asset.contract}) is not on the "
            "token list: anyone can make a token with any name. Check the contract address.",
            file=sys.stderr,
        )
    if candidate.impersonates is not None:
        print(
            f"WARNING: it uses the symbol of {candidate.impersonates.symbol} "
            f"({candidate.impersonates.contract}) but is another contract.",
            file=sys.stderr,
        )
    return candidate.asset


def _device_signer(device_id: str, network_id: str, path: str, sender: str) -> Any:
    """The hardware signer for --device, after checking it holds the sending account: a device
    with another seed or passphrase would sign for an address the review did not show."""
    from devices.errors import DeviceError
    from tui.cli import CliError
    from tui.commands.devices import device_failure, open_device

    signer = open_device(device_id)
    try:
        held = signer.get_address(network_id, path)
    except DeviceError as exc:
        signer.close()
        raise CliError(device_failure(exc, signer.info.model)) from None
    if held.lower() != sender.lower():
        signer.close()
        raise CliError(
            f"the {signer.info.model} does not hold {sender} at {path} (it has {held}): "
            "another seed or passphrase. Nothing was signed."
        )
    return signer


def _unlock(user: Any, password_file: Path | None) -> Any:
    """The signer, unlocked through the same lockout as the app: wrong passwords from a script
    wait out the same growing delay."""
    from tui.cli import CliError
    from wallet.keystore import KeystoreError
    from wallet.lockout import guarded_unlock

    keystore = user.keystore
    if not keystore.exists():
        raise CliError("this wallet has no keys to sign with (watch-only)")
    if password_file is not None:
        try:
            password = password_file.read_text("utf-8").rstrip("\r\n")
        except OSError as exc:
            raise CliError(f"cannot read {password_file}: {exc.strerror}") from None
    elif sys.stdin.isatty():
        import getpass

        password = getpass.getpass("Keystore password: ")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        unlocked = guarded_unlock(keystore, user.lockout, password)
    except KeystoreError as exc:
        raise CliError(str(exc)) from None
    try:
        return unlocked.signer()
    finally:
        unlocked.lock()


def _insufficient(exc: Any, network: Any, asset: Any) -> str:
    from chains.units import format_with_symbol

    decimals = asset.decimals if exc.symbol == asset.symbol else network.native_decimals
    need = format_with_symbol(exc.need, decimals, exc.symbol, max_places=18)
    have = format_with_symbol(exc.have, decimals, exc.symbol, max_places=18)
    what = "amount + maximum network fee" if asset.contract is None else "needed"
    if asset.contract is not None and exc.symbol == network.native_symbol:
        what = "maximum network fee"
    return f"not enough {exc.symbol}: {what} is {need}, the account has {have}. Nothing was sent."


def _print_review(review: Any, as_json: bool) -> None:
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
    if as_json:
        print(
            json.dumps(
                {
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
                },
                indent=2,
            )
        )
        return
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
        ("Fiat value", "no price (no price feed)"),
        ("Nonce", str(review.nonce)),
    ]
    if review.asset.contract is not None:
        lines.insert(4, ("Token", review.asset.contract))
    for label, value in lines:
        print(f"{label + ':':13} {value}")
    for w in warnings:
        print(
            f"WARNING: {_WARNINGS.get(w.split(' ')[0], w)}"
            + (f" {w.split(' ', 1)[1]}" if " " in w else "")
        )


_WARNINGS = {
    "contract": "the recipient is a contract: make sure it can receive this asset.",
    "token_contract": "the recipient is the token's own contract: tokens sent there are lost.",
    "new": "you have not sent to this address before.",
    "lookalike": "the address looks like one you know, but is different (address poisoning?):",
    "no_checksum": "the address was typed without its checksum (all lower or upper case).",
    "self": "this is your own address.",
}
