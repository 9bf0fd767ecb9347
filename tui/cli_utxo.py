"""Bitcoin and Litecoin for `termwallet balance` and `termwallet send btc|ltc`: balance rows,
the send (PSBT review, fee in sat/vB, signed and stored before it is broadcast, then tracked)
and its review as printed. Split from tui/commands/evm.py (issue 21)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from tui.cli_wallet import open_wallet, print_outcome, show_review, user_confirms, wallet_signer
from tui.errors import sentence


def utxo_row(h: Any) -> dict[str, Any]:
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


def print_utxo_balances(rows: list[dict[str, Any]], resent: list[str]) -> None:
    from tui.i18n import t

    for txid in resent:
        print(t("cli.resent", tx=txid), file=sys.stderr)
    reported: set[str] = set()
    for r in rows:
        if r["stale"] and r["network"] not in reported:
            reported.add(r["network"])
            saved = "saved" if r["amount"] is not None else "none"
            print(
                t("cli.not_current", network=r["network"], reason=r["stale_reason"])
                + " "
                + t(f"cli.not_current_{saved}"),
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


async def send_utxo(args: argparse.Namespace) -> int:
    from chains.errors import ChainError, InsufficientFunds
    from chains.units import format_with_symbol, parse_amount
    from devices.errors import DeviceError
    from tui.cli_errors import CliError
    from tui.i18n import t

    wallet = open_wallet(None, [args.chain])
    session = wallet["session"]
    signer: Any = None
    try:
        utxo = session.utxo
        key = _utxo_key(utxo, args.chain, args.script, args.account)
        net = utxo.network(key)
        try:
            utxo.check_recipient(key, args.to)
        except ValueError as exc:
            raise CliError(t("cli.recipient_refused", reason=sentence(exc))) from None
        for txid in await utxo.resume(args.chain):
            print(t("cli.resent", tx=txid), file=sys.stderr)
        coins = None
        if getattr(args, "coins", None) is not None:
            from wallet.coin_control import parse_outpoints

            coins = parse_outpoints(args.coins)
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
            signer = wallet_signer(wallet, args)
        try:
            review = await utxo.prepare_send(key, args.to, amount, args.fee, signer, coins)
        except InsufficientFunds as exc:
            need = format_with_symbol(exc.need, net.decimals, net.symbol)
            have = format_with_symbol(exc.have, net.decimals, net.symbol)
            from tui.send_errors import frozen_note

            raise CliError(
                t(
                    "cli.utxo_insufficient",
                    symbol=net.symbol,
                    need=need,
                    have=have,
                    frozen=frozen_note(exc, net.symbol, net.decimals),
                )
            ) from None
        from tui.fiat_text import review_fiat

        fiat = review_fiat(
            session,
            [
                ("amount", review.symbol, review.amount, review.decimals),
                ("fee", review.symbol, review.fee, review.decimals),
            ],
            testnet=net.testnet,
        )
        account = utxo.account(key)
        doc = _utxo_review_json(review, account, args.fee)
        show_review(
            args, doc, lambda out: _print_utxo_review(review, net, account, args.fee, out, fiat)
        )
        if args.dry_run:
            print(t("cli.dry_run"), file=sys.stderr)
            return 0
        if review.high_fee and not args.accept_high_fee:
            # A server that lies about fees would have --yes pay them: this needs its own word.
            raise CliError(t("cli.utxo_high_fee"))
        if not user_confirms(args.yes):
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
        where = f" in block {result['height']}" if result["height"] else ""
        print_outcome(args, doc, result, f"sent: {txid} - {result['state']}{where}")
        return 0
    except (ChainError, ValueError) as exc:
        # Typed errors (bad address, server refusal, no server configured) say what to do.
        if getattr(exc, "code", None) is None:
            raise
        # Their own text, which names what was wrong (a catalog sentence for the code would
        # lose it): translating these is the chain layer's catalog work, not done yet.
        raise CliError(sentence(exc)) from None
    finally:
        if signer is not None:
            signer.close()
        await session.aclose()


def _utxo_device(device_id: str, utxo: Any, key: str) -> Any:
    """--device for a Bitcoin/Litecoin account (the wallet's own or a watched xpub): the device
    must derive the account's first address, else it holds other keys and is refused."""
    from devices.errors import DeviceError
    from tui.cli_errors import CliError
    from tui.commands.devices import device_failure, open_device
    from tui.i18n import t
    from wallet.keys import address_path

    acct = utxo.account(key)
    chain = utxo.network(key).id
    if acct.watch_only or acct.account_index is None:
        raise CliError(t("cli.utxo_watch_only_device"))
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
            t("cli.utxo_device_other_keys", device=model, held=held, path=path,
              address=acct.address)
        )  # fmt: skip
    return signer


def _utxo_key(utxo: Any, chain: str, script: str, index: int) -> str:
    from tui.cli_errors import CliError
    from tui.i18n import t

    if utxo is None:
        raise CliError(t("cli.no_chain_account", chain=chain))
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
        t("cli.no_script_account", script=script, index=index, chain=chain, family=family)
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


def _utxo_review_json(review: Any, account: Any, tier: str) -> dict[str, Any]:
    from chains.units import format_with_symbol

    return {
        "network": review.network,
        "account": account.account_index,
        "script": account.script.value,
        "to": review.recipient,
        "amount": str(review.amount),
        "amount_display": format_with_symbol(review.amount, review.decimals, review.symbol),
        "fee": str(review.fee),
        "fee_rate_sat_vb": review.fee_rate,
        "vsize": review.vsize,
        "fee_tier": tier,
        "total": str(review.total),
        "inputs": review.inputs,
        "coins": [c.outpoint for c in review.unsigned.inputs],
        "change": str(review.change),
        "rbf": review.rbf,
        "fiat": None,
        "fee_concerns": [str(x) for x in review.fee_concerns],
        "high_fee": review.high_fee,
        "next_block_rate_sat_vb": review.next_block_rate,
    }


def _print_utxo_review(
    review: Any, net: Any, account: Any, tier: str, out: Any, fiat: str | None = None
) -> None:
    from chains.units import format_with_symbol

    def c(v: int) -> str:
        return format_with_symbol(v, review.decimals, review.symbol)

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
        ("Fiat value", fiat or "no price known"),
        (
            "Fee evidence",
            f"the server's mempool needs {review.next_block_rate} sat/vB for the next block"
            if review.next_block_rate is not None
            else "the server gave no mempool figures: only the usual range bounds the rate",
        ),
    ]
    for label, value in lines:
        print(f"{label + ':':13} {value}", file=out)
    for concern in review.fee_concerns:
        print(f"WARNING: {_UTXO_FEE_WARNINGS[str(concern)]}", file=out)


_UTXO_FEE_WARNINGS = {
    "high_fee": "THE FEE RATE IS FAR ABOVE THIS NETWORK'S USUAL RANGE or above what the "
    "server's own mempool needs: the server may be lying or broken.",
    "fee_above_amount": "the network fee is more than the amount sent.",
}
