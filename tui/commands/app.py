"""The full-screen app: `termwallet` (your wallet) and `termwallet demo` (offline devnet)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    demo = sub.add_parser("demo", help="open the wallet on an embedded offline devnet")
    demo.set_defaults(handler=run_demo)


def run_wallet(args: argparse.Namespace) -> int:
    raise NotImplementedError  # the app lands in this same change


def run_demo(args: argparse.Namespace) -> int:
    raise NotImplementedError
