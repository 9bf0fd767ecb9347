"""`termwallet psbt create|sign|import|broadcast`: Bitcoin/Litecoin PSBTs (BIP174) for
air-gapped signers and other wallets. Files are read in any of binary, base64 or hex (what
Sparrow, Electrum and Coldcard write) and written in the format --format names."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

_UTXO = ("btc", "btc-testnet", "btc-regtest", "ltc", "ltc-testnet", "ltc-regtest")


def _account_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("chain", metavar="CHAIN", choices=_UTXO, help=", ".join(_UTXO))
    p.add_argument("--account", type=int, default=0, help="account number (default 0)")
    p.add_argument("--script", choices=("p2wpkh", "p2tr"), default="p2wpkh")
    p.add_argument(
        "--account-id",
        type=int,
        help="the account's id from `termwallet accounts` (a watch-only xpub account too)",
    )
    p.add_argument("--json", action="store_true", help="print the review as JSON")


def _out_options(p: argparse.ArgumentParser, *, required: bool) -> None:
    p.add_argument(
        "--out", required=required, metavar="FILE", help="where to write the PSBT ('-': stdout)"
    )
    p.add_argument(
        "--format",
        choices=("binary", "base64"),
        default="binary",
        help="binary (.psbt files, default) or base64 text",
    )


def _secrets(p: argparse.ArgumentParser) -> None:
    p.add_argument("--password-file", type=Path, help="file holding the keystore password")
    p.add_argument("--totp-file", type=Path, help="file holding the two-factor code")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    psbt = sub.add_parser(
        "psbt",
        help="PSBTs for air-gapped signers and other wallets (create, sign, import, broadcast)",
    )
    actions = psbt.add_subparsers(dest="psbt_command", metavar="ACTION", required=True)

    create = actions.add_parser(
        "create",
        allow_abbrev=False,
        help="export an unsigned PSBT of a payment (signs nothing)",
        description="Build the payment as `send` does (coins, change, fee) and write it "
        "unsigned for another signer. Works from a watch-only xpub account too.",
    )
    _account_options(create)
    create.add_argument("to", metavar="TO", help="recipient address")
    create.add_argument("amount", metavar="AMOUNT", help="e.g. 0.25, or 'max'")
    create.add_argument("--fee", choices=("slow", "normal", "fast"), default="normal")
    create.add_argument("--fee-rate", type=int, metavar="SAT_VB", help="instead of --fee")
    _out_options(create, required=True)
    _secrets(create)
    create.set_defaults(handler=lambda a: _run("create", a))

    sign = actions.add_parser(
        "sign",
        allow_abbrev=False,
        help="sign a PSBT with this wallet's keys or device (after its review)",
    )
    _account_options(sign)
    sign.add_argument("file", metavar="FILE", help="the PSBT ('-': read from stdin)")
    _out_options(sign, required=True)
    _secrets(sign)
    sign.add_argument("--yes", action="store_true", help="sign without asking to confirm")
    sign.set_defaults(handler=lambda a: _run("sign", a))

    imp = actions.add_parser(
        "import",
        allow_abbrev=False,
        help="combine signed PSBTs, check them, and finalize",
    )
    _account_options(imp)
    imp.add_argument("files", metavar="FILE", nargs="+", help="signed copies of one PSBT")
    _out_options(imp, required=False)
    imp.add_argument("--tx", metavar="FILE", help="write the finalized transaction (hex)")
    imp.set_defaults(handler=lambda a: _run("import", a))

    bc = actions.add_parser(
        "broadcast",
        allow_abbrev=False,
        help="finalize a signed PSBT and broadcast it (after its review)",
    )
    _account_options(bc)
    bc.add_argument("files", metavar="FILE", nargs="+", help="the signed PSBT (or its copies)")
    bc.add_argument("--yes", action="store_true", help="broadcast without asking to confirm")
    bc.add_argument("--no-wait", action="store_true", help="do not wait for it to be mined")
    bc.set_defaults(handler=lambda a: _run("broadcast", a))
    _register_qr(actions)


def _register_qr(actions: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    qr = actions.add_parser(
        "qr",
        allow_abbrev=False,
        help="show a PSBT as an animated QR (BC-UR crypto-psbt) for a QR signer",
        description="Keystone, Jade, SeedSigner and Passport scan the animated code; their "
        "signed PSBT comes back as a file or pasted text (`psbt broadcast CHAIN -` reads "
        "base64 or ur:crypto-psbt text from stdin).",
    )
    qr.add_argument("file", metavar="FILE", help="the PSBT ('-': read from stdin)")
    qr.add_argument(
        "--fragment", type=int, default=200, metavar="BYTES", help="PSBT bytes per frame"
    )
    qr.add_argument("--fps", type=float, default=4.0, help="frames a second (default 4)")
    qr.add_argument("--text", action="store_true", help="print the UR parts as text instead")
    qr.add_argument("--parts", type=int, help="with --text: how many parts (default: all plain)")
    qr.set_defaults(handler=_run_qr)


def _run_qr(args: argparse.Namespace) -> int:
    from tui import cli_psbt

    return cli_psbt.qr(args)


def _run(action: str, args: argparse.Namespace) -> int:
    from tui import cli_psbt

    fn = {
        "create": cli_psbt.create,
        "sign": cli_psbt.sign,
        "import": cli_psbt.import_,
        "broadcast": cli_psbt.broadcast,
    }[action]
    return asyncio.run(fn(args))
