"""`termwallet servers [list|certs|accept-cert URL FINGERPRINT|forget-cert URL] [--json]`: which
servers each network reads from, and the Electrum servers' pinned TLS certificates (trust on
first use, chains/cert_pins.py). A server whose certificate changed is not used until the
user, having checked the new fingerprint with its operator, accepts it here."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from tui.errors import sentence


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "servers",
        help="the servers each network uses, and Electrum servers' pinned certificates",
        description="List the servers each network reads from (yours replace the built-in "
        "ones), list the pinned Electrum certificates, or accept a server's new certificate "
        "after checking its SHA-256 fingerprint with the server's operator.",
    )
    p.add_argument(
        "action",
        nargs="?",
        choices=("list", "certs", "accept-cert", "forget-cert"),
        default="list",
    )
    p.add_argument("server", nargs="?", metavar="URL", help="ssl://host:port")
    p.add_argument(
        "fingerprint",
        nargs="?",
        metavar="FINGERPRINT",
        help="accept-cert: the new certificate's SHA-256 fingerprint (AB:CD:... as "
        "`openssl x509 -noout -fingerprint -sha256` prints it)",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from tui.cli import CliError
    from wallet.paths import Paths
    from wallet.server_certs import StorePins
    from wallet.store import Store

    paths = Paths.default().ensure()
    if args.action == "list":
        return _list(paths, args.json)
    store = Store(paths.database)
    try:
        pins = StorePins(store)
        if args.action in ("accept-cert", "forget-cert") and not args.server:
            raise CliError(f"`servers {args.action}` needs URL (ssl://host:port)")
        try:
            if args.action == "accept-cert":
                if not args.fingerprint:
                    raise CliError(
                        "`servers accept-cert URL FINGERPRINT` needs the fingerprint you checked "
                        "with the server's operator (the warning shows the one it presents)"
                    )
                before = pins.get(args.server)
                pin = pins.accept(args.server, args.fingerprint)
                was = f" (was {before.fingerprint})" if before is not None else ""
                print(f"accepted for {pin.server}: {pin.fingerprint}{was}", file=sys.stderr)
            elif args.action == "forget-cert":
                if not pins.forget(args.server):
                    raise CliError(f"no certificate is pinned for {args.server}")
                print(
                    f"forgotten: {args.server} (its next certificate is trusted on first use)",
                    file=sys.stderr,
                )
        except ValueError as exc:
            raise CliError(sentence(exc)) from None
        rows = [
            {
                "server": r.pin.server,
                "fingerprint": r.pin.fingerprint,
                "first_seen": r.pin.first_seen.isoformat(),
                "ca_valid": r.pin.ca_valid,
                "accepted_by_user": r.accepted_by_user,
            }
            for r in pins.list()
        ]
    finally:
        store.close()
    if args.json:
        print(json.dumps(rows, indent=2))
    elif args.action == "certs":
        if not rows:
            print("No certificate pinned yet.", file=sys.stderr)
        for r in rows:
            how = "CA" if r["ca_valid"] else ("accepted" if r["accepted_by_user"] else "first use")
            print(f"{r['server']:40} {r['fingerprint']}  {r['first_seen'][:16]}  {how}")
    return 0


def _list(paths: Any, as_json: bool) -> int:
    from chains.networks import NETWORKS, get_network
    from chains.utxo_networks import UTXO_NETWORKS
    from wallet.backends import utxo_network_for
    from wallet.settings import load_settings

    s = load_settings(paths.config_file)
    rows = []
    for nid in UTXO_NETWORKS:
        net = utxo_network_for(nid, s.electrum_servers, s.esplora_urls)
        own = nid in s.electrum_servers or nid in s.esplora_urls
        urls = list(net.electrum_servers) + list(net.esplora_urls)
        rows.append({"network": nid, "own": own, "servers": urls[:1] if s.one_server else urls})
    for nid in NETWORKS:
        try:
            net = get_network(nid, s.rpc_urls)
        except ValueError:
            continue  # the devnet: no built-in URL
        urls = list(net.rpc_urls)
        rows.append(
            {
                "network": nid,
                "own": nid in s.rpc_urls,
                "servers": urls[:1] if s.one_server else urls,
            }
        )
    if as_json:
        print(
            json.dumps({"proxy": s.proxy, "one_server": s.one_server, "networks": rows}, indent=2)
        )
        return 0
    from tui.text import plain

    print(f"proxy: {s.proxy or 'none'}; one server: {'yes' if s.one_server else 'no'}")
    for r in rows:
        whose = "yours" if r["own"] else "built-in"
        print(f"{r['network']:12} {whose:8} {plain(', '.join(r['servers']) or '-')}")
    return 0
