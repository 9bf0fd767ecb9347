"""What `termwallet send`, `balance` and `swap` share to act on the wallet: opening it (the
session, the user's files), naming the sending account and the asset, and the signer - the
keystore's (unlocked through the same lockout as the app) or a device, checked to hold the
account's keys before anything is signed. Split from tui/commands/evm.py (issue 21)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tui.errors import sentence


def open_wallet(network_id: str | None, utxo_networks: list[str] | None = None) -> dict[str, Any]:
    from tui.cli_errors import CliError
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
        raise CliError(sentence(exc)) from None
    except ValueError as exc:
        raise CliError(sentence(exc)) from None
    return {"session": session, "paths": paths, "user": user}


def account_address(session: Any, account: int) -> str:
    """The Ethereum address of `account` in the open wallet (see wallet/wallets.py)."""
    from tui.cli_errors import CliError
    from wallet.accounts import AccountBook, AccountError
    from wallet.keys import ScriptKind

    wallet_id = None if session.wallet is None else session.wallet.id
    try:
        return str(AccountBook(session.store, wallet_id).address("eth", ScriptKind.ETH, account))
    except AccountError as exc:
        raise CliError(sentence(exc)) from None


def wallet_signer(wallet: dict[str, Any], args: argparse.Namespace) -> Any:
    """The open wallet's signer: its hardware wallet (found by its keys, waited for when
    unplugged) or the keystore, unlocked through the lockout."""
    session = wallet["session"]
    if session.device is not None:
        from tui.commands.devices import cli_wallet_signer

        device_totp(wallet["user"], args.password_file, args.totp_file)
        return cli_wallet_signer(session.device)
    return unlock_keystore(wallet["user"], args.password_file, args.totp_file)


def watched_on_device(device_id: str, network_id: str, path: str, session: Any) -> Any:
    """--device for a watch-only Ethereum account: the device's address at `path` must be one
    the wallet watches; the signer and that address."""
    from devices.errors import DeviceError
    from tui.cli_errors import CliError
    from tui.commands.devices import device_failure, open_device
    from tui.i18n import t

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
    raise CliError(t("cli.device_not_watched", device=signer.info.model, held=held, path=path))


async def asset_for(session: Any, wanted: str | None) -> tuple[Any, Any]:
    """The asset to send, and the token to store once the user confirms when it is neither
    listed nor stored yet (its first use: what the contract says now becomes the truth)."""
    from tui.cli_errors import CliError
    from tui.i18n import t

    if wanted is None:
        return session.assets[0], None
    for a in session.assets:
        if a.symbol.lower() == wanted.lower() or (
            a.contract is not None and a.contract.lower() == wanted.lower()
        ):
            return a, None
    if not wanted.lower().startswith("0x"):
        known = ", ".join(a.symbol for a in session.assets)
        raise CliError(t("cli.no_asset", wanted=wanted, network=session.network.name, known=known))
    from wallet.tokens import UserTokens

    tokens = UserTokens(session.store)
    candidate = await tokens.inspect(session.backend, wanted)
    first_use = None
    if not candidate.listed:
        print(
            t("cli.token_unlisted", symbol=candidate.asset.symbol,
              contract=candidate.asset.contract),
            file=sys.stderr,
        )  # fmt: skip
        if tokens.stored(session.network.id, wanted) is None:
            first_use = candidate
            print(t("cli.token_first_use", decimals=candidate.asset.decimals), file=sys.stderr)
    if candidate.impersonates is not None:
        print(
            t("cli.token_impersonates", symbol=candidate.impersonates.symbol,
              contract=candidate.impersonates.contract),
            file=sys.stderr,
        )  # fmt: skip
    return candidate.asset, first_use


def device_signer(device_id: str, network_id: str, path: str, sender: str) -> Any:
    """The hardware signer for --device, after checking it holds the sending account: a device
    with another seed or passphrase would sign for an address the review did not show."""
    from devices.errors import DeviceError
    from tui.cli_errors import CliError
    from tui.commands.devices import device_failure, open_device
    from tui.i18n import t

    signer = open_device(device_id)
    try:
        held = signer.get_address(network_id, path)
    except DeviceError as exc:
        signer.close()
        raise CliError(device_failure(exc, signer.info.model)) from None
    if held.lower() != sender.lower():
        signer.close()
        raise CliError(
            t("cli.device_other_seed", device=signer.info.model, sender=sender, path=path,
              held=held)
        )  # fmt: skip
    return signer


def device_totp(user: Any, password_file: Path | None, totp_file: Path | None) -> None:
    """Two-factor for sending covers hardware-signed sends too: its secret is in the keystore,
    so the keystore is unlocked just to check the code, then locked again."""
    from wallet.totp import totp_status

    if totp_status(user.store).for_sending:
        unlock_keystore(user, password_file, totp_file).close()


def unlock_keystore(user: Any, password_file: Path | None, totp_file: Path | None = None) -> Any:
    """The signer, unlocked through the same lockout as the app: wrong passwords from a script
    wait out the same growing delay. When two-factor authentication is on for sending, the
    code is checked here (tui/commands/security.py), before any signer exists."""
    from tui.cli_errors import CliError
    from tui.commands.security import authorize_cli_send, warn_fixed_mode
    from tui.i18n import t
    from wallet.keystore import KeystoreError
    from wallet.lockout import guarded_unlock

    keystore = user.keystore
    if not keystore.exists():
        raise CliError(t("cli.watch_only_no_keys"))
    if password_file is not None:
        from tui.user_files import SECRET_LIMIT, read_user_text

        password = read_user_text(password_file, limit=SECRET_LIMIT).rstrip("\r\n")
    elif sys.stdin.isatty():
        import getpass

        password = getpass.getpass(t("cli.password_prompt"))
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        unlocked = guarded_unlock(keystore, user.lockout, password)
    except KeystoreError as exc:
        raise CliError(sentence(exc)) from None
    warn_fixed_mode(unlocked)
    try:
        authorize_cli_send(user.store, unlocked, totp_file)
        return unlocked.signer()
    finally:
        unlocked.lock()


def user_confirms(
    yes: bool, question: str | None = None, *, verb: str = "send", done: str = "sent"
) -> bool:
    """After the printed review: --yes, or "y" typed at the terminal. Without a terminal and
    without --yes nothing happens: a script has to say --yes itself."""
    from tui.cli_errors import CliError
    from tui.i18n import catalog, t

    if yes:
        return True
    if not sys.stdin.isatty():
        key = f"cli.needs_yes_{verb}"  # per verb: other languages word each differently
        if key in catalog("en"):
            raise CliError(t(key), "NEEDS_YES")
        raise CliError(t("cli.needs_yes_other"), "NEEDS_YES")
    ask = question if question is not None else t("cli.confirm_send")
    if input(f"{ask} {t('cli.yes_no')} ").strip().lower() not in ("y", "yes"):
        key = f"cli.not_{done}"  # per verb, as above
        print(t(key) if key in catalog("en") else t("cli.not_done"), file=sys.stderr)
        return False
    return True


def show_review(args: Any, doc: dict[str, Any], print_text: Callable[[Any], None]) -> None:
    """The review before confirming. With --json, stdout holds exactly one document: the
    review alone on a dry run, else the review and the result together at the end
    (`print_outcome`); someone answering the prompt reads the review as text on stderr."""
    import json

    if not args.json:
        print_text(sys.stdout)
    elif args.dry_run:
        print(json.dumps(doc, indent=2))
    elif not args.yes:
        print_text(sys.stderr)


def print_outcome(args: Any, review: dict[str, Any], result: dict[str, Any], text: str) -> None:
    """The end of a send or swap: `text`, or with --json the one document of review and
    result."""
    import json

    if args.json:
        print(json.dumps({"review": review, "result": result}, indent=2))
    else:
        print(text)
