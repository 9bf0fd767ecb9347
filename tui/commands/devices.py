"""`termwallet devices [--json]`: the signing devices termwallet can see, and why not others."""

from __future__ import annotations

import argparse
import json
import sys


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "devices",
        help="list connected Trezor, Ledger and other hardware wallets",
        description="List hardware wallets (and emulators) with the id that --device takes. "
        "Device libraries that cannot load are reported with what to install.",
    )
    p.add_argument("--json", action="store_true", help="print JSON for scripts")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from devices.registry import discover
    from devices.thread import device_thread

    found = device_thread().run(discover)
    if args.json:
        print(json.dumps(found.to_json(), indent=2))
        return 0
    if not found.devices:
        print("No hardware wallet found: the software signer will be used.", file=sys.stderr)
    for d in found.devices:
        print(f"{d.id:40} {d.model:20} {d.detail}".rstrip())
    for p in found.problems:
        print(f"{p.kind}: {p.message} [{p.code}]", file=sys.stderr)
    return 0
