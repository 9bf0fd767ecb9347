"""`termwallet totp enable|disable|status` and `termwallet watch add`: the second factor and
watch-only accounts for scripts and terminals.

The TOTP secret is never taken from or put into argv, a file we write, or a log: `enable`
draws it, shows its otpauth:// URI and QR code on the terminal (stderr, like the new recovery
phrase of `init`), and saves it only inside the encrypted keystore once a code proves the
authenticator app has it. Codes come from --totp-file, the terminal, or stdin's next line.
`send` and `swap` call `authorize_cli_send` here before anything is signed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from tui.cli_address import add_chain_argument
from tui.commands.keys import _RefuseSecret, _Secrets, _store
from tui.errors import sentence


def warn_fixed_mode(unlocked: Any) -> None:
    """Say so when unlocking had to make the keystore private again (on stderr)."""
    from tui.i18n import t

    if unlocked.fixed_mode is not None:
        print("! " + t("unlock.mode_fixed", mode=f"{unlocked.fixed_mode:o}"), file=sys.stderr)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    totp = sub.add_parser(
        "totp",
        help="two-factor authentication (an authenticator app's codes) for unlock and sending",
    )
    actions = totp.add_subparsers(dest="totp_action", metavar="ACTION", required=True)
    enable = actions.add_parser(
        "enable",
        allow_abbrev=False,
        help="turn it on: scan the QR code, type one code, keep the recovery codes",
        description="Shows a new secret as an otpauth:// URI and a QR code ON THIS TERMINAL "
        "ONLY (anyone who sees it can make your codes), reads one code to confirm, then prints "
        "ten one-time recovery codes once.",
    )
    enable.add_argument(
        "--for-sending", action="store_true", help="also ask for a code before every send/swap"
    )
    enable.add_argument("--password-file", type=Path, help="file holding the keystore password")
    disable = actions.add_parser("disable", allow_abbrev=False, help="turn it off (needs a code)")
    disable.add_argument("--password-file", type=Path, help="file holding the keystore password")
    disable.add_argument("--totp-file", type=Path, help="file holding a code or a recovery code")
    for p in (enable, disable):
        for name in ("--secret", "--code", "--password"):
            p.add_argument(name, action=_RefuseSecret, nargs="?", help=argparse.SUPPRESS)
    status = actions.add_parser("status", help="is it on, and for sending? (no password needed)")
    status.add_argument("--json", action="store_true")
    enable.set_defaults(handler=run_enable)
    disable.set_defaults(handler=run_disable)
    status.set_defaults(handler=run_status)

    watch = sub.add_parser("watch", help="watch-only accounts (balances without keys)")
    watch_actions = watch.add_subparsers(dest="watch_action", metavar="ACTION", required=True)
    add = watch_actions.add_parser(
        "add",
        help="watch an xpub/zpub (every address) or one address",
        description="Adds a watch-only account: balances and history, never signing. Give the "
        "PUBLIC key (xpub, zpub, tpub, vpub, Ltub, ttub) or an address.",
    )
    add_chain_argument(add)
    add.add_argument("key", metavar="XPUB_OR_ADDRESS")
    add.add_argument(
        "--type",
        dest="script",
        choices=("p2wpkh", "p2tr"),
        help="for an xpub/tpub: the addresses it makes (a zpub/vpub says p2wpkh itself)",
    )
    add.add_argument("--label", help="a name for the account")
    add.add_argument("--json", action="store_true")
    add.set_defaults(handler=run_watch_add)


# -- shared with send and swap ---------------------------------------------------------------


def read_code(path: Path | None, prompt: str = "Two-factor code: ") -> str | None:
    """A code from `path`, the terminal (not echoed: recovery codes last), or stdin's next
    line; None when none was given."""

    if path is not None:
        from tui.user_files import SECRET_LIMIT, read_user_text

        return read_user_text(path, limit=SECRET_LIMIT).strip() or None
    if sys.stdin.isatty():
        import getpass

        return getpass.getpass(prompt).strip() or None
    return sys.stdin.readline().strip() or None


def authorize_cli_send(store: Any, unlocked: Any, totp_file: Path | None) -> None:
    """wallet.totp.authorize_send with the code read only when one is needed; a refusal is a
    CliError saying how to give the code. Call before anything is signed."""
    from tui.cli_errors import CliError
    from tui.i18n import t
    from wallet.keystore import KeystoreError
    from wallet.totp import CodeRequired, authorize_send, totp_status

    code = read_code(totp_file) if totp_status(store).for_sending else None
    try:
        authorize_send(store, unlocked, code)
    except CodeRequired:
        raise CliError(t("cli.totp_needed")) from None
    except KeystoreError as exc:  # BadCode, LockedOut (the code's own lockout)
        raise CliError(t("cli.totp_refused", reason=sentence(exc))) from None


# -- totp ------------------------------------------------------------------------------------


def _unlock(password_file: Path | None, reader: _Secrets) -> tuple[Any, Any]:
    """The store and the unlocked keystore, through the unlock lockout (as the app and
    `send` do)."""
    from tui.cli_errors import CliError, typed_error
    from tui.i18n import t
    from wallet.keystore import Keystore, KeystoreError
    from wallet.lockout import Lockout, guarded_unlock

    keystore = Keystore()
    if not keystore.exists():
        raise CliError(t("cli.totp_no_keystore"))
    password = reader.read(password_file, "Keystore password: ")
    store = _store()
    try:
        unlocked = guarded_unlock(keystore, Lockout(store), password)
    except KeystoreError as exc:
        store.close()
        raise typed_error(exc) from None
    warn_fixed_mode(unlocked)
    return store, unlocked


def run_enable(args: argparse.Namespace) -> int:
    from tui.cli_errors import CliError
    from tui.i18n import t
    from wallet.keystore import KeystoreError
    from wallet.totp import TotpGuard, setup_qr

    reader = _Secrets(sys.stdin)
    store, unlocked = _unlock(args.password_file, reader)
    try:
        guard = TotpGuard(store, unlocked)
        if guard.enabled:
            raise CliError(t("cli.totp_already_on"))
        secret = guard.begin_setup()
        uri, qr = setup_qr(secret)
        print(
            "Scan this QR code with your authenticator app, or type the URI into it.\n"
            "THIS IS THE SECRET: anyone who sees it can make your codes. It is shown only "
            "now, on this terminal; it is not saved anywhere but the encrypted keystore.\n",
            file=sys.stderr,
        )
        print(qr, file=sys.stderr)
        print(f"\n{uri}\n", file=sys.stderr)
        code = read_code(None, "Code from the app: ")
        if code is None:
            raise CliError(t("cli.totp_not_turned_on"))
        try:
            codes = guard.finish_setup(secret, code, for_sending=args.for_sending)
        except KeystoreError as exc:
            raise CliError(t("cli.totp_setup_refused", reason=sentence(exc))) from None
        del secret, uri, qr
        print(
            "Two-factor authentication is on"
            + (" for unlocking and sending." if args.for_sending else " for unlocking.")
            + "\nRecovery codes: each works once instead of a code. Write them down and keep "
            "them apart from the device; they are shown only now:",
            file=sys.stderr,
        )
        for c in codes:
            print(f"  {c}", file=sys.stderr)
        return 0
    finally:
        unlocked.lock()
        store.close()


def run_disable(args: argparse.Namespace) -> int:
    from tui.cli_errors import CliError
    from tui.i18n import t
    from wallet.keystore import KeystoreError
    from wallet.totp import TotpGuard

    reader = _Secrets(sys.stdin)
    store, unlocked = _unlock(args.password_file, reader)
    try:
        guard = TotpGuard(store, unlocked)
        if not guard.enabled:
            raise CliError(t("cli.totp_not_on"))
        code = read_code(args.totp_file, "Code (or a recovery code): ")
        if code is None:
            raise CliError(t("cli.totp_stays_on"))
        try:
            guard.disable(code)
        except KeystoreError as exc:
            raise CliError(t("cli.totp_disable_refused", reason=sentence(exc))) from None
        print("Two-factor authentication is off.", file=sys.stderr)
        return 0
    finally:
        unlocked.lock()
        store.close()


def run_status(args: argparse.Namespace) -> int:
    from wallet.totp import totp_status

    store = _store()
    try:
        status = totp_status(store)
    finally:
        store.close()
    if args.json:
        print(json.dumps({"enabled": status.enabled, "for_sending": status.for_sending}))
    elif not status.enabled:
        print("two-factor authentication: off")
    else:
        print(
            "two-factor authentication: on for unlocking"
            + (" and sending" if status.for_sending else "")
        )
    return 0


# -- watch -----------------------------------------------------------------------------------


def run_watch_add(args: argparse.Namespace) -> int:
    from tui.cli_errors import typed_error
    from wallet.accounts import AccountBook, AccountError
    from wallet.keys import ScriptKind

    script = ScriptKind(args.script) if args.script else None
    store = _store()
    try:
        account = AccountBook(store).add_watch(args.chain, args.key, script, args.label)
    except AccountError as exc:
        raise typed_error(exc) from None
    finally:
        store.close()
    if args.json:
        print(json.dumps(account.to_json(), indent=2))
    else:
        print(f"watching {account.family} {account.script.value} {account.address}")
    return 0
