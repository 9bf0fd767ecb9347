"""`termwallet` entry point: the full-screen app by default, subcommands for scripts.

Kept light: argparse and the modules a subcommand needs, nothing else, so the app's first
frame does not wait for libraries it will not use yet.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

from tui import commands


class CliError(Exception):
    """A message for the user, printed without a traceback; exit status 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="termwallet",
        description="A terminal wallet for Bitcoin, Litecoin, Ethereum and ERC-20 tokens.",
    )
    parser.add_argument("--lang", choices=["en", "zh-CN"], help="interface language")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for mod in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        importlib.import_module(f"{commands.__name__}.{mod.name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.version:
        from importlib.metadata import version

        print(f"termwallet {version('termwallet')}")
        return 0
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
    except KeyboardInterrupt:
        return 130
    finally:
        sys.stdout, sys.stderr = out, err
