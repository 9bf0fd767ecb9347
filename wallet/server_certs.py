"""The wallet's pinned Electrum server certificates, in its SQLite store (the table of
wallet/migrations/m0010_server_certs.py says why there). chains/cert_pins.py decides what a
pin means; this keeps them, and lets the user accept a changed one after checking it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from chains.cert_pins import Pin, normalise_fingerprint, server_key
from wallet.store import Store


@dataclass(frozen=True)
class PinRow:
    pin: Pin
    accepted_by_user: bool


class StorePins:
    """chains.cert_pins.CertPins over the store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def get(self, server: str) -> Pin | None:
        row = self.store.db.execute(
            "SELECT * FROM server_certs WHERE server = ?", (server_key(server),)
        ).fetchone()
        return None if row is None else _pin(row)

    def put(self, pin: Pin) -> None:
        self._write(pin, accepted=False)

    def accept(self, server: str, fingerprint: str) -> Pin:
        """The user checked `fingerprint` with the server's operator: it replaces the pin."""
        pin = Pin(server_key(server), normalise_fingerprint(fingerprint), datetime.now(UTC), False)
        self._write(pin, accepted=True)
        return pin

    def forget(self, server: str) -> bool:
        cur = self.store.db.execute(
            "DELETE FROM server_certs WHERE server = ?", (server_key(server),)
        )
        return cur.rowcount > 0

    def list(self) -> list[PinRow]:
        rows = self.store.db.execute("SELECT * FROM server_certs ORDER BY server").fetchall()
        return [PinRow(_pin(r), bool(r["accepted_by_user"])) for r in rows]

    def _write(self, pin: Pin, *, accepted: bool) -> None:
        self.store.db.execute(
            "INSERT INTO server_certs (server, fingerprint, first_seen, ca_valid, "
            "accepted_by_user) VALUES (?, ?, ?, ?, ?) ON CONFLICT(server) DO UPDATE SET "
            "fingerprint = excluded.fingerprint, first_seen = excluded.first_seen, "
            "ca_valid = excluded.ca_valid, accepted_by_user = excluded.accepted_by_user",
            (
                pin.server,
                pin.fingerprint,
                pin.first_seen.astimezone(UTC).isoformat(),
                int(pin.ca_valid),
                int(accepted),
            ),
        )


def _pin(row: object) -> Pin:
    return Pin(
        server=row["server"],  # type: ignore[index]
        fingerprint=row["fingerprint"],  # type: ignore[index]
        first_seen=datetime.fromisoformat(row["first_seen"]),  # type: ignore[index]
        ca_valid=bool(row["ca_valid"]),  # type: ignore[index]
    )
