"""The address book: names for addresses the user sends to. Per network, because a contract
on one EVM chain may be nothing (or something else) on another."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from said import Said
from wallet.safety import parse_evm_address
from wallet.store import Store


@dataclass(frozen=True)
class Contact:
    network: str
    address: str
    label: str


class AddressBook:
    def __init__(self, store: Store) -> None:
        self.db = store.db

    def add(self, network: str, address: str, label: str) -> Contact:
        checked = parse_evm_address(address).address
        label = label.strip()
        if not label or len(label) > 64:
            raise ValueError(
                Said(
                    "addressbook.contact_needs_name_1",
                    "a contact needs a name of 1 to 64 characters",
                )
            )
        with self.db:
            self.db.execute(
                "INSERT INTO address_book(network, address, label, created_at) VALUES(?, ?, ?, ?) "
                "ON CONFLICT(network, address) DO UPDATE SET label = excluded.label",
                (network, checked, label, datetime.now(UTC).isoformat()),
            )
        return Contact(network, checked, label)

    def remove(self, network: str, address: str) -> None:
        with self.db:
            self.db.execute(
                "DELETE FROM address_book WHERE network = ? AND lower(address) = ?",
                (network, address.lower()),
            )

    def list(self, network: str | None = None) -> list[Contact]:
        if network is None:
            rows = self.db.execute("SELECT * FROM address_book ORDER BY label").fetchall()
        else:
            rows = self.db.execute(
                "SELECT * FROM address_book WHERE network = ? ORDER BY label", (network,)
            ).fetchall()
        return [Contact(r["network"], r["address"], r["label"]) for r in rows]

    def find(self, network: str, address: str) -> Contact | None:
        row = self.db.execute(
            "SELECT * FROM address_book WHERE network = ? AND lower(address) = ?",
            (network, address.lower()),
        ).fetchone()
        return None if row is None else Contact(row["network"], row["address"], row["label"])
