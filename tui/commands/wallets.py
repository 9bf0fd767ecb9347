"""`termwallet wallets [list|use REF|rename REF NAME] [--json]`: the wallets side by side (the
software wallet, each hardware wallet, each passphrase wallet on a device) and which one the
app and the other commands open. Hardware wallets are added with `termwallet init --device`."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "wallets",
        help="list the wallets (software, hardware) and choose the one that opens",
        description="List the wallets in this data folder, or choose the one the app and the "
        "commands open (`use`, by number, fingerprint or name). Add a hardware wallet with "
        "`termwallet init --device ID`.",
    )
    p.add_argument(
        "action", nargs="?", choices=("list", "use", "rename", "add-accounts"), default="list"
    )
    p.add_argument("ref", nargs="?", metavar="WALLET", help="number, fingerprint or name")
    p.add_argument("name", nargs="?", metavar="NAME", help="the new name (rename)")
    p.add_argument(
        "--device",
        metavar="ID",
        help="add-accounts: the device to read (e.g. a Ledger now in its Bitcoin app)",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from tui.cli_errors import CliError, typed_error
    from tui.i18n import t
    from wallet.keystore import Keystore
    from wallet.paths import Paths
    from wallet.store import Store
    from wallet.wallets import WalletBook, WalletError

    paths = Paths.default().ensure()
    store = Store(paths.database)
    try:
        book = WalletBook(store)
        if args.action in ("use", "rename", "add-accounts") and not args.ref:
            raise CliError(t("cli.wallets_needs_ref", action=args.action))
        try:
            if args.action == "use":
                chosen = book.set_current(book.find(args.ref).id)
                print(f"opens now: {chosen.name}", file=sys.stderr)
            elif args.action == "add-accounts":
                _add_accounts(store, book.find(args.ref), args.device)
            elif args.action == "rename":
                if not args.name:
                    raise CliError(t("cli.wallets_needs_name"))
                book.rename(book.find(args.ref).id, args.name)
        except WalletError as exc:
            raise typed_error(exc) from None
        current = book.current(software_exists=Keystore(paths.data_dir / "keystore.json").exists())
        rows = [_row(w, current, store) for w in book.list()]
    finally:
        store.close()
    if args.json:
        print(json.dumps(rows, indent=2))
    elif args.action == "list":
        if not rows:
            print("No wallets yet: run `termwallet init` (or `init --device ID`).", file=sys.stderr)
        from tui.text import plain

        for r in rows:
            mark = "*" if r["current"] else " "
            fp = r["fingerprint"] or "-"
            what = r["model"] or r["kind"]
            print(
                f"{mark}{r['id']:3} {plain(r['name']):32} {plain(what):16} {fp:9} {r['accounts']}"
            )
    return 0


def _add_accounts(store: Any, wallet: Any, device_id: str | None) -> None:
    """More accounts of a device wallet, read from its device now (a Ledger in its other app)."""
    from devices.errors import DeviceError
    from devices.thread import device_thread
    from tui.cli_errors import CliError
    from tui.commands.devices import device_failure, open_device
    from tui.i18n import t
    from tui.text import plain
    from wallet.device_wallet import add_device_accounts, read_device_keys

    if not wallet.is_device:
        raise CliError(t("cli.wallets_add_accounts"))
    signer = open_device(device_id or str(wallet.device_kind))
    model = str(signer.info.model)
    try:
        keys = device_thread().run(read_device_keys, signer.wrapped)
        _, added = add_device_accounts(store, wallet, keys)
    except DeviceError as exc:
        raise CliError(device_failure(exc, model)) from None
    finally:
        signer.close()
    for a in added:
        print(f"{a.family:12} {a.script.value:7} {a.address}")
    print(f"{len(added)} accounts in {plain(wallet.name)} from the {model}", file=sys.stderr)


def _row(w: Any, current: Any, store: Any) -> dict[str, Any]:
    count = store.db.execute("SELECT COUNT(*) FROM accounts WHERE wallet_id = ?", (w.id,))
    return w.to_json() | {
        "current": current is not None and current.id == w.id,
        "accounts": int(count.fetchone()[0]),
    }
