"""Coin control for Bitcoin and Litecoin accounts: the account's unspent outputs with their
labels and whether they are frozen, freezing, and choosing the coins a payment spends.

A frozen coin is never picked by automatic selection (wallet/utxo_send.py filters it out
before selection), and naming it for a payment is refused until it is unfrozen: freezing is
how a user keeps a coin (a dust attack, a coin to keep apart) out of every payment."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from chains.coin_selection import Coin
from chains.errors import ChainError
from chains.utxo import script_to_address
from chains.utxo_networks import UtxoNetwork
from said import Said
from wallet.labels import LabelBook
from wallet.store import Store

_OUTPOINT = re.compile(r"^[0-9a-fA-F]{64}:\d{1,10}$")


class CoinChoiceError(ChainError, ValueError):
    code = "COIN_CHOICE"


@dataclass(frozen=True)
class CoinRow:
    """One unspent output as coin control lists it."""

    outpoint: str
    value: int
    height: int  # 0 or less: unconfirmed
    address: str
    label: str  # the output's label, else its address's, else its transaction's
    frozen: bool
    reserved: bool  # an input of a payment signed but not yet settled


def parse_outpoints(text: str | Sequence[str]) -> list[str]:
    """'txid:vout,txid:vout' (or a list of them) checked and normalised; ValueError naming
    the first one that is not an outpoint."""
    parts = text.split(",") if isinstance(text, str) else list(text)
    out: list[str] = []
    for raw in parts:
        p = raw.strip()
        if not p:
            continue
        if not _OUTPOINT.match(p):
            raise CoinChoiceError(
                Said(
                    "coin_control.not_coin_give_as",
                    "'{coin}' is not a coin: give it as TXID:VOUT (see `termwallet coins`)",
                    coin=p[:80],
                )
            )
        txid, vout = p.split(":")
        o = f"{txid.lower()}:{int(vout)}"
        if o not in out:
            out.append(o)
    if not out:
        raise CoinChoiceError(
            Said(
                "coin_control.no_coins_given_list",
                "no coins given: list them with `termwallet coins`",
            )
        )
    return out


class CoinControl:
    def __init__(self, store: Store) -> None:
        self.db = store.db
        self.labels = LabelBook(store)

    def frozen(self) -> set[str]:
        return {r["outpoint"] for r in self.db.execute("SELECT outpoint FROM utxo_frozen")}

    def is_frozen(self, outpoint: str) -> bool:
        row = self.db.execute(
            "SELECT 1 FROM utxo_frozen WHERE outpoint = ?", (outpoint.lower(),)
        ).fetchone()
        return row is not None

    def set_frozen(self, outpoints: Iterable[str], frozen: bool) -> None:
        now = datetime.now(UTC).isoformat()
        with self.db:
            for o in outpoints:
                if frozen:
                    self.db.execute(
                        "INSERT OR IGNORE INTO utxo_frozen(outpoint, frozen_at) VALUES(?, ?)",
                        (o.lower(), now),
                    )
                else:
                    self.db.execute("DELETE FROM utxo_frozen WHERE outpoint = ?", (o.lower(),))

    def rows(
        self,
        coins: Sequence[Coin],
        net: UtxoNetwork,
        reserved: set[str] = frozenset(),  # type: ignore[assignment]
    ) -> list[CoinRow]:
        """The coins, confirmed first and largest first, with labels and states."""
        frozen = self.frozen()
        out = []
        for c in sorted(coins, key=lambda c: (c.height <= 0, -c.value, c.txid, c.vout)):
            address = script_to_address(c.script, net) or ""
            out.append(
                CoinRow(
                    outpoint=c.outpoint,
                    value=c.value,
                    height=c.height,
                    address=address,
                    label=self.labels.coin_label(c.outpoint, address),
                    frozen=c.outpoint in frozen,
                    reserved=c.outpoint in reserved,
                )
            )
        return out

    def spendable(self, coins: Sequence[Coin]) -> list[Coin]:
        """The coins automatic selection may use: all but the frozen ones."""
        frozen = self.frozen()
        return [c for c in coins if c.outpoint not in frozen]

    def chosen(self, coins: Sequence[Coin], outpoints: Sequence[str]) -> list[Coin]:
        """The coins named, in that order; refused when one is not an unspent coin of the
        account (spent, reserved by a payment in flight, another account's) or is frozen."""
        by_outpoint = {c.outpoint: c for c in coins}
        frozen = self.frozen()
        out = []
        for o in outpoints:
            coin = by_outpoint.get(o)
            if coin is None:
                raise CoinChoiceError(
                    Said(
                        "coin_control.not_unspent_coin_account",
                        "{coin} is not an unspent coin of this account (spent, waiting "
                        "in a payment not yet confirmed, or another account's): see "
                        "`termwallet coins`",
                        coin=o,
                    )
                )
            if o in frozen:
                raise CoinChoiceError(
                    Said(
                        "coin_control.frozen_unfreeze_first_spend",
                        "{coin} is frozen: unfreeze it first to spend it",
                        coin=o,
                    )
                )
            out.append(coin)
        return out
