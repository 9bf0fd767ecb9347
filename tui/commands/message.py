"""`termwallet message sign|verify`: prove an address is yours, or check someone's proof.

Sign takes the address the way `termwallet address` does (network, --type, --account,
--index, --change) and signs with the open wallet (keystore password, or its hardware wallet)
or with `--device ID`. Verify needs no wallet and no password. The message is the exact
UTF-8 text of --message or of --message-file (a trailing newline in the file is part of it).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from tui.cli_address import add_address_arguments, add_chain_argument
from tui.errors import sentence


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    message = sub.add_parser(
        "message",
        help="sign a message with an address's key, or verify a signed message",
        description="Sign a message (BIP322 or legacy for Bitcoin/Litecoin, EIP-191 for EVM "
        "networks) to prove you hold an address, or verify someone's signed message.",
    )
    verbs = message.add_subparsers(dest="verb", metavar="sign|verify", required=True)

    sign = verbs.add_parser("sign", help="sign a message with one of this wallet's addresses")
    add_address_arguments(sign)
    sign.add_argument(
        "--address",
        metavar="ADDRESS",
        help="sign for this address of the wallet (found among its accounts) instead of "
        "--account/--index/--type",
    )
    sign.add_argument(
        "--format",
        choices=("bip322", "legacy"),
        default=None,
        help="Bitcoin/Litecoin: bip322 (default) or legacy (Bitcoin Signed Message; not for "
        "taproot). EVM networks always use EIP-191",
    )
    _message_args(sign)
    sign.add_argument(
        "--device",
        metavar="ID",
        help="sign with this hardware wallet (see `termwallet devices`) instead of the wallet's",
    )
    sign.add_argument("--password-file", type=Path, help="file holding the keystore password")
    sign.add_argument("--json", action="store_true")
    sign.set_defaults(handler=run_sign)

    verify = verbs.add_parser("verify", help="check a signed message (no wallet needed)")
    add_chain_argument(verify)
    verify.add_argument("address", metavar="ADDRESS")
    verify.add_argument("signature", metavar="SIGNATURE", help="base64 (Bitcoin) or 0x-hex (EVM)")
    _message_args(verify)
    verify.add_argument("--json", action="store_true")
    verify.set_defaults(handler=run_verify)


def _message_args(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--message", metavar="TEXT", help="the message")
    group.add_argument("--message-file", type=Path, metavar="PATH", help="file holding it")


def _message(args: argparse.Namespace) -> bytes:
    from tui.cli import CliError
    from tui.i18n import t
    from wallet.messages import MAX_MESSAGE

    if args.message is not None:
        return str(args.message).encode("utf-8")
    if args.message_file is not None:
        from tui.user_files import read_user_text

        return read_user_text(args.message_file, limit=MAX_MESSAGE).encode("utf-8")
    raise CliError(t("message.cli.no_message"))


def run_verify(args: argparse.Namespace) -> int:
    from tui.cli import CliError
    from tui.i18n import t
    from wallet.messages import MessageError, verify

    message = _message(args)
    try:
        result = verify(args.chain, args.address, message, args.signature)
    except MessageError as exc:
        raise CliError(sentence(exc)) from None
    if args.json:
        print(json.dumps({"valid": result.valid, "format": result.format}))
    elif result.valid:
        print(t("message.cli.valid", address=args.address, format=result.format))
    else:
        print(t("message.cli.invalid", address=args.address))
    return 0 if result.valid else 1


def run_sign(args: argparse.Namespace) -> int:
    from devices.errors import DeviceError
    from tui.cli import CliError
    from tui.commands.devices import device_failure
    from tui.i18n import t
    from wallet.accounts import AccountError
    from wallet.keys import ScriptKind
    from wallet.messages import MessageError, is_evm, sign, signing_path

    message = _message(args)
    if is_evm(args.chain) and args.format is not None:
        raise CliError("EVM messages are signed with EIP-191: leave --format out")
    from tui.commands.keys import _book
    from wallet.paths import Paths
    from wallet.user import UserWallet

    user = UserWallet.open(Paths.default().ensure())
    try:
        spot = (args.script, args.account, args.index, args.change)
        if args.address:
            from wallet.messages import find_address

            try:
                found = find_address(_book(user.store), args.chain, args.address)
            except MessageError as exc:
                raise CliError(sentence(exc)) from None
            spot = (found.script, found.account, found.index, found.change)
        script, account, index, change = spot
        try:
            path = signing_path(args.chain, script, account, index, change=change)
        except ValueError as exc:
            raise CliError(sentence(exc)) from None
        kind = ScriptKind.ETH if is_evm(args.chain) else ScriptKind(script)
        try:
            address = str(
                _book(user.store).address(args.chain, kind, account, index, change=change)
            )
        except AccountError as exc:
            raise CliError(sentence(exc)) from None
        signer, model = _signer(args, user)
        try:
            signed = sign(signer, args.chain, address, path, message, args.format)
        except MessageError as exc:
            raise CliError(sentence(exc)) from None
        except DeviceError as exc:
            raise CliError(device_failure(exc, model)) from None
        finally:
            signer.close()
    finally:
        user.store.close()
    if args.json:
        print(
            json.dumps(
                {
                    "chain": signed.chain,
                    "address": signed.address,
                    "path": signed.path,
                    "format": signed.format,
                    "signature": signed.signature,
                }
            )
        )
    else:
        print(
            t("message.cli.signed_by", address=address, path=path, format=signed.format),
            file=sys.stderr,
        )
        print(signed.signature)
    return 0


def _signer(args: argparse.Namespace, user: Any) -> tuple[Any, str]:
    """(signer, the name device errors use): --device, the open wallet's device, or the
    keystore unlocked through the lockout."""
    if args.device:
        from tui.commands.devices import open_device

        signer = open_device(args.device)
        return signer, str(signer.info.model)
    wallet = user.current()
    if wallet is not None and wallet.is_device:
        from tui.commands.devices import cli_wallet_signer

        signer = cli_wallet_signer(user.device_signer(wallet))
        return signer, str(signer.info.model)
    return _unlock(user, args.password_file), "software"


def _unlock(user: Any, password_file: Path | None) -> Any:
    """The software signer, unlocked through the same lockout as the app. A message moves no
    coins, so the second factor for sending is not asked."""
    from tui.cli import CliError
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
        raise CliError(sentence(exc)) from None
    try:
        return unlocked.signer()
    finally:
        unlocked.lock()
