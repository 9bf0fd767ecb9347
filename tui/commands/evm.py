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

    wallet = _open(args.network)
    session = wallet["session"]
    try:
        report = await session.reconcile_once()
        view = await session.portfolio()
        utxo = await session.utxo_holdings()
        utxo_rows = [_utxo_row(h) for h in utxo]
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
            _print_utxo(utxo_rows, resent)
        return EXIT_STALE if view.stale or any(r["stale"] for r in utxo_rows) else 0
    finally:
        await session.aclose()


# -- send ------------------------------------------------------------------------------------


def run_send(args: argparse.Namespace) -> int:
    from tui.cli import CliError

    if args.chain in _UTXO:
        if args.asset is not None:
            raise CliError(f"{args.chain} has one asset, its coin: leave out --asset")
        return asyncio.run(_send_utxo(args))
    return asyncio.run(_send(args))


async def _send(args: argparse.Namespace) -> int:
    from chains.errors import ChainError, InsufficientFunds
    from chains.evm import NonceUsed, TxRejected
    from chains.fees import FeeTier
    from chains.units import parse_amount
    from devices.errors import DeviceError
    from tui.cli import CliError
    from tui.text import plain
    from wallet.safety import RecipientError
    from wallet.send import MAX, SendDraft, SendError

    wallet = _open(args.chain)
    session = wallet["session"]
    early: Any = None  # a device opened to find a watched sender
    try:
        if not session.addresses:
            raise CliError("this wallet has no Ethereum account: run `termwallet init` first")
        path = f"m/44'/60'/0'/0/{args.account}"
        try:
            sender_address = _account_address(session, args.account)
        except CliError:
            if not args.device:
                raise
            early, sender_address = _watched_on_device(
                args.device, session.network.id, path, session
            )
        sender = session.sender()
        for txid in (await sender.reconcile()).rebroadcast:
            print(f"re-sent a payment signed before a crash: {txid}", file=sys.stderr)
        asset, first_use = await _asset(session, args.asset)
        amount: Any = (
            MAX
            if args.amount.strip().lower() == "max"
            else parse_amount(args.amount, asset.decimals)
        )
        draft = SendDraft(recipient=args.to, amount=amount, asset=asset, fee=FeeTier(args.fee))
        from wallet.node_check import check_nodes

        # Several RPC URLs configured: they must agree on the chain and the latest block.
        nodes = (await check_nodes(session.backend)).nodes
        try:
            review = await sender.prepare(draft, sender_address, path)
        except InsufficientFunds as exc:
            raise CliError(_insufficient(exc, session.network, asset)) from None
        except RecipientError as exc:
            raise CliError(f"recipient refused: {exc}") from None
        _print_review(review, args.json, nodes)
        if args.dry_run:
            print("dry run: nothing was signed or sent", file=sys.stderr)
            return 0
        if review.duplicate is not None and not args.send_again:
            # A retry after a crash or an error: the first payment may be on its way already.
            raise CliError(
                f"not sent: a payment of this amount to this recipient is pending or was just "
                f"re-sent ({review.duplicate}). Check `termwallet balance`; add --send-again "
                "to pay a second time."
            )
        if review.high_fee and not args.accept_high_fee:
            # A node that lies about fees would have --yes pay them: this needs its own word.
            raise CliError(
                "not sent: the network fee is far above this network's usual range or what "
                "its latest block shows (the node may be lying or broken). Check it, try "
                "another RPC URL, or add --accept-high-fee to pay it anyway."
            )
        if not args.yes:
            if not sys.stdin.isatty():
                raise CliError("not sent: add --yes to send without the confirmation prompt")
            if input("Send this transaction? [y/N] ").strip().lower() not in ("y", "yes"):
                print("not sent", file=sys.stderr)
                return 1
        if first_use is not None:
            # The user confirmed this token as shown (decimals included): from now on its
            # stored decimals and symbol are the truth, and a node answering otherwise is
            # refused (wallet/send.py TokenChanged).
            from wallet.tokens import UserTokens

            UserTokens(session.store).add(first_use)
        if early is not None:
            _device_totp(wallet["user"], args.password_file, args.totp_file)
            signer, early = early, None
        elif args.device:
            _device_totp(wallet["user"], args.password_file, args.totp_file)
            signer = _device_signer(args.device, session.network.id, path, sender_address)
        else:
            signer = _wallet_signer(wallet, args)
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
                print(json.dumps(result | {"state": "not_confirmed"}))
            return 1
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
        if early is not None:
            early.close()
        await session.aclose()


def _open(network_id: str | None, utxo_networks: list[str] | None = None) -> dict[str, Any]:
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
        session = user.session(utxo_networks)
    except SettingsError as exc:
        raise CliError(str(exc)) from None
    except ValueError as exc:
        raise CliError(str(exc)) from None
    return {"session": session, "paths": paths, "user": user}


def _account_address(session: Any, account: int) -> str:
    """The Ethereum address of `account` in the open wallet (see wallet/wallets.py)."""
    from tui.cli import CliError
    from wallet.accounts import AccountBook, AccountError
    from wallet.keys import ScriptKind

    wallet_id = None if session.wallet is None else session.wallet.id
    try:
        return str(AccountBook(session.store, wallet_id).address("eth", ScriptKind.ETH, account))
    except AccountError as exc:
        raise CliError(str(exc)) from None


def _wallet_signer(wallet: dict[str, Any], args: argparse.Namespace) -> Any:
    """The open wallet's signer: its hardware wallet (found by its keys, waited for when
    unplugged) or the keystore, unlocked through the lockout."""
    session = wallet["session"]
    if session.device is not None:
        from tui.commands.devices import cli_wallet_signer

        _device_totp(wallet["user"], args.password_file, args.totp_file)
        return cli_wallet_signer(session.device)
    return _unlock(wallet["user"], args.password_file, args.totp_file)


def _watched_on_device(device_id: str, network_id: str, path: str, session: Any) -> Any:
    """--device for a watch-only Ethereum account: the device's address at `path` must be one
    the wallet watches; the signer and that address."""
    from devices.errors import DeviceError
    from tui.cli import CliError
    from tui.commands.devices import device_failure, open_device

    signer = open_device(device_id)
    try:
        held = str(signer.get_address(network_id, path))
    except DeviceError as exc:
        signer.close()
        raise CliError(device_failure(exc, signer.info.model)) from None
    for address in session.addresses:
        if address.lower() == held.lower():
            return signer, address
    signer.close()
    raise CliError(
        f"the {signer.info.model} holds {held} at {path}, which this wallet neither has nor "
        "watches: add it with `termwallet watch add` or pick --account. Nothing was signed."
    )


async def _asset(session: Any, wanted: str | None) -> tuple[Any, Any]:
    """The asset to send, and the token to store once the user confirms when it is neither
    listed nor stored yet (its first use: what the contract says now becomes the truth)."""
    from tui.cli import CliError

    if wanted is None:
        return session.assets[0], None
    for a in session.assets:
        if a.symbol.lower() == wanted.lower() or (
            a.contract is not None and a.contract.lower() == wanted.lower()
        ):
            return a, None
    if not wanted.lower().startswith("0x"):
        known = ", ".join(a.symbol for a in session.assets)
        raise CliError(
            f"no asset '{wanted}' on {session.network.name}: choose {known}, "
            "or give the token's contract address"
        )
    from wallet.tokens import UserTokens

    tokens = UserTokens(session.store)
    candidate = await tokens.inspect(session.backend, wanted)
    first_use = None
    if not candidate.listed:
        print(
            f"WARNING: {candidate.asset.symbol} ({candidate.asset.contract}) is not on the "
            "token list: anyone can make a token with any name. Check the contract address.",
            file=sys.stderr,
        )
        if tokens.stored(session.network.id, wanted) is None:
            first_use = candidate
            print(
                f"First use of this token: it says it has {candidate.asset.decimals} decimals; "
                "sending keeps that, and a different answer later stops a send.",
                file=sys.stderr,
            )
    if candidate.impersonates is not None:
        print(
            f"WARNING: it uses the symbol of {candidate.impersonates.symbol} "
            f"({candidate.impersonates.contract}) but is another contract.",
            file=sys.stderr,
        )
    return candidate.asset, first_use


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


def _device_totp(user: Any, password_file: Path | None, totp_file: Path | None) -> None:
    """Two-factor for sending covers hardware-signed sends too: its secret is in the keystore,
    so the keystore is unlocked just to check the code, then locked again."""
    from wallet.totp import totp_status

    if totp_status(user.store).for_sending:
        _unlock(user, password_file, totp_file).close()


def warn_fixed_mode(unlocked: Any) -> None:
    """Say so when unlocking had to make the keystore private again (on stderr)."""
    from tui.i18n import t

    if unlocked.fixed_mode is not None:
        print("! " + t("unlock.mode_fixed", mode=f"{unlocked.fixed_mode:o}"), file=sys.stderr)


def _unlock(user: Any, password_file: Path | None, totp_file: Path | None = None) -> Any:
    """The signer, unlocked through the same lockout as the app: wrong passwords from a script
    wait out the same growing delay. When two-factor authentication is on for sending, the
    code is checked here (tui/commands/security.py), before any signer exists."""
    from tui.cli import CliError
    from tui.commands.security import authorize_cli_send
    from wallet.keystore import KeystoreError
    from wallet.lockout import guarded_unlock

    keystore = user.keystore
    if not keystore.exists():
        raise CliError("this wallet has no keys to sign with (watch-only)")
    if password_file is not None:
        from tui.user_files import SECRET_LIMIT, read_user_text

        password = read_user_text(password_file, limit=SECRET_LIMIT).rstrip("\r\n")
    elif sys.stdin.isatty():
        import getpass

        password = getpass.getpass("Keystore password: ")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        unlocked = guarded_unlock(keystore, user.lockout, password)
    except KeystoreError as exc:
        raise CliError(str(exc)) from None
    warn_fixed_mode(unlocked)
    try:
        authorize_cli_send(user.store, unlocked, totp_file)
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


def _print_review(review: Any, as_json: bool, nodes: tuple[str, ...] = ()) -> None:
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
                    "nodes": list(nodes),
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
        ("Node" + ("s" if len(nodes) > 1 else ""), ", ".join(nodes) or "-"),
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
    "high_fee": "THE NETWORK FEE IS FAR ABOVE THIS NETWORK'S USUAL RANGE or above what its "
    "latest block shows: the node may be lying or broken.",
    "fee_above_amount": "the network fee likely costs more than the amount sent.",
    "duplicate": "a payment of this amount to this recipient is pending or was just re-sent:",
    "below_base_fee": "the maximum fee is below the current base fee: the network will not "
    "take this transaction until fees fall, and the node may refuse it.",
}


# -- Bitcoin and Litecoin --------------------------------------------------------------------


def _utxo_row(h: Any) -> dict[str, Any]:
    from tui.errors import user_message
    from wallet.view import amount_text

    return {
        "network": h.network,
        "asset": h.symbol,
        "account_id": h.account_id,
        "account": h.account_index,
        "script": h.script,
        "watch_only": h.watch_only,
        "amount": None if h.amount is None else str(h.amount),
        "unconfirmed": None if h.unconfirmed is None else str(h.unconfirmed),
        "decimals": h.decimals,
        "display": "-" if h.amount is None else amount_text(h.amount, h.decimals),
        "tip": h.tip,
        "stale": h.stale,
        # The catalog's sentence for the error's code: never an unknown exception's text.
        "stale_reason": None if h.error is None else user_message(h.error),
    }


def _print_utxo(rows: list[dict[str, Any]], resent: list[str]) -> None:
    for txid in resent:
        print(f"re-sent a payment signed before a crash: {txid}", file=sys.stderr)
    reported: set[str] = set()
    for r in rows:
        if r["stale"] and r["network"] not in reported:
            reported.add(r["network"])
            print(
                f"NOT CURRENT: {r['network']}: {r['stale_reason']} "
                + ("Last saved balances." if r["amount"] is not None else "No saved balances."),
                file=sys.stderr,
            )
    network = None
    for r in rows:
        if r["network"] != network:
            network = r["network"]
            print(f"{network}  block {r['tip'] if r['tip'] is not None else '-'}")
        label = f"{r['script']} #{r['account']}" + (" (watch-only)" if r["watch_only"] else "")
        pending = ""
        if r["unconfirmed"] not in (None, "0"):
            from wallet.view import amount_text

            pending = f"  ({amount_text(int(r['unconfirmed']), r['decimals'])} unconfirmed)"
        stale = "  (not current)" if r["stale"] else ""
        print(f"  {r['asset']:8} {label:18} {r['display']:>20}{pending}{stale}")


async def _send_utxo(args: argparse.Namespace) -> int:
    from chains.errors import ChainError, InsufficientFunds
    from chains.units import format_with_symbol, parse_amount
    from devices.errors import DeviceError
    from tui.cli import CliError

    wallet = _open(None, [args.chain])
    session = wallet["session"]
    signer: Any = None
    try:
        utxo = session.utxo
        key = _utxo_key(utxo, args.chain, args.script, args.account)
        net = utxo.network(key)
        try:
            utxo.check_recipient(key, args.to)
        except ValueError as exc:
            raise CliError(f"recipient refused: {exc}. Nothing was sent.") from None
        for txid in await utxo.resume(args.chain):
            print(f"re-sent a payment signed before a crash: {txid}", file=sys.stderr)
        amount = (
            None
            if args.amount.strip().lower() == "max"
            else parse_amount(args.amount, net.decimals)
        )
        # The PSBT names the signing key's fingerprint, so the keys are unlocked before the
        # review is built; a dry run builds it without them and signs nothing.
        if args.device:
            signer = _utxo_device(args.device, utxo, key)
        elif session.device is not None or not args.dry_run:
            # A device wallet's signer names its keys without the device: the review is built
            # now, the device is asked only to sign.
            signer = _wallet_signer(wallet, args)
        try:
            review = await utxo.prepare_send(key, args.to, amount, args.fee, signer)
        except InsufficientFunds as exc:
            need = format_with_symbol(exc.need, net.decimals, net.symbol)
            have = format_with_symbol(exc.have, net.decimals, net.symbol)
            raise CliError(
                f"not enough {net.symbol}: amount + network fee is {need}, the account has "
                f"{have}. Nothing was sent."
            ) from None
        _print_utxo_review(review, net, utxo.account(key), args.fee, args.json)
        if args.dry_run:
            print("dry run: nothing was signed or sent", file=sys.stderr)
            return 0
        if review.high_fee and not args.accept_high_fee:
            # A server that lies about fees would have --yes pay them: this needs its own word.
            raise CliError(
                "not sent: the fee rate is far above this network's usual range or what the "
                "server's own mempool needs (the server may be lying or broken). Check it, try "
                "another server, or add --accept-high-fee to pay it anyway."
            )
        if not args.yes:
            if not sys.stdin.isatty():
                raise CliError("not sent: add --yes to send without the confirmation prompt")
            if input("Send this transaction? [y/N] ").strip().lower() not in ("y", "yes"):
                print("not sent", file=sys.stderr)
                return 1
        sender = utxo.sender(key)
        try:
            # stored before it is broadcast
            signed = sender.sign(review, signer, accept_high_fee=args.accept_high_fee)
        except DeviceError as exc:
            from tui.commands.devices import device_failure

            raise CliError(device_failure(exc, signer.info.model)) from None
        txid = await sender.broadcast(signed)
        result: dict[str, Any] = {"txid": txid, "state": "broadcast", "height": None}
        if not args.no_wait:
            result |= await _wait_utxo(sender, txid, timeout=120)
        if args.json:
            print(json.dumps(result))
        else:
            where = f" in block {result['height']}" if result["height"] else ""
            print(f"sent: {txid} - {result['state']}{where}")
        return 0
    except (ChainError, ValueError) as exc:
        # Typed errors (bad address, server refusal, no server configured) say what to do.
        if getattr(exc, "code", None) is None:
            raise
        raise CliError(str(exc)) from None
    finally:
        if signer is not None:
            signer.close()
        await session.aclose()


def _utxo_device(device_id: str, utxo: Any, key: str) -> Any:
    """--device for a Bitcoin/Litecoin account (the wallet's own or a watched xpub): the device
    must derive the account's first address, else it holds other keys and is refused."""
    from devices.errors import DeviceError
    from tui.cli import CliError
    from tui.commands.devices import device_failure, open_device
    from wallet.keys import address_path

    acct = utxo.account(key)
    chain = utxo.network(key).id
    if acct.watch_only or acct.account_index is None:
        raise CliError(
            "this account is watch-only: add the device as a wallet with `termwallet init "
            "--device ID` (the watched accounts of its keys become its own), then send from it"
        )
    path = address_path(chain, acct.script, acct.account_index, 0)
    signer = open_device(device_id)
    model = signer.info.model
    try:
        held = str(signer.get_address(chain, path))
    except DeviceError as exc:
        signer.close()
        raise CliError(device_failure(exc, model)) from None
    if held != acct.address:
        signer.close()
        raise CliError(
            f"the {model} gives {held} at {path}, but this account's first address is "
            f"{acct.address}: the device holds other keys. Nothing was signed."
        )
    return signer


def _utxo_key(utxo: Any, chain: str, script: str, index: int) -> str:
    from tui.cli import CliError

    if utxo is None:
        raise CliError(f"this wallet has no {chain} account: run `termwallet init` first")
    family = utxo.networks[chain].family
    for key in utxo.keys():
        acct = utxo.account(key)
        if (
            key.startswith(chain + ":")
            and acct.script.value == script
            and acct.account_index == index
            and not acct.watch_only
        ):
            return str(key)
    raise CliError(
        f"this wallet has no {script} account {index} for {chain} (the {family} accounts): "
        "add it with `termwallet accounts add` or pick --script/--account"
    )


async def _wait_utxo(sender: Any, txid: str, *, timeout: float) -> dict[str, Any]:
    """Until the server reports it in a block (or `timeout`): the state and height."""
    from chains.errors import ChainError

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    state, height = "broadcast", None
    while loop.time() < deadline:
        try:
            st = await sender.status(txid)
        except ChainError:
            st = None  # the server is away a moment; the transaction is stored and sent
        if st is not None:
            state, height = st.state.value, st.height
            if state == "confirmed":
                break
        await asyncio.sleep(1.0)
    return {"state": state, "height": height}


def _print_utxo_review(review: Any, net: Any, account: Any, tier: str, as_json: bool) -> None:
    from chains.units import format_with_symbol

    def c(v: int) -> str:
        return format_with_symbol(v, review.decimals, review.symbol)

    if as_json:
        print(
            json.dumps(
                {
                    "network": review.network,
                    "account": account.account_index,
                    "script": account.script.value,
                    "to": review.recipient,
                    "amount": str(review.amount),
                    "amount_display": c(review.amount),
                    "fee": str(review.fee),
                    "fee_rate_sat_vb": review.fee_rate,
                    "vsize": review.vsize,
                    "fee_tier": tier,
                    "total": str(review.total),
                    "inputs": review.inputs,
                    "change": str(review.change),
                    "rbf": review.rbf,
                    "fiat": None,
                    "fee_concerns": [str(x) for x in review.fee_concerns],
                    "high_fee": review.high_fee,
                    "next_block_rate_sat_vb": review.next_block_rate,
                },
                indent=2,
            )
        )
        return
    lines = [
        ("Network", net.name),
        ("From", f"{account.script.value} account {account.account_index} ({account.address})"),
        ("To", review.recipient),
        ("Amount", c(review.amount)),
        (
            "Network fee",
            f"{c(review.fee)} ({review.fee_rate} sat/vB x {review.vsize} vB, {tier})",
        ),
        ("Total", c(review.total)),
        ("Coins spent", f"{review.inputs}, change back {c(review.change)}"),
        ("Replaceable", "yes (RBF: the fee can be raised later)" if review.rbf else "no"),
        ("Fiat value", "no price (no price feed)"),
        (
            "Fee evidence",
            f"the server's mempool needs {review.next_block_rate} sat/vB for the next block"
            if review.next_block_rate is not None
            else "the server gave no mempool figures: only the usual range bounds the rate",
        ),
    ]
    for label, value in lines:
        print(f"{label + ':':13} {value}")
    for concern in review.fee_concerns:
        print(f"WARNING: {_UTXO_FEE_WARNINGS[str(concern)]}")


_UTXO_FEE_WARNINGS = {
    "high_fee": "THE FEE RATE IS FAR ABOVE THIS NETWORK'S USUAL RANGE or above what the "
    "server's own mempool needs: the server may be lying or broken.",
    "fee_above_amount": "the network fee is more than the amount sent.",
}
