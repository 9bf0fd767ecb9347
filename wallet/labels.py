"""BIP329 wallet labels: import and export as JSON Lines, the format Sparrow and Electrum read
and write (https://github.com/bitcoin/bips/blob/master/bip-0329.mediawiki).

One record a line: {"type", "ref", "label", "origin"?, "spendable"?}, type one of tx, addr,
pubkey, input, output, xpub. Records of every account live in one table (`labels`);
transaction labels also go to history_notes, which History shows and edits, and an edit there
wins on export. `spendable: false` on an output freezes the coin (wallet/coin_control.py), and
every exported output says whether it is spendable, as Sparrow does.

Imported labels are outside text: control and format characters (escapes, carriage returns,
bidi overrides) become U+FFFD and labels are cut to 255 characters (the BIP's advice) before
they are stored; screens show them as plain Text (no markup) and CSV cells are guarded on
export (wallet/history/export.py)."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Any

from chains.utxo_networks import UTXO_NETWORKS
from said import Said
from wallet.store import Store

TYPES = ("tx", "addr", "pubkey", "input", "output", "xpub")
MAX_LABEL = 255  # BIP329: importing wallets may truncate labels longer than 255 characters
MAX_LINE = 16_384  # a record is small; a longer line is not one
MAX_FILE = 64 * 1024 * 1024
HISTORY_LABEL = 64  # what History keeps (wallet/history/store.py)

_HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")
_OUTPOINT = re.compile(r"^([0-9a-fA-F]{64}):(\d{1,10})$")
_HEX = re.compile(r"^(?:[0-9a-fA-F]{2}){32,65}$")
_TOKEN = re.compile(r"^[!-~]{1,200}$")  # printable ASCII without spaces: addresses, xpubs


class LabelFileError(ValueError):
    code = "LABEL_FILE"


@dataclass(frozen=True)
class ImportReport:
    imported: int
    skipped: int  # lines that were not a BIP329 record we can use (the BIP: ignore them)
    frozen: int
    unfrozen: int


def clean_label(text: str) -> str:
    """An outside label as stored: no control or format characters, at most 255 characters."""
    out = "".join("\ufffd" if unicodedata.category(c) in ("Cc", "Cf") else c for c in text)
    return out.strip()[:MAX_LABEL]


def normal_ref(kind: str, ref: Any) -> str | None:
    """The reference in the form stored (txids lower case), or None when it is not one."""
    if not isinstance(ref, str):
        return None
    if kind == "tx":
        return ref.lower() if _HEX64.match(ref) else None
    if kind in ("input", "output"):
        m = _OUTPOINT.match(ref)
        return f"{m.group(1).lower()}:{int(m.group(2))}" if m else None
    if kind == "pubkey":
        return ref.lower() if _HEX.match(ref) else None
    return ref if _TOKEN.match(ref) else None  # addr, xpub: case matters (base58)


class LabelBook:
    def __init__(self, store: Store) -> None:
        self.db = store.db

    # -- reading -----------------------------------------------------------------------------

    def get(self, kind: str, ref: str) -> str:
        row = self.db.execute(
            "SELECT label FROM labels WHERE type = ? AND ref = ?", (kind, ref)
        ).fetchone()
        return str(row["label"]) if row else ""

    def tx_label(self, txid: str) -> str:
        row = self.db.execute(
            "SELECT label FROM history_notes WHERE tx_hash = ? AND label != '' LIMIT 1", (txid,)
        ).fetchone()
        return str(row["label"]) if row else self.get("tx", txid.lower())

    def coin_label(self, outpoint: str, address: str) -> str:
        """The label a coin shows: its output's, else its address's, else its transaction's
        (Sparrow and Electrum show the same fallback)."""
        return (
            self.get("output", outpoint)
            or (self.get("addr", address) if address else "")
            or self.tx_label(outpoint.split(":")[0])
        )

    def addresses(self) -> dict[str, str]:
        """Every labelled address: label (Send offers them as recipients)."""
        rows = self.db.execute(
            "SELECT ref, label FROM labels WHERE type = 'addr' AND label != '' ORDER BY label"
        ).fetchall()
        return {r["ref"]: r["label"] for r in rows}

    def set(self, kind: str, ref: str, label: str, origin: str | None = None) -> None:
        norm = normal_ref(kind, ref)
        if kind not in TYPES or norm is None:
            raise ValueError(
                Said(
                    "labels.not_bip329_reference",
                    "not a BIP329 {kind} reference: {reference}",
                    kind=kind,
                    reference=ref[:80],
                )
            )
        with self.db:
            self._put(kind, norm, clean_label(label), origin)

    def _put(self, kind: str, ref: str, label: str, origin: str | None) -> None:
        now = datetime.now(UTC).isoformat()
        self.db.execute(
            "INSERT INTO labels(type, ref, label, origin, updated_at) VALUES(?, ?, ?, ?, ?) "
            "ON CONFLICT(type, ref) DO UPDATE SET label = excluded.label, "
            "origin = COALESCE(excluded.origin, labels.origin), updated_at = excluded.updated_at",
            (kind, ref, label, origin, now),
        )
        if kind == "tx":
            # History shows labels from history_notes: every network that knows the txid, or,
            # when none does yet (labels imported before the first sync), every Bitcoin-like
            # network, so the label is there when the transaction arrives.
            nets = [
                r["network"]
                for r in self.db.execute(
                    "SELECT network FROM utxo_history WHERE txid = ? "
                    "UNION SELECT network FROM history WHERE tx_hash = ?",
                    (ref, ref),
                )
            ] or list(UTXO_NETWORKS)
            for network in nets:
                self.db.execute(
                    "INSERT INTO history_notes(network, tx_hash, label, updated_at) "
                    "VALUES(?, ?, ?, ?) ON CONFLICT(network, tx_hash) DO UPDATE SET "
                    "label = excluded.label, updated_at = excluded.updated_at",
                    (network, ref, label[:HISTORY_LABEL], now),
                )

    # -- import ------------------------------------------------------------------------------

    def import_jsonl(self, lines: IO[str]) -> ImportReport:
        """Read a BIP329 file. Lines that are not records we can use are counted and skipped
        (the BIP asks importers to ignore what they do not know); the good ones land together
        or not at all."""
        imported = skipped = frozen = unfrozen = 0
        freeze: dict[str, bool] = {}
        records: list[tuple[str, str, str | None, str | None]] = []
        for line in _lines(lines):
            rec = _record(line)
            if rec is None:
                skipped += line.strip() != ""
                continue
            kind, ref, label, origin, spendable = rec
            if label is not None:
                records.append((kind, ref, label, origin))
            if kind == "output" and spendable is not None:
                freeze[ref] = not spendable
            imported += 1
        with self.db:
            for kind, ref, label, origin in records:
                self._put(kind, ref, label or "", origin)
            now = datetime.now(UTC).isoformat()
            for outpoint, want in freeze.items():
                if want:
                    cur = self.db.execute(
                        "INSERT OR IGNORE INTO utxo_frozen(outpoint, frozen_at) VALUES(?, ?)",
                        (outpoint, now),
                    )
                    frozen += cur.rowcount
                else:
                    cur = self.db.execute("DELETE FROM utxo_frozen WHERE outpoint = ?", (outpoint,))
                    unfrozen += cur.rowcount
        return ImportReport(imported, skipped, frozen, unfrozen)

    def import_electrum(self, data: dict[str, Any]) -> ImportReport:
        """Electrum's own label file (Wallet.export_labels: one JSON object, txid or address
        -> label), which Electrum versions without BIP329 read and write."""
        records: list[tuple[str, str, str]] = []
        skipped = 0
        for key, label in data.items():
            kind = "tx" if isinstance(key, str) and _HEX64.match(key) else "addr"
            ref = normal_ref(kind, key)
            if ref is None or not isinstance(label, str):
                skipped += 1
                continue
            records.append((kind, ref, clean_label(label)))
        with self.db:
            for kind, ref, label in records:
                self._put(kind, ref, label, None)
        return ImportReport(len(records), skipped, 0, 0)

    def import_text(self, text: str) -> ImportReport:
        """A BIP329 file, or Electrum's label file (one JSON object without a "type")."""
        head = text.lstrip()
        if head.startswith("{"):
            try:
                whole = json.loads(head)
            except ValueError:
                whole = None  # several lines: JSON Lines
            if isinstance(whole, dict) and "type" not in whole:
                return self.import_electrum(whole)
        import io

        return self.import_jsonl(io.StringIO(text))

    def electrum_labels(self) -> dict[str, str]:
        """Transaction and address labels in Electrum's format (txid or address -> label)."""
        out: dict[str, str] = {}
        for rec in self.records():
            if rec["type"] in ("tx", "addr") and rec["label"]:
                out[rec["ref"]] = rec["label"]
        return out

    # -- export ------------------------------------------------------------------------------

    def records(self) -> Iterator[dict[str, Any]]:
        """Every label of every account as BIP329 records: stored labels, History's labels of
        Bitcoin-like transactions, and frozen coins (outputs with spendable false)."""
        frozen = {r["outpoint"] for r in self.db.execute("SELECT outpoint FROM utxo_frozen")}
        history: dict[str, str] = {}
        for r in self.db.execute(
            "SELECT lower(tx_hash) AS txid, label FROM history_notes WHERE label != '' "
            "ORDER BY updated_at"
        ):
            if _HEX64.match(r["txid"]):  # Bitcoin-like txids; EVM hashes start 0x
                history[r["txid"]] = r["label"]
        seen_outputs: set[str] = set()
        for r in self.db.execute("SELECT * FROM labels ORDER BY type, ref"):
            kind, ref, label = r["type"], r["ref"], r["label"]
            if kind == "tx" and ref in history:
                edited = history.pop(ref)
                if edited != label[:HISTORY_LABEL]:
                    label = edited  # changed in History after the import
            rec: dict[str, Any] = {"type": kind, "ref": ref, "label": label}
            if r["origin"]:
                rec["origin"] = r["origin"]
            if kind == "output":
                rec["spendable"] = ref not in frozen
                seen_outputs.add(ref)
            yield rec
        for txid, label in sorted(history.items()):
            yield {"type": "tx", "ref": txid, "label": label}
        for outpoint in sorted(frozen - seen_outputs):
            yield {"type": "output", "ref": outpoint, "label": "", "spendable": False}

    def export_jsonl(self, out: IO[str]) -> int:
        n = 0
        for rec in self.records():
            out.write(json.dumps(rec, ensure_ascii=False) + "\n")
            n += 1
        return n


def _lines(stream: IO[str]) -> Iterator[str]:
    total = 0
    while True:
        line = stream.readline(MAX_LINE + 1)
        if not line:
            return
        total += len(line)
        if total > MAX_FILE:
            raise LabelFileError(
                Said(
                    "labels.label_file_larger_than",
                    "the label file is larger than 64 MB: not a BIP329 file",
                )
            )
        if len(line) > MAX_LINE and not line.endswith("\n"):
            # Too long to be a record: skip to the end of the line.
            while line and not line.endswith("\n"):
                line = stream.readline(MAX_LINE)
                total += len(line)
                if total > MAX_FILE:
                    raise LabelFileError(
                        Said(
                            "labels.label_file_larger_than",
                            "the label file is larger than 64 MB: not a BIP329 file",
                        )
                    )
            yield "\0"  # counted as skipped
            continue
        yield line


def _record(line: str) -> tuple[str, str, str | None, str | None, bool | None] | None:
    try:
        obj = json.loads(line)
    except ValueError:
        return None
    if not isinstance(obj, dict):
        return None
    kind = obj.get("type")
    if kind not in TYPES:
        return None
    ref = normal_ref(kind, obj.get("ref"))
    if ref is None:
        return None
    label = obj.get("label")
    if label is not None and not isinstance(label, str):
        return None
    origin = obj.get("origin")
    origin = clean_label(origin) if isinstance(origin, str) else None
    spendable = obj.get("spendable")
    if not isinstance(spendable, bool):
        spendable = None
    if label is None and spendable is None:
        return None
    return kind, ref, None if label is None else clean_label(label), origin, spendable
