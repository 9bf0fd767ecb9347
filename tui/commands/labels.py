"""`termwallet labels`: BIP329 label files, the format Sparrow and Electrum import and export.

    termwallet labels export FILE     every account's labels and frozen coins, one JSON a line
    termwallet labels export --format electrum FILE   Electrum's own label file (tx, addr)
    termwallet labels import FILE     labels from another wallet (or a backup): BIP329, or
                                      Electrum's label file; records this wallet cannot use
                                      are skipped and counted

FILE `-` is standard output/input. An export names transactions and addresses: keep it private
(the BIP advises deleting unencrypted exports after use).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path
from typing import IO, Any


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "labels",
        help="export or import labels (BIP329 JSON Lines: Sparrow, Electrum)",
        description="Labels of transactions, addresses, keys, inputs and outputs, and frozen "
        "coins, as BIP329 JSON Lines.",
    )
    act = p.add_subparsers(dest="labels_action", metavar="ACTION", required=True)
    exp = act.add_parser("export", help="write every account's labels to FILE")
    exp.add_argument("file", metavar="FILE", help="where to write ('-': standard output)")
    exp.add_argument(
        "--format",
        choices=("bip329", "electrum"),
        default="bip329",
        help="bip329 (Sparrow, Electrum 4.6+; default) or electrum (Electrum's own label file: "
        "transaction and address labels only)",
    )
    imp = act.add_parser("import", help="read labels from FILE")
    imp.add_argument(
        "file", metavar="FILE", help="a BIP329 .jsonl or Electrum label file ('-': standard input)"
    )
    p.set_defaults(handler=run_labels)


def run_labels(args: argparse.Namespace) -> int:
    from tui.cli_wallet import open_wallet
    from tui.i18n import t
    from wallet.labels import LabelBook

    session = open_wallet(None, [])["session"]
    try:
        book = LabelBook(session.store)
        if args.labels_action == "export":
            if args.file == "-":
                n = _export(book, sys.stdout, args.format)
            else:
                # Only the user may read it: it maps their addresses and payments.
                fd = os.open(args.file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
                    n = _export(book, out, args.format)
            print(t("labels.cli.exported", n=n), file=sys.stderr)
            return 0
        from tui.user_files import read_stdin_text, read_user_text
        from wallet.labels import MAX_FILE

        text = (
            read_stdin_text(limit=MAX_FILE)
            if args.file == "-"
            else read_user_text(Path(args.file), limit=MAX_FILE)
        )
        report = book.import_text(text)
        print(
            t(
                "labels.cli.imported",
                n=report.imported,
                skipped=report.skipped,
                frozen=report.frozen,
                unfrozen=report.unfrozen,
            )
        )
        return 0
    finally:
        asyncio.run(session.aclose())


def _export(book: Any, out: IO[str], fmt: str) -> int:
    if fmt == "electrum":
        labels = book.electrum_labels()
        json.dump(labels, out, indent=4, ensure_ascii=False)  # as Electrum writes it
        out.write("\n")
        return len(labels)
    return int(book.export_jsonl(out))
