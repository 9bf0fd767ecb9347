"""The wallets in one store, side by side, and which one is open.

A wallet is a set of accounts plus where its keys live: `software` (the keystore on disk),
`device` (a hardware wallet: the store keeps xpubs, the master fingerprint and the model, never
a secret) or `watch` (public keys or addresses only). The app and the CLI open one wallet at a
time: the one `meta.current_wallet` names, else the software wallet, else the first device
wallet. Watch-only accounts are shown with every wallet, as before wallets were told apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from said import Said

if TYPE_CHECKING:
    from wallet.store import Store

CURRENT_KEY = "current_wallet"


class WalletError(ValueError):
    code = "WALLET"


@dataclass(frozen=True)
class WalletRow:
    id: int
    name: str
    kind: str  # software | device | watch
    fingerprint: str | None = None  # hex, device wallets where the device told it
    device_kind: str | None = None  # trezor | ledger | hwi
    model: str | None = None
    passphrase: bool = False  # a passphrase (hidden) wallet on its device

    @property
    def is_device(self) -> bool:
        return self.kind == "device"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "fingerprint": self.fingerprint,
            "device_kind": self.device_kind,
            "model": self.model,
            "passphrase": self.passphrase,
        }


class WalletBook:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._db = store.db

    def list(self) -> list[WalletRow]:
        rows = self._db.execute("SELECT * FROM wallets ORDER BY id").fetchall()
        return [_row(r) for r in rows]

    def get(self, wallet_id: int) -> WalletRow:
        row = self._db.execute("SELECT * FROM wallets WHERE id = ?", (wallet_id,)).fetchone()
        if row is None:
            raise WalletError(
                Said(
                    "wallets.no_wallet_termwallet_wallets",
                    "no wallet {wallet_id}: `termwallet wallets` lists them",
                    wallet_id=wallet_id,
                )
            )
        return _row(row)

    def signing(self) -> list[WalletRow]:
        """The wallets that can sign: software and device wallets with accounts."""
        return [w for w in self.list() if w.kind in ("software", "device") and self._has(w.id)]

    def _has(self, wallet_id: int) -> bool:
        row = self._db.execute(
            "SELECT 1 FROM accounts WHERE wallet_id = ? LIMIT 1", (wallet_id,)
        ).fetchone()
        return row is not None

    def current(self, *, software_exists: bool) -> WalletRow | None:
        """The wallet to open: the one chosen last, else the software wallet (when its keystore
        exists), else the first device wallet; None when there is no wallet that signs."""
        chosen = self._store.get_meta(CURRENT_KEY)
        candidates = self.signing()
        if chosen is not None and chosen.isdigit():
            for w in candidates:
                if w.id == int(chosen) and (w.kind == "device" or software_exists):
                    return w
        if software_exists:
            soft = next((w for w in candidates if w.kind == "software"), None)
            if soft is not None:
                return soft
        return next((w for w in candidates if w.kind == "device"), None)

    def set_current(self, wallet_id: int) -> WalletRow:
        wallet = self.get(wallet_id)
        if wallet.kind == "watch":
            raise WalletError(
                Said(
                    "wallets.watch_only_accounts_are",
                    "watch-only accounts are shown with every wallet; pick one that signs",
                )
            )
        self._store.set_meta(CURRENT_KEY, str(wallet.id))
        return wallet

    def find(self, ref: str) -> WalletRow:
        """A wallet by id, fingerprint or unique name prefix (case-insensitive)."""
        wallets = self.list()
        text = ref.strip()
        if text.isdigit():
            return self.get(int(text))
        low = text.lower()
        exact = [w for w in wallets if (w.fingerprint or "") == low or w.name.lower() == low]
        if len(exact) == 1:
            return exact[0]
        prefix = [w for w in wallets if w.name.lower().startswith(low)]
        if len(prefix) == 1:
            return prefix[0]
        if not prefix:
            raise WalletError(
                Said(
                    "wallets.no_wallet_termwallet_wallets_2",
                    "no wallet {text!r}: `termwallet wallets` lists them",
                    text=text,
                )
            )
        raise WalletError(
            Said(
                "wallets.matches_wallets_give_number",
                "{text!r} matches {count} wallets: give its number",
                text=text,
                count=len(prefix),
            )
        )

    def by_fingerprint(self, fingerprint: str) -> WalletRow | None:
        row = self._db.execute(
            "SELECT * FROM wallets WHERE kind = 'device' AND fingerprint = ?",
            (fingerprint.lower(),),
        ).fetchone()
        return None if row is None else _row(row)

    def add_device(
        self,
        *,
        name: str,
        fingerprint: str | None,
        device_kind: str,
        model: str,
        passphrase: bool = False,
    ) -> WalletRow:
        if fingerprint is not None and self.by_fingerprint(fingerprint) is not None:
            raise WalletError(
                Said(
                    "wallets.wallet_device_fingerprint_already",
                    "a wallet of this device (fingerprint {fingerprint}) is "
                    "already here: `termwallet wallets` lists it",
                    fingerprint=fingerprint,
                )
            )
        cur = self._db.execute(
            "INSERT INTO wallets(name, kind, created_at, fingerprint, device_kind, model, "
            "passphrase) VALUES(?, 'device', ?, ?, ?, ?, ?)",
            (
                name,
                datetime.now(UTC).isoformat(),
                None if fingerprint is None else fingerprint.lower(),
                device_kind,
                model,
                int(passphrase),
            ),
        )
        return self.get(int(cur.lastrowid or 0))

    def rename(self, wallet_id: int, name: str) -> WalletRow:
        name = name.strip()
        if not name or len(name) > 64 or not name.isprintable():
            raise WalletError(
                Said("wallets.wallet_name_1_64", "a wallet name is 1 to 64 printable characters")
            )
        self._db.execute("UPDATE wallets SET name = ? WHERE id = ?", (name, wallet_id))
        return self.get(wallet_id)


def _row(r: Any) -> WalletRow:
    return WalletRow(
        id=int(r["id"]),
        name=str(r["name"]),
        kind=str(r["kind"]),
        fingerprint=r["fingerprint"],
        device_kind=r["device_kind"],
        model=r["model"],
        passphrase=bool(r["passphrase"]),
    )
