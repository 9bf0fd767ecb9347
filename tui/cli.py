"""`termwallet` entry point: the full-screen app by default, subcommands for scripts.

Kept light: argparse and the modules a subcommand needs, nothing else, so the app's first
frame does not wait for libraries it will not use yet.
"""

from __future__ import annotations

import argparse
import contextvars
import importlib
import pkgutil
import re
import sys
from collections.abc import Sequence
from typing import NoReturn

from tui import commands


class CliError(Exception):
    """A message for the user, printed without a traceback; exit status 2."""


# Each subcommand and the module of tui/commands that registers it. Only the module of the
# command given is imported: importing and building all of them took ~50 ms (several import
# asyncio), paid by every one-shot command and by the app's first frame. `--help` and an
# unknown command still load all, so argparse lists them. tests/tui/test_cli.py checks this
# table against what the modules register.
COMMANDS = {
    "accounts": "keys",
    "address": "keys",
    "balance": "evm",
    "demo": "app",
    "devices": "devices",
    "history": "history",
    "init": "keys",
    "screenshots": "screenshots",
    "send": "evm",
    "swap": "swap",
    "ticket": "support",
    "totp": "security",
    "wallets": "wallets",
    "watch": "security",
}
_TAKES_VALUE = ("--lang",)  # top-level options followed by their value


def _command_modules(argv: Sequence[str]) -> list[str]:
    """The command modules argparse needs to parse `argv`."""
    words = iter(argv)
    for word in words:
        if word in _TAKES_VALUE:
            next(words, None)
        elif word in ("-h", "--help"):
            break
        elif not word.startswith("-"):
            if word in COMMANDS:
                return [COMMANDS[word]]
            break
    else:
        return []  # no command: the app, or --version
    return sorted(m.name for m in pkgutil.iter_modules(commands.__path__))


# Options whose value is a secret when someone types them, whether or not we define them.
_SECRET_OPTION = re.compile(
    r"-{1,2}(?:pass\w*|pw|pwd|pin|mnemonic|seed\w*|phrase|words?|secret|(?:private[-_]?)?key"
    r"|privkey|xprv|wif|code|totp|otp|token)",
    re.IGNORECASE,
)
_argv: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar("argv", default=())


def _secret_tokens(argv: Sequence[str]) -> set[str]:
    """The arguments an error message must not repeat: values of secret-named options, words of
    a recovery phrase given as arguments (three or more wordlist words), anything the support
    scrubber would refuse. argparse quotes unknown arguments back, into terminals, logs and CI
    output; the values are already in the shell history, but need not be in more places."""
    hidden: set[str] = set()
    for i, arg in enumerate(argv):
        name, eq, value = arg.partition("=")
        if _SECRET_OPTION.fullmatch(name):
            if eq:
                hidden.add(arg)
                hidden.add(value)
            elif i + 1 < len(argv):
                hidden.add(argv[i + 1])
    plain = [a for a in argv if not a.startswith("-")]
    if plain:
        # Only on this error path: the word lists take a moment to load.
        from wallet.support.scrubber import is_wordlist_word, scan

        words = [a for a in plain if is_wordlist_word(a)]
        if len(words) >= 3:
            hidden.update(words)
        hidden.update(a for a in argv if scan(a))
        joined = " ".join(argv)
        for f in scan(joined):
            hidden.update(a for a in argv if a and a in joined[f.start : f.end])
    return {h for h in hidden if h}


class SafeArgumentParser(argparse.ArgumentParser):
    """argparse, except that its error messages never repeat an argument that looks secret."""

    def error(self, message: str) -> NoReturn:
        argv = _argv.get() or tuple(sys.argv[1:])
        for token in sorted(_secret_tokens(argv), key=len, reverse=True):
            message = re.sub(rf"(?<![^\s'\"]){re.escape(token)}(?![^\s'\",])", "[hidden]", message)
        super().error(message)


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser for `argv` (default: the command line); see COMMANDS."""
    parser = SafeArgumentParser(
        prog="termwallet",
        description="A terminal wallet for Bitcoin, Litecoin, Ethereum and ERC-20 tokens.",
    )
    parser.add_argument("--lang", choices=["en", "zh-CN"], help="interface language")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _command_modules(sys.argv[1:] if argv is None else argv):
        importlib.import_module(f"{commands.__name__}.{name}").register(sub)
    return parser


def _warn_misplaced_config() -> None:
    """One line on stderr for each config file termwallet never reads (wallet/paths.py)."""
    from tui.i18n import t
    from wallet.paths import Paths

    paths = Paths.default()
    for found in paths.misplaced_config_files():
        print(
            "termwallet: " + t("config.misplaced", found=found, expected=paths.config_file),
            file=sys.stderr,
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser(argv)
    token = _argv.set(tuple(sys.argv[1:] if argv is None else argv))
    try:
        args = parser.parse_args(argv)
    finally:
        _argv.reset(token)
    if args.version:
        from importlib.metadata import version

        print(f"termwallet {version('termwallet')}")
        return 0
    if args.command not in (None, "demo", "screenshots"):  # the app says it in a notification
        _warn_misplaced_config()
    handler = getattr(args, "handler", None)
    if handler is None:
        from tui.commands.app import run_wallet

        handler = run_wallet
    # The full-screen app writes escape sequences itself; every other command's output is
    # text in which outside strings must not become terminal commands.
    app = getattr(handler, "__module__", "") == "tui.commands.app"
    out, err = sys.stdout, sys.stderr
    if not app:
        from tui.text import PlainStream

        sys.stdout, sys.stderr = PlainStream(out), PlainStream(err)  # type: ignore[assignment]
    try:
        return int(handler(args) or 0)
    except CliError as exc:
        print(f"termwallet: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        # Damaged local files: the store and keystore say what is wrong in their messages
        # (paths and reasons, never secrets); anything else is a bug and keeps its traceback.
        import sqlite3

        from wallet.keystore import KeystoreError
        from wallet.store import StoreError

        if isinstance(exc, StoreError | KeystoreError):
            print(f"termwallet: {_printable(str(exc))}", file=sys.stderr)
            return 2
        if isinstance(exc, sqlite3.DatabaseError):
            print(
                "termwallet: the wallet database is damaged (" + type(exc).__name__ + "); "
                "restore it from a backup. The keystore was not touched.",
                file=sys.stderr,
            )
            return 2
        raise
    except KeyboardInterrupt:
        return 130
    finally:
        sys.stdout, sys.stderr = out, err


def _printable(text: str) -> str:
    """Paths in messages are outside text: control characters are escaped, not sent raw."""
    return "".join(c if c.isprintable() or c == "\n" else repr(c)[1:-1] for c in text)
