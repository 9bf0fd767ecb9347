"""Parts of the Bitcoin/Litecoin Send screen that come from coin control and labels: the
labelled addresses offered as recipients (BIP329 `addr` labels valid on the network) and the
line saying which chosen coins a payment spends. Kept apart from send_utxo.py so that screen
only places them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from rich.text import Text
from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import Label, Select

from tui.i18n import t
from wallet.view import amount_text

if TYPE_CHECKING:
    from chains.utxo_networks import UtxoNetwork
    from wallet.store import Store
    from wallet.utxo_portfolio import UtxoPortfolio

MAX_OFFERED = 200  # a list to pick from, not a dump of every imported address


def labelled_addresses(store: Store, net: UtxoNetwork) -> list[tuple[str, str]]:
    """(label, address) of labelled addresses that can receive on `net`."""
    from chains.errors import ChainError
    from chains.utxo import address_to_script
    from wallet.labels import LabelBook

    # The wallet's own addresses are labelled too (Sparrow exports them): not recipients.
    own = {
        r["address"]
        for r in store.db.execute("SELECT address FROM utxo_addresses WHERE network = ?", (net.id,))
    }
    out = []
    for address, label in LabelBook(store).addresses().items():
        if address in own:
            continue
        try:
            address_to_script(address, net)
        except (ChainError, ValueError):
            continue  # another network's address
        out.append((label, address))
        if len(out) >= MAX_OFFERED:
            break
    return out


def labelled_recipients(store: Store, net: UtxoNetwork) -> Iterator[Widget]:
    options = [
        (Text(f"{label[:40]}  {address[:14]}…"), address)
        for label, address in labelled_addresses(store, net)
    ]
    if options:
        row = Horizontal(
            Label(t("utxo.send.labelled"), classes="send-label"),
            Select(options, prompt=t("utxo.send.labelled"), id="send-labelled"),
            classes="send-row",
        )
        yield row


def chosen_line(utxo: UtxoPortfolio, key: str, coins: tuple[str, ...]) -> Text:
    net = utxo.network(key)
    result = utxo.results.get(key)
    values = {c.outpoint: c.value for c in result.coins} if result is not None else {}
    total = sum(values.get(o, 0) for o in coins)
    amount = amount_text(total, net.decimals) + f" {net.symbol}"
    return Text(t("utxo.send.chosen", n=len(coins), amount=amount))
