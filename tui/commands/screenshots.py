"""`termwallet screenshots`: regenerate screenshots/*.svg from the demo."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("screenshots", help="render the demo's screens to SVG files")
    p.add_argument("--out", type=Path, default=Path("screenshots"), help="folder (screenshots/)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import asyncio
    import os
    import tempfile
    import time

    from tui.cli_errors import CliError
    from tui.i18n import set_language, t
    from tui.screenshots import capture, demo_services
    from wallet.demo import start_devnet

    set_language(getattr(args, "lang", None) or "en")
    # The pictures are the same wherever they are made (this process renders and exits):
    # times on screen are local, so UTC; the colours follow the terminal's TERM/COLORTERM, so
    # the 256-colour terminal the snapshot tests pin too (tests/tui/test_snapshots.py).
    os.environ["TZ"] = "UTC"
    time.tzset()
    os.environ["TERM"] = "xterm-256color"
    for var in ("COLORTERM", "TERM_PROGRAM"):
        os.environ.pop(var, None)
    # The folder first: a devnet started only to find nowhere to write would be time lost.
    try:
        args.out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CliError(
            t("cli.screenshots_out", path=args.out, reason=exc.strerror or type(exc).__name__),
            "OS_ERROR",
        ) from None
    with tempfile.TemporaryDirectory(prefix="termwallet-shots-") as tmp:
        home = Path(tmp)
        # The demo's folder is the home folder: a file the app writes there (an exported PSBT)
        # shows as ~/..., the same on every run, as in the snapshot tests.
        os.environ["HOME"] = str(home)
        anvil, deployment, address = start_devnet(home)
        try:
            paths = asyncio.run(
                capture(
                    args.out,
                    lambda: demo_services(deployment, address, home),
                )
            )
        finally:
            anvil.stop()
    for p in paths:
        print(p)
    return 0
