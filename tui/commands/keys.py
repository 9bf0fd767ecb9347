"""`termwallet init`, `termwallet accounts`, `termwallet address`: keys for scripts.

Secrets never come from argv (other users can read a process's arguments): the recovery phrase
and passwords are read from a file, from stdin (one per line), or from the terminal with
echo off. Output for machines is --json; messages for humans go to stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from tui.cli_address import add_address_arguments
from tui.errors import sentence


class _RefuseSecret(argparse.Action):
    """`--mnemonic WORDS` and friends: refused without echoing the value, which is already
    in the shell history and the process list."""

    def __call__(self, parser: Any, namespace: Any, values: Any, option_string: Any = None) -> None:
        raise argparse.ArgumentError(
            self,
            "secrets are never taken from arguments: use --mnemonic-file / --password-file, "
            "stdin or the prompt (and clear your shell history)",
        )


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    init = sub.add_parser(
        "init",
        allow_abbrev=False,  # "--mnemonic" must not quietly mean "--mnemonic-file"
        help="create a software wallet, or restore one with --restore",
        description="Create a software wallet (prints its new recovery phrase once) or restore "
        "one from its phrase. The phrase and password are read from files, from stdin (one per "
        "line: phrase, password[, BIP39 passphrase]) or from the terminal; never from arguments.",
    )
    init.add_argument("--restore", action="store_true", help="restore from a recovery phrase")
    init.add_argument("--mnemonic-file", type=Path, help="file holding the recovery phrase")
    init.add_argument("--password-file", type=Path, help="file holding the keystore password")
    init.add_argument(
        "--passphrase-file", type=Path, help="file holding an optional BIP39 passphrase"
    )
    init.add_argument(
        "--with-passphrase",
        action="store_true",
        help="also read a BIP39 passphrase (stdin's next line, or a prompt)",
    )
    init.add_argument("--words", type=int, default=24, choices=(12, 15, 18, 21, 24))
    init.add_argument(
        "--language",
        default="english",
        choices=("english", "chinese_simplified", "chinese_traditional"),
        help="word list of a new phrase",
    )
    init.add_argument(
        "--device",
        metavar="ID",
        help="add a hardware wallet (an id from `termwallet devices`, or a unique prefix such as "
        "'trezor'): its account keys are read from the device; its phrase never leaves it",
    )
    init.add_argument("--name", help="a name for the hardware wallet (default: model and id)")
    init.add_argument(
        "--show-on-device",
        action="store_true",
        help="with --device: show each account's first address on the device to compare",
    )
    init.add_argument("--json", action="store_true", help="print the result as JSON")
    for name in ("--mnemonic", "--password", "--passphrase"):
        init.add_argument(name, action=_RefuseSecret, nargs="?", help=argparse.SUPPRESS)
    init.set_defaults(handler=run_init)

    accounts = sub.add_parser("accounts", help="list the wallet's accounts")
    accounts.add_argument("--json", action="store_true")
    accounts.set_defaults(handler=run_accounts)

    address = sub.add_parser("address", help="print a receiving address (no password needed)")
    add_address_arguments(address)
    address.add_argument(
        "--device",
        metavar="ID",
        help="ask this hardware wallet (an id from `termwallet devices`, or a unique prefix "
        "such as 'trezor') instead of the wallet's stored keys",
    )
    address.add_argument(
        "--show-on-device",
        action="store_true",
        help="show the address on the device's screen to verify it there (needs --device)",
    )
    address.add_argument("--json", action="store_true")
    address.set_defaults(handler=run_address)


class _Secrets:
    """Reads secret lines in order from files, stdin or the terminal."""

    def __init__(self, stdin: TextIO) -> None:
        self._stdin = stdin
        self._interactive = stdin.isatty()

    def read(self, path: Path | None, prompt: str, *, confirm: bool = False) -> str:
        from tui.cli_errors import CliError
        from tui.i18n import t

        if path is not None:
            from tui.user_files import SECRET_LIMIT, read_user_text

            text = read_user_text(path, limit=SECRET_LIMIT)
            return text.rstrip("\r\n")
        if self._interactive:
            import getpass

            value = getpass.getpass(prompt)
            if confirm and getpass.getpass("Repeat: ") != value:
                raise CliError(t("cli.entries_differ"))
            return value
        line = self._stdin.readline()
        if not line:
            raise CliError(f"stdin ended before the {prompt.strip(': ').lower()} was given")
        return line.rstrip("\r\n")


def _store() -> Any:
    from wallet.paths import Paths
    from wallet.store import Store

    paths = Paths.default().ensure()
    return Store(paths.database)


def _current(store: Any) -> Any:
    """The wallet that opens (wallet/wallets.py), or None."""
    from wallet.keystore import Keystore
    from wallet.wallets import WalletBook

    return WalletBook(store).current(software_exists=Keystore().exists())


def _book(store: Any) -> Any:
    """The accounts of the wallet that opens, with the watch-only ones."""
    from wallet.accounts import AccountBook

    current = _current(store)
    return AccountBook(store, None if current is None else current.id)


def run_init(args: argparse.Namespace) -> int:
    from tui.cli_errors import CliError, typed_error
    from tui.i18n import t
    from wallet.accounts import AccountBook, AccountError
    from wallet.keys import MnemonicError, MnemonicLanguage, generate_mnemonic, validate_mnemonic
    from wallet.keystore import Keystore, KeystoreError

    if args.device:
        return _init_device(args)
    if args.show_on_device or args.name:
        raise CliError(t("cli.device_only_options"))
    keystore = Keystore()
    reader = _Secrets(sys.stdin)
    if keystore.exists():
        if not args.restore and not args.mnemonic_file and _needs_rebuild():
            return _rebuild_accounts(args, keystore, reader)
        raise CliError(t("cli.wallet_exists", path=keystore.path))
    if args.restore:
        mnemonic = reader.read(args.mnemonic_file, "Recovery phrase: ")
        try:
            validate_mnemonic(mnemonic)
        except MnemonicError as exc:
            raise typed_error(exc) from None
    else:
        if args.mnemonic_file:
            raise CliError(t("cli.mnemonic_file_restore"))
        mnemonic = generate_mnemonic(args.words, MnemonicLanguage(args.language))
    password = reader.read(args.password_file, "New keystore password: ", confirm=True)
    passphrase = ""
    if args.passphrase_file or args.with_passphrase:
        passphrase = reader.read(args.passphrase_file, "BIP39 passphrase: ", confirm=True)
    try:
        unlocked = keystore.create(mnemonic, password, passphrase)
    except (KeystoreError, MnemonicError) as exc:
        raise typed_error(exc) from None
    signer = unlocked.signer()
    store = _store()
    try:
        book = AccountBook(store)
        accounts = book.add_default_accounts(signer, book.software_wallet())
    except AccountError as exc:
        raise CliError(t("cli.accounts_not_written", reason=sentence(exc))) from None
    finally:
        signer.close()
        unlocked.lock()
        store.close()
    result = {
        "keystore": str(keystore.path),
        "restored": bool(args.restore),
        "accounts": [a.to_json() for a in accounts],
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(
            f"Wallet {'restored' if args.restore else 'created'}: {keystore.path}", file=sys.stderr
        )
        for a in accounts:
            print(f"{a.family:12} {a.script.value:7} {a.address}")
    if not args.restore:
        # The only time the new phrase is shown: on the terminal, never in a file we write.
        print(
            "\nWrite down this recovery phrase and keep it offline. It is shown only now:",
            file=sys.stderr,
        )
        print(mnemonic, file=sys.stderr)
    return 0


def _needs_rebuild() -> bool:
    """A keystore but no software accounts in the store: the database was deleted or replaced
    (it holds no secret and can be rebuilt from the keystore)."""
    store = _store()
    try:
        return not any(not a.watch_only for a in _book(store).list())
    finally:
        store.close()


def _rebuild_accounts(args: argparse.Namespace, keystore: Any, reader: _Secrets) -> int:
    """`termwallet init` over an existing keystore whose accounts are gone: unlock it (through
    the lockout) and write its default accounts again. The keystore is only read."""
    from tui.cli_errors import CliError, typed_error
    from tui.i18n import t
    from wallet.accounts import AccountBook, AccountError
    from wallet.keystore import KeystoreError
    from wallet.lockout import Lockout, guarded_unlock

    password = reader.read(args.password_file, "Keystore password: ")
    store = _store()
    try:
        unlocked = guarded_unlock(keystore, Lockout(store), password)
    except KeystoreError as exc:
        store.close()
        raise typed_error(exc) from None
    signer = unlocked.signer()
    try:
        book = AccountBook(store)
        accounts = book.add_default_accounts(signer, book.software_wallet())
    except AccountError as exc:
        raise CliError(t("cli.accounts_not_rebuilt", reason=sentence(exc))) from None
    finally:
        signer.close()
        unlocked.lock()
        store.close()
    if args.json:
        print(json.dumps({"keystore": str(keystore.path), "rebuilt": True,
                          "accounts": [a.to_json() for a in accounts]}, indent=2))  # fmt: skip
    else:
        print(f"Accounts rebuilt from the existing keystore {keystore.path}", file=sys.stderr)
        for a in accounts:
            print(f"{a.family:12} {a.script.value:7} {a.address}")
    return 0


def _init_device(args: argparse.Namespace) -> int:
    """A device wallet: the account keys the device gives (xpubs), its master fingerprint and
    model; nothing secret is read or asked here (PIN and passphrase go to the device)."""
    from devices.errors import DeviceError
    from devices.thread import device_thread
    from tui.cli_errors import CliError, typed_error
    from tui.commands.devices import device_failure, open_device
    from tui.i18n import t
    from tui.text import plain
    from wallet.device_wallet import read_device_keys, show_first_addresses, store_device_wallet
    from wallet.wallets import WalletError

    if args.restore or args.mnemonic_file or args.password_file or args.with_passphrase:
        raise CliError(t("cli.device_no_secrets"))
    signer = open_device(args.device)
    model = str(signer.info.model)
    try:
        keys = device_thread().run(read_device_keys, signer.wrapped)
        for (chain, script), why in keys.skipped.items():
            print(f"not added: {chain} {script.value}: {plain(why)}", file=sys.stderr)
        if args.show_on_device:

            def shown(chain: str, script: Any, address: str) -> None:
                print(f"Check on the {model}: {chain} {script.value} {address}", file=sys.stderr)

            device_thread().run(show_first_addresses, signer.wrapped, keys, shown)
    except DeviceError as exc:
        raise CliError(device_failure(exc, model)) from None
    finally:
        signer.close()
    store = _store()
    try:
        wallet, accounts = store_device_wallet(store, keys, args.name)
    except WalletError as exc:
        raise typed_error(exc) from None
    finally:
        store.close()
    if args.json:
        out = {"wallet": wallet.to_json(), "accounts": [a.to_json() for a in accounts]}
        print(json.dumps(out, indent=2))
        return 0
    print(f"Hardware wallet added and opens now: {plain(wallet.name)}", file=sys.stderr)
    for a in accounts:
        print(f"{a.family:12} {a.script.value:7} {a.address}")
    return 0


def run_accounts(args: argparse.Namespace) -> int:
    store = _store()
    try:
        accounts = _book(store).list()
    finally:
        store.close()
    if args.json:
        print(json.dumps([a.to_json() for a in accounts], indent=2))
        return 0
    if not accounts:
        from wallet.keystore import Keystore

        if Keystore().exists():
            print(
                "No accounts in the database, but a keystore exists: `termwallet init` "
                "rebuilds the accounts from it (it asks for its password).",
                file=sys.stderr,
            )
        else:
            print("No accounts yet: run `termwallet init` (or --restore).", file=sys.stderr)
        return 0
    for a in accounts:
        kind = "watch-only" if a.watch_only else (a.path or "")
        label = f"  {a.label}" if a.label else ""
        print(f"{a.id:3} {a.family:12} {a.script.value:7} {a.address}  {kind}{label}")
    return 0


def run_address(args: argparse.Namespace) -> int:
    from tui.cli_errors import CliError, typed_error
    from tui.i18n import t
    from wallet.accounts import AccountError
    from wallet.keys import ScriptKind, chain_spec

    spec = chain_spec(args.chain)
    script = ScriptKind.ETH if spec.family == "eth" else ScriptKind(args.script)
    if args.account < 0 or args.index < 0:
        raise CliError(t("cli.account_index_negative"))
    stored: str | None = None
    store = _store()
    try:
        current = _current(store)
        on_wallet_device = current is not None and current.is_device and not args.device
        if args.show_on_device and not args.device and not on_wallet_device:
            raise CliError(t("cli.show_needs_device"))
        stored = _book(store).address(
            args.chain, script, args.account, args.index, change=args.change
        )
    except AccountError as exc:
        if not args.device:
            raise typed_error(exc) from None
    finally:
        store.close()
    address = stored
    if args.device:
        address = _device_address(args, script, stored)
    elif args.show_on_device and stored is not None:
        address = _wallet_device_address(args, script, stored)
    if args.json:
        print(
            json.dumps(
                {
                    "chain": args.chain,
                    "type": script.value,
                    "account": args.account,
                    "index": args.index,
                    "change": args.change,
                    "address": address,
                    "device": args.device,
                    "shown_on_device": bool(args.show_on_device),
                }
            )
        )
    else:
        print(address)
    return 0


def _wallet_device_address(args: argparse.Namespace, script: Any, stored: str) -> str:
    """Show a device wallet's address on its own device (found by its keys, waited for)."""
    from devices.errors import DeviceError
    from tui.cli_errors import CliError
    from tui.commands.devices import cli_wallet_signer, device_failure
    from wallet.keys import address_path
    from wallet.paths import Paths
    from wallet.user import UserWallet

    path = address_path(args.chain, script, args.account, args.index, change=args.change)
    user = UserWallet.open(Paths.default())
    try:
        wallet = user.current()
        assert wallet is not None and wallet.is_device
        signer = cli_wallet_signer(user.device_signer(wallet))
        model = str(signer.info.model)
        try:
            shown = str(signer.get_address(args.chain, path, display=True))
        except DeviceError as exc:
            raise CliError(device_failure(exc, model)) from None
        finally:
            signer.close()
    finally:
        user.store.close()
    if shown != stored:
        raise CliError(
            f"the {model} shows {shown} for {path}, but this wallet has {stored}: "
            "do not use either address until you know why."
        )
    print(f"Shown on the {model}: {shown} ({path})", file=sys.stderr)
    return shown


def _device_address(args: argparse.Namespace, script: Any, stored: str | None) -> str:
    """The address from the hardware wallet `--device` (shown on its screen with
    --show-on-device). When this wallet holds the same account, both must agree: a different
    address means another seed or passphrase, and is refused rather than printed."""
    from devices.errors import DeviceError
    from tui.cli_errors import CliError, typed_error
    from tui.commands.devices import device_failure, open_device
    from wallet.keys import address_path

    try:
        path = address_path(args.chain, script, args.account, args.index, change=args.change)
    except ValueError as exc:
        raise typed_error(exc) from None
    signer = open_device(args.device)
    model = str(signer.info.model)
    try:
        address = str(signer.get_address(args.chain, path, display=args.show_on_device))
    except DeviceError as exc:
        raise CliError(device_failure(exc, model)) from None
    finally:
        signer.close()
    if stored is not None and stored != address:
        raise CliError(
            f"the {model} gives {address} for {path}, but this wallet has {stored}: the device "
            "holds another seed or passphrase. Do not use either address until you know why."
        )
    if args.show_on_device:
        print(f"Shown on the {model}: {address} ({path})", file=sys.stderr)
    return address
