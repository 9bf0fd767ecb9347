"""The full-screen app: `termwallet` (your wallet) and `termwallet demo` (offline devnet)."""

from __future__ import annotations

import argparse
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    demo = sub.add_parser(
        "demo", help="open the wallet on an embedded offline devnet with demo funds"
    )
    demo.set_defaults(handler=run_demo)


@contextmanager
def _signals_end_cleanly() -> Iterator[None]:
    """SIGTERM and SIGHUP before the app's loop runs (and after it closes) unwind through the
    `finally` blocks that delete the demo's folder. While the loop runs, the app's own
    handlers take over (TermwalletApp.on_load): there they must not interrupt a frame."""

    def end(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    previous = {s: signal.signal(s, end) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _needs_a_terminal(language: str) -> None:
    """Refuse before anything starts when stdin or stdout is not a terminal (`ssh host
    termwallet` without -t, a pipe, cron): Textual would write escape codes into the pipe and
    wait for keys that never come."""
    import sys

    if sys.stdin.isatty() and sys.stdout.isatty():
        return
    from tui.cli_errors import CliError
    from tui.i18n import set_language, t

    set_language(language)
    raise CliError(t("cli.no_terminal"))


def _after_hangup(code: object) -> None:
    """After SIGHUP the terminal is gone: the interpreter's last flush of stdout would fail
    and turn the exit status into 120. Nothing reads those streams any more."""
    if code == 128 + signal.SIGHUP:
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        for fd in (1, 2):
            os.dup2(devnull, fd)


def _ended(run: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    with _signals_end_cleanly():
        try:
            code = run(args)
        except SystemExit as exc:
            _after_hangup(exc.code)
            raise
        _after_hangup(code)
        return code


def run_wallet(args: argparse.Namespace) -> int:
    return _ended(_run_wallet, args)


def _run_wallet(args: argparse.Namespace) -> int:
    from wallet.paths import Paths
    from wallet.startup import ambiguous_wide, first_frame_language

    paths = Paths.default()
    language = first_frame_language(paths.config_file, args.lang)
    _needs_a_terminal(language)  # before Textual is even imported
    from tui.i18n import set_language

    set_language(language)
    # Before the app: an unwritable data or log folder is one line naming it and the fix,
    # not an app stuck on "Opening the wallet..." after a toast about an OperationalError.
    paths.ensure()

    from tui.app import make_app
    from tui.services import UserServices
    from wallet.logs import setup_logging

    setup_logging(paths.log_dir)
    services = UserServices(paths, language=args.lang)
    wide = ambiguous_wide(paths.config_file)
    app = make_app(services=services, language=language, ambiguous_wide=wide)
    return app.run() or 0


def run_demo(args: argparse.Namespace) -> int:
    return _ended(_run_demo, args)


def _run_demo(args: argparse.Namespace) -> int:
    import shutil

    from wallet.paths import Paths
    from wallet.startup import ambiguous_wide, first_frame_language

    config = Paths.default().config_file
    language = first_frame_language(config, args.lang)
    _needs_a_terminal(language)  # before Textual is imported or the demo's folder made

    from tui.app import make_app
    from tui.services import DemoServices

    # The demo never reads or writes the user's wallet: its network is the devnet it starts.
    from wallet.logs import setup_logging

    services = DemoServices()
    try:
        setup_logging(services.home / "logs")
        services.spawn_devnet()
        wide = ambiguous_wide(config)
        return make_app(services=services, language=language, ambiguous_wide=wide).run() or 0
    finally:
        # The app closes its services on exit; this covers an end before the app ran.
        services.stop_devnet()
        shutil.rmtree(services.home, ignore_errors=True)
