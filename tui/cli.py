"""`termwallet` entry point: the full-screen app by default, subcommands for scripts.

Kept light: argparse and the modules a subcommand needs, nothing else, so the app's first
frame does not wait for libraries it will not use yet.
"""

from __future__ import annotations

import argparse
import contextvars
import importlib
import os
import pkgutil
import re
import sys
from collections.abc import Iterator, Sequence
from typing import NoReturn

from tui import commands
from tui.cli_errors import CliError, typed_error

__all__ = ["CliError", "build_parser", "main", "typed_error"]


# Each subcommand and the module of tui/commands that registers it. Only the module of the
# command given is imported: importing and building all of them took ~50 ms (several import
# asyncio), paid by every one-shot command and by the app's first frame. `--help` and an
# unknown command still load all, so argparse lists them. tests/tui/test_cli.py checks this
# table against what the modules register.
COMMANDS = {
    "accounts": "keys",
    "address": "keys",
    "agent": "agent",
    "balance": "evm",
    "bump": "bump",
    "cpfp": "bump",
    "coins": "coins",
    "demo": "app",
    "devices": "devices",
    "history": "history",
    "init": "keys",
    "labels": "labels",
    "message": "message",
    "psbt": "psbt",
    "screenshots": "screenshots",
    "send": "evm",
    "servers": "servers",
    "ssh": "agent",
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
# True while a command given --json runs: its errors are a JSON object on stdout.
_json_errors: contextvars.ContextVar[bool] = contextvars.ContextVar("json_errors", default=False)
EXIT_BROKEN_PIPE = 128 + 13  # what a shell reports for a program ended by SIGPIPE


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
        from tui.i18n import set_language

        set_language(_language_of(argv))
        message = _usage_error_text(message)
        if "--json" in argv:
            _print_json_error("USAGE", f"{self.prog}: {message}")
            sys.exit(2)
        from tui.i18n import t

        self.print_usage(sys.stderr)
        self.exit(2, t("cli.argparse.error", prog=self.prog, message=message) + "\n")


def _language_of(argv: Sequence[str]) -> str:
    """The language asked for by `--lang`, else the environment or config file's: argparse's
    errors come before the command has set it."""
    from wallet.paths import Paths
    from wallet.startup import first_frame_language

    lang = None
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            lang = argv[i + 1]
        elif arg.startswith("--lang="):
            lang = arg.partition("=")[2]
    return first_frame_language(Paths.default().config_file, lang)


# argparse's own error sentences (Python 3.11-3.13), each with its catalog key: argparse has
# no translations of its own, and a script in zh-CN should read its errors in zh-CN too.
_ARGPARSE_ERRORS = (
    (re.compile(r"argument (?P<arg>.+?): invalid (?P<type>\w+) value: (?P<value>.+)"), "invalid"),
    (
        re.compile(
            r"argument (?P<arg>.+?): invalid choice: (?P<value>.+?) \(choose from (?P<choices>.+)\)"
        ),
        "choice",
    ),
    (re.compile(r"argument (?P<arg>.+?): expected one argument"), "expected_one"),
    (re.compile(r"argument (?P<arg>.+?): not allowed with argument (?P<other>.+)"), "not_with"),
    (re.compile(r"the following arguments are required: (?P<args>.+)"), "required"),
    (re.compile(r"unrecognized arguments: (?P<args>.+)"), "unrecognized"),
    (re.compile(r"one of the arguments (?P<args>.+) is required"), "one_required"),
)


def _usage_error_text(message: str) -> str:
    from tui.i18n import language, t

    if language() == "en":
        return message
    for pattern, key in _ARGPARSE_ERRORS:
        m = pattern.fullmatch(message)
        if m:
            return t(f"cli.argparse.{key}", **m.groupdict())
    return message


def _print_json_error(code: str, message: str) -> None:
    """The error object a `--json` command prints on stdout instead of its document."""
    import json

    sys.stdout.write(json.dumps({"error": {"code": code, "message": message}}) + "\n")
    sys.stdout.flush()


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser for `argv` (default: the command line); see COMMANDS."""
    parser = SafeArgumentParser(
        prog="termwallet",
        description="A terminal wallet for Bitcoin, Litecoin, Ethereum and ERC-20 tokens.",
    )
    _add_global_options(parser, top=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _command_modules(sys.argv[1:] if argv is None else argv):
        importlib.import_module(f"{commands.__name__}.{name}").register(sub)
    # Global options also after the command (`termwallet demo --lang zh-CN`): argparse knows
    # an option only in the parser that declares it, so each (sub)command's parser gets them.
    for subparser in _subparsers(parser):
        _add_global_options(subparser, top=False)
    return parser


def _add_global_options(parser: argparse.ArgumentParser, *, top: bool) -> None:
    # SUPPRESS below the top: an option not given after the command sets nothing there, so
    # argparse keeps what was given before it (a subparser's defaults would overwrite it).
    parser.add_argument(
        "--lang",
        choices=["en", "zh-CN"],
        default=None if top else argparse.SUPPRESS,
        help="interface language",
    )
    parser.add_argument(
        "--version",
        action="store_true",
        default=False if top else argparse.SUPPRESS,
        help="print the version and exit",
    )


def _subparsers(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    """Every parser below `parser` (subcommands and their actions), each once (aliases)."""
    seen: set[int] = set()
    for action in parser._actions:  # argparse has no public way to walk its subparsers
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                if id(child) not in seen:
                    seen.add(id(child))
                    yield child
                    yield from _subparsers(child)


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
    """Every failure ends as one `termwallet:` line on stderr and a non-zero status, never a
    traceback: a traceback shows internals to the user, and its text could hold anything."""
    from tui.i18n import language, set_language

    out, err = sys.stdout, sys.stderr
    # --lang holds for this call only: a caller running several in one process (tests, a
    # script importing main) gets its own language back.
    previous_language = language()
    token = _json_errors.set(False)
    try:
        return _main(argv)
    except CliError as exc:
        return _fail(exc.code, str(exc), 2)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`termwallet history --csv | head -3`): nothing is wrong and
        # nobody is left to tell; end quietly as `cat` or `seq` would.
        _stdout_gone()
        return EXIT_BROKEN_PIPE
    except Exception as exc:
        # Damaged local files: the store and keystore say what is wrong in their messages
        # (paths and reasons, never secrets).
        import sqlite3

        from tui.errors import error_code, sentence
        from wallet.keystore import KeystoreError
        from wallet.store import StoreError

        if isinstance(exc, StoreError | KeystoreError):
            return _fail(error_code(exc) or "STORE", _printable(sentence(exc)), 2)
        if isinstance(exc, sqlite3.DatabaseError):
            from tui.i18n import t

            return _fail("DATABASE_DAMAGED", t("cli.database_damaged", kind=type(exc).__name__), 2)
        code = error_code(exc) or ("OS_ERROR" if isinstance(exc, OSError) else "UNEXPECTED")
        return _fail(code, _one_line(_explain(exc)), 1)
    finally:
        _json_errors.reset(token)
        sys.stdout, sys.stderr = out, err
        if language() != previous_language:
            set_language(previous_language)


def _fail(code: str, message: str, status: int) -> int:
    """One `termwallet:` line on stderr, or for a `--json` command the error object on stdout."""
    if _json_errors.get():
        _print_json_error(code, message)
    else:
        print(f"termwallet: {message}", file=sys.stderr)
    return status


def _stdout_gone() -> None:
    """Point stdout at /dev/null: the interpreter's final flush would fail on the closed pipe
    and print 'Exception ignored ... BrokenPipeError' after all."""
    import os

    try:
        fd = sys.__stdout__.fileno() if sys.__stdout__ is not None else 1
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, fd)
        os.close(devnull)
    except (OSError, ValueError):
        pass


def _printable(text: str) -> str:
    """Paths in messages are outside text: control characters are escaped, not sent raw."""
    return "".join(c if c.isprintable() or c == "\n" else repr(c)[1:-1] for c in text)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _explain(exc: Exception) -> str:
    """A typed error's sentence (tui/errors.py); an OSError's path and reason (the user's own
    path, their system's words); anything else only its class and where the log keeps it."""
    from tui.errors import error_code, user_message
    from tui.i18n import t

    if error_code(exc) is not None:
        return user_message(exc)
    if isinstance(exc, OSError) and exc.strerror:
        if exc.filename is None:
            return t("cli.os_error_plain", reason=exc.strerror)
        return t("cli.os_error", path=exc.filename, reason=exc.strerror)
    log = _log_unexpected(exc)
    if log is None:
        return t("cli.unexpected_no_log", kind=type(exc).__name__)
    return t("cli.unexpected", kind=type(exc).__name__, log=log)


def _log_unexpected(exc: Exception) -> str | None:
    """The traceback into the log file (redacted there, wallet/logs.py); the file's path, or
    None when there is no log to write."""
    import logging

    from wallet.logs import setup_logging
    from wallet.paths import Paths

    try:
        path = setup_logging(Paths.default().log_dir)
        logging.getLogger("termwallet.cli").error(
            "command failed: %s", type(exc).__name__, exc_info=exc
        )
    except Exception:  # no log (a read-only folder, say): the class name alone must do
        return None
    return str(path)


def _main(argv: Sequence[str] | None) -> int:
    if "TERMWALLET_AGENT_UNLINK" in os.environ:  # started by `termwallet ssh` (commands/agent.py)
        from devices.agent_client import unlink_socket_at_exit

        unlink_socket_at_exit()
    parser = build_parser(argv)
    token = _argv.set(tuple(sys.argv[1:] if argv is None else argv))
    try:
        args = parser.parse_args(argv)
    finally:
        _argv.reset(token)
    _json_errors.set(bool(getattr(args, "json", False)))
    if args.lang:  # the language of the messages main() prints, whatever the command
        from tui.i18n import set_language

        set_language(args.lang)
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
    if getattr(handler, "__module__", "") != "tui.commands.app":
        from tui.text import PlainStream

        sys.stdout = PlainStream(sys.stdout)  # type: ignore[assignment]
        sys.stderr = PlainStream(sys.stderr)  # type: ignore[assignment]
    return int(handler(args) or 0)
