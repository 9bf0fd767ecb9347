"""The full-screen app: `termwallet` (your wallet) and `termwallet demo` (offline devnet)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    demo = sub.add_parser(
        "demo", help="open the wallet on an embedded offline devnet with demo funds"
    )
    demo.set_defaults(handler=run_demo)


def run_wallet(args: argparse.Namespace) -> int:
    from tui.app import make_app
    from tui.services import UserServices
    from wallet.logs import setup_logging
    from wallet.paths import Paths
    from wallet.startup import first_frame_language

    paths = Paths.default()
    setup_logging(paths.log_dir)
    services = UserServices(paths, language=args.lang)
    app = make_app(services=services, language=first_frame_language(paths.config_file, args.lang))
    return app.run() or 0


def run_demo(args: argparse.Namespace) -> int:
    from tui.app import make_app
    from tui.services import DemoServices

    # The demo never reads or writes the user's wallet: its network is the devnet it starts.
    from wallet.logs import setup_logging
    from wallet.paths import Paths
    from wallet.startup import first_frame_language

    language = first_frame_language(Paths.default().config_file, args.lang)
    services = DemoServices()
    setup_logging(services.home / "logs")
    return make_app(services=services, language=language).run() or 0
