"""`termwallet psbt create|sign|import|broadcast`: PSBTs for air-gapped signers and other
wallets (Sparrow, Electrum, Coldcard, QR signers). Every step prints what the PSBT pays, as
checked by wallet/psbt_review.check_psbt against the node and our own UTXO set (a PSBT from
outside is untrusted), before anything is signed, written or broadcast."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from tui.cli_wallet import open_wallet, user_confirms, wallet_signer
from tui.errors import sentence
from tui.i18n import t


def _account_key(utxo: Any, args: argparse.Namespace) -> str:
    """The account: --account-id (any, watch-only included), else --script/--account."""
    from tui.cli_errors import CliError
    from tui.cli_utxo import _utxo_key

    if utxo is None:
        raise CliError(t("psbt.cli.no_account", chain=args.chain))
    if args.account_id is not None:
        key = utxo.key_of(args.chain, args.account_id)
        if key not in utxo.keys():
            raise CliError(t("psbt.cli.no_account_id", chain=args.chain, id=args.account_id))
        return str(key)
    return _utxo_key(utxo, args.chain, args.script, args.account)


def _read_inputs(files: list[str]) -> list[bytes]:
    """Each FILE, or '-' for stdin (base64/hex/UR text pasted or piped)."""
    from wallet.psbt_files import PsbtFileError

    try:
        return _read(files)
    except PsbtFileError as exc:
        _as_cli_error(exc)
        raise


def _read(files: list[str]) -> list[bytes]:
    from wallet.psbt_files import decode_psbt, read_psbt_file
    from wallet.psbt_ur import decode_ur_text, is_ur_text

    out = []
    for name in files:
        if name == "-":
            text = sys.stdin.read()
            out.append(decode_ur_text(text) if is_ur_text(text) else decode_psbt(text))
            continue
        path = Path(name)
        head = path.read_bytes()[:16] if path.is_file() else b""
        if is_ur_text(head.decode("ascii", "replace")):
            out.append(decode_ur_text(path.read_text("ascii", "replace")))
        else:
            out.append(read_psbt_file(path))
    return out


def _write(psbt: bytes, args: argparse.Namespace) -> None:
    from wallet.psbt_files import PsbtFormat, encode_psbt, write_psbt_file

    fmt = PsbtFormat(args.format)
    if args.out == "-":
        if fmt is PsbtFormat.BINARY and sys.stdout.isatty():
            from tui.cli_errors import CliError

            raise CliError(t("psbt.cli.binary_tty"))
        sys.stdout.flush()
        sys.stdout.buffer.write(encode_psbt(psbt, fmt))
        sys.stdout.flush()
        return
    write_psbt_file(Path(args.out), psbt, fmt)
    print(t("psbt.wrote", path=args.out, fmt=fmt.value), file=sys.stderr)


def print_psbt_review(review: Any, *, to_stderr: bool = False) -> None:
    from chains.units import format_with_symbol

    out = sys.stderr if to_stderr else sys.stdout

    def c(v: int) -> str:
        return format_with_symbol(v, review.decimals, review.symbol)

    def line(label: str, value: str) -> None:
        print(f"{label + ':':20} {value}", file=out)

    line(t("psbt.network"), review.network_name)
    line(t("psbt.txid"), review.txid)
    print(t("psbt.inputs") + ":", file=out)
    for i in review.inputs:
        whose = t("psbt.input_ours") if i.ours else t("psbt.input_foreign")
        signed = t("psbt.input_signed") if i.signed else ""
        print(
            "  " + t("psbt.input_line", outpoint=i.outpoint, amount=c(i.amount), whose=whose,
                     signed=signed),
            file=out,
        )  # fmt: skip
    print(t("psbt.outputs") + ":", file=out)
    for o in review.outputs:
        if o.change:
            whose = t("psbt.output_change")
        elif o.ours:
            whose = t("psbt.output_ours")
        else:
            whose = t("psbt.output_pays")
        address = o.address or ("script " + o.script.hex())
        print("  " + t("psbt.output_line", address=address, amount=c(o.amount), whose=whose),
              file=out)  # fmt: skip
    estimated = "" if all(i.signed for i in review.inputs) else t("psbt.fee_estimated")
    line(
        t("psbt.fee"),
        t("psbt.fee_value", fee=c(review.fee), rate=review.fee_rate, vsize=review.vsize,
          estimated=estimated),
    )  # fmt: skip
    line(t("psbt.sent"), c(review.sent + review.fee))
    line(t("psbt.replaceable"), t("psbt.yes_rbf") if review.rbf else t("psbt.no"))
    print(t("psbt.checked"), file=out)
    if review.foreign_inputs:
        print(t("psbt.foreign_warning", count=review.foreign_inputs), file=out)
    signed = sum(1 for i in review.inputs if i.signed)
    if review.complete:
        print(t("psbt.complete"), file=out)
    else:
        print(t("psbt.incomplete", signed=signed, total=len(review.inputs)), file=out)


def _review_json(review: Any) -> dict[str, Any]:
    return {
        "network": review.network,
        "txid": review.txid,
        "inputs": [
            {"outpoint": i.outpoint, "amount": str(i.amount), "ours": i.ours, "signed": i.signed}
            for i in review.inputs
        ],
        "outputs": [
            {
                "address": o.address,
                "script": o.script.hex(),
                "amount": str(o.amount),
                "ours": o.ours,
                "change": o.change,
            }
            for o in review.outputs
        ],
        "fee": str(review.fee),
        "vsize": review.vsize,
        "fee_rate_sat_vb": str(review.fee_rate),
        "complete": review.complete,
        "rbf": review.rbf,
    }


class _Cli:
    """One open wallet and its Bitcoin/Litecoin accounts; errors typed for the CLI."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.wallet = open_wallet(None, [args.chain])
        self.session = self.wallet["session"]
        self.utxo = self.session.utxo
        self.signer: Any = None

    async def __aenter__(self) -> _Cli:
        return self

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if self.signer is not None:
            self.signer.close()
        await self.session.aclose()
        if exc is not None:
            _as_cli_error(exc)


def _as_cli_error(exc: BaseException) -> None:
    """Typed errors (coded) become one `termwallet:` line in the user's language."""
    from chains.errors import ChainError
    from devices.errors import DeviceError
    from tui.cli_errors import CliError
    from wallet.psbt_files import PsbtFileError

    if isinstance(exc, CliError):
        return
    if isinstance(exc, ChainError | PsbtFileError | ValueError | DeviceError) and getattr(
        exc, "code", None
    ):
        from tui.errors import user_message

        raise CliError(user_message(exc)) from None


async def create(args: argparse.Namespace) -> int:
    from chains.errors import InsufficientFunds
    from chains.units import format_with_symbol, parse_amount
    from tui.cli_errors import CliError
    from wallet.psbt_review import check_psbt

    async with _Cli(args) as cli:
        key = _account_key(cli.utxo, args)
        net = cli.utxo.network(key)
        try:
            cli.utxo.check_recipient(key, args.to)
        except ValueError as exc:
            raise CliError(t("psbt.cli.recipient", reason=sentence(exc))) from None
        amount = (
            None
            if args.amount.strip().lower() == "max"
            else parse_amount(args.amount, net.decimals)
        )
        if not cli.utxo.account(key).watch_only:
            # The PSBT names the master key's fingerprint so the signer knows its inputs: the
            # wallet's signer gives it (a device wallet's without the device).
            cli.signer = wallet_signer(cli.wallet, args)
        try:
            made = await cli.utxo.prepare_export(
                key, args.to, amount, args.fee, cli.signer, fee_rate=args.fee_rate
            )
        except InsufficientFunds as exc:
            need = format_with_symbol(exc.need, net.decimals, net.symbol)
            have = format_with_symbol(exc.have, net.decimals, net.symbol)
            raise CliError(
                t("psbt.cli.not_enough", symbol=net.symbol, need=need, have=have)
            ) from None
        review = await check_psbt(made.unsigned.psbt, cli.utxo, key)
        _show(review, args)
        _write(review.psbt, args)
    return 0


def _show(review: Any, args: argparse.Namespace) -> None:
    if getattr(args, "json", False):
        import json

        print(
            json.dumps(_review_json(review), indent=2),
            file=sys.stderr if args.out == "-" else sys.stdout,
        )
    else:
        print_psbt_review(review, to_stderr=getattr(args, "out", None) == "-")


async def sign(args: argparse.Namespace) -> int:
    from devices.errors import DeviceError
    from tui.cli_errors import CliError
    from wallet.psbt_review import check_psbt, combine_psbts

    (data,) = _read_inputs([args.file])
    async with _Cli(args) as cli:
        key = _account_key(cli.utxo, args)
        if cli.utxo.account(key).watch_only:
            raise CliError(t("psbt.cli.watch_only"))
        review = await check_psbt(data, cli.utxo, key)
        _show(review, args)
        if not user_confirms(args.yes, t("psbt.sign_question"), verb="sign", done="signed"):
            return 1
        cli.signer = wallet_signer(cli.wallet, args)
        try:
            signed = bytes(cli.signer.sign_psbt(review.psbt, review.network))
        except DeviceError as exc:
            from tui.commands.devices import device_failure

            raise CliError(device_failure(exc, cli.signer.info.model)) from None
        # The signer's answer is checked like any PSBT: same transaction, and what it signed.
        merged = combine_psbts([review.psbt, signed])
        after = await check_psbt(merged, cli.utxo, key)
        if after.txid != review.txid or after.outputs != review.outputs:
            raise CliError(t("psbt.cli.other_tx"))
        newly = [
            str(n)
            for n, (a, b) in enumerate(zip(review.inputs, after.inputs, strict=True))
            if b.signed and not a.signed
        ]
        if not newly:
            raise CliError(t("psbt.signed_none"))
        print(t("psbt.signed_inputs", inputs=", ".join(newly)), file=sys.stderr)
        _write(after.psbt, args)
    return 0


async def import_(args: argparse.Namespace) -> int:
    """Combine signed copies (one from each signer) and check the result; with --tx, write
    the finalized network transaction (hex) when it is complete."""
    from tui.cli_errors import CliError
    from wallet.psbt_review import check_psbt, combine_psbts, finalize

    parts = _read_inputs(args.files)
    async with _Cli(args) as cli:
        key = _account_key(cli.utxo, args)
        review = await check_psbt(combine_psbts(parts), cli.utxo, key)
        _show(review, args)
        if args.out:
            _write(review.psbt, args)
        if args.tx:
            if not review.complete:
                raise CliError(t("psbt.cli.incomplete"))
            raw = finalize(review)
            Path(args.tx).write_text(raw.hex() + "\n", "ascii")
    return 0


async def broadcast(args: argparse.Namespace) -> int:
    import json

    from tui.cli_utxo import _wait_utxo
    from wallet.psbt_review import check_psbt, combine_psbts, finalize, record_signed

    parts = _read_inputs(args.files)
    async with _Cli(args) as cli:
        key = _account_key(cli.utxo, args)
        review = await check_psbt(combine_psbts(parts), cli.utxo, key)
        args.out = None
        _show(review, args)
        raw = finalize(review)  # refuses an incomplete one, says which inputs
        if not user_confirms(args.yes, t("psbt.broadcast_question")):
            return 1
        signed = record_signed(cli.utxo, key, review, raw)  # stored before it is sent
        sender = cli.utxo.sender(key)
        txid = await sender.broadcast(signed)
        result: dict[str, Any] = {"txid": txid, "state": "broadcast", "height": None}
        if not args.no_wait:
            result |= await _wait_utxo(sender, txid, timeout=120)
        if args.json:
            print(json.dumps(result))
        else:
            where = t("psbt.in_block", height=result["height"]) if result["height"] else ""
            print(t("psbt.sent_txid", txid=txid, state=result["state"], where=where))
    return 0


def qr(args: argparse.Namespace) -> int:
    """The PSBT as BC-UR crypto-psbt: an animated QR in the terminal for a QR signer, or the
    parts as text (--text) to paste elsewhere. Needs no node: the PSBT's review was shown when
    it was made (`psbt create`) and is shown again when it comes back."""
    import time

    from devices.psbt import PsbtError, parse_psbt
    from tui.cli_errors import CliError
    from wallet.psbt_ur import UrEncoder
    from wallet.qr import qr_text

    (data,) = _read_inputs([args.file])
    try:
        parse_psbt(data)
    except PsbtError as exc:
        _as_cli_error(exc)
        raise
    enc = UrEncoder.for_psbt(data, args.fragment)
    if args.text:
        count = 1 if enc.single else max(enc.seq_len, args.parts or 0)
        for n in range(1, count + 1):
            print(enc.part(n))
        return 0
    if not sys.stdout.isatty():
        raise CliError(t("psbt.cli.qr_tty"))
    try:
        for n, part in enumerate(enc.parts(), start=1):
            code = qr_text(part, border=2)
            sys.stdout.write("\x1b[H\x1b[2J" + "\n".join(code.lines) + "\n")
            sys.stdout.write(t("psbt.app.qr_hint", n=n, total=enc.seq_len) + "\n")
            sys.stdout.flush()
            if enc.single:
                return 0
            time.sleep(1 / args.fps)
    except KeyboardInterrupt:
        return 0
    return 0
