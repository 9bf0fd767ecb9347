"""One history sync over a network's sources, and the choice of sources for a wallet."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chains.models import Asset, Network
from wallet.history.evm_source import EtherscanSource, EvmNodeSource
from wallet.history.model import HistoryItem, HistoryRow, HistorySource, SourcePage
from wallet.history.store import HistoryStore
from wallet.history.utxo_source import UtxoHistorySource
from wallet.store import Store

if TYPE_CHECKING:
    from wallet.history_apis import HistoryApi


@dataclass(frozen=True)
class SyncReport:
    added: int  # rows that did not exist before
    flagged: tuple[HistoryRow, ...] = field(default=())  # new rows that carry flags
    head: int | None = None  # the highest block the sources read to


class HistorySync:
    """One sync over the given sources. Pending rows come from the outbox (what this app
    signed and has not seen mined)."""

    def __init__(
        self,
        store: Store,
        network: Network,
        accounts: Sequence[str],
        sources: Sequence[HistorySource],
        assets: Sequence[Asset] = (),
    ) -> None:
        self.store = store
        self.history = HistoryStore(store)
        self.network = network
        self.accounts = tuple(accounts)
        self.sources = tuple(sources)
        self.assets = {a.key: a for a in assets}

    def made_here(self) -> set[str]:
        """Hashes this app signed: the EVM outbox (issue 4's table), the UTXO outgoing table
        and the swap records (issue 7), where those tables exist."""
        hashes: set[str] = set()
        for table, column in (
            ("outbox", "tx_hash"), ("utxo_outgoing", "txid"), ("swap_approvals", "tx_hash"),
            ("swaps", "approval_tx"), ("swaps", "swap_tx"), ("swaps", "fee_tx"),
        ):  # fmt: skip
            if self.history._has_table(table):
                hashes |= {
                    str(r[0]).lower()
                    for r in self.store.db.execute(
                        f"SELECT {column} FROM {table} WHERE network = ? "  # noqa: S608
                        f"AND {column} IS NOT NULL",
                        (self.network.id,),
                    )
                }
        return hashes

    def _pending_items(self) -> list[HistoryItem]:
        if not self.history._has_table("outbox"):
            return []
        from wallet.pending import Outbox

        ours = {a.lower(): a for a in self.accounts}
        items = []
        now = int(time.time())
        for e in Outbox(self.store).entries(self.network.id, open_only=True):
            account = ours.get(e.sender.lower())
            if account is None:
                continue
            asset = self.assets.get(e.asset)
            native = e.asset.endswith(":native")
            items.append(
                HistoryItem(
                    network=self.network.id, account=account, tx_hash=e.tx_hash, log_index=-1,
                    kind="transfer", direction="out", asset=e.asset,
                    symbol=asset.symbol if asset else self.network.native_symbol if native else "",
                    decimals=asset.decimals if asset else
                    self.network.native_decimals if native else None,
                    amount=e.amount, counterparty=e.recipient, status="pending", block=None,
                    ts=_iso_to_unix(e.created_at, now), nonce=e.nonce, made_here=True,
                    method="transfer",
                )
            )  # fmt: skip
        return items

    async def run(self) -> SyncReport:
        net = self.network.id
        self.history.clear_pending(net)
        before = self.history.max_id()
        pages: list[SourcePage] = []
        for source in self.sources:
            cursors = {a: self.history.cursor(net, source.name, a) for a in self.accounts}
            page = await source.fetch(self.accounts, cursors)
            self.history.apply(net, source.name, self.accounts, page)
            pages.append(page)
        mine = self.made_here()
        heads = [page.head for page in pages if page.head is not None]
        self.history.mark_made_here(net, mine)
        self.history.add_pending(net, self._pending_items())
        self.history.flag_rows(net, before)
        flagged = tuple(r for r in self.history.new_flagged(before) if r.status != "pending")
        return SyncReport(
            added=self.history.max_id() - before, flagged=flagged, head=max(heads, default=None)
        )


def _iso_to_unix(text: str, default: int) -> int:
    try:
        return int(datetime.fromisoformat(text).timestamp())
    except ValueError:
        return default


def sources_for(
    network: Network,
    assets: Sequence[Asset],
    *,
    explorer_url: str | None = None,
    explorer_key: str | None = None,
    history_api: HistoryApi | None = None,
    utxo_accounts: Sequence[Any] = (),
    utxo_results: Mapping[int, Any] | None = None,
    utxo_clock: Callable[[], float] | None = None,
) -> list[HistorySource]:
    """The history sources of a network: its history API (`history_api`, chosen by
    wallet/history_apis.py: Blockscout or Etherscan-compatible; or `explorer_url`), else the
    node (block-scanned on the devnet). Bitcoin and Litecoin: their accounts' syncs
    (`utxo_accounts`, wallet.utxo_sync.UtxoAccount on `network`; UtxoPortfolio has them)."""
    from chains.models import ChainKind

    if network.kind is not ChainKind.EVM:
        mine = [ua for ua in utxo_accounts if ua.network.id == network.id]
        if not mine:
            return []
        if utxo_clock is None:
            return [UtxoHistorySource(mine, utxo_results)]
        return [UtxoHistorySource(mine, utxo_results, clock=utxo_clock)]
    if history_api is not None and history_api.kind == "blockscout":
        from wallet.history.evm_source import BlockscoutSource

        return [BlockscoutSource(network, assets, history_api.url, history_api.key)]
    if history_api is not None:
        return [EtherscanSource(network, assets, history_api.url, history_api.key)]
    if explorer_url:
        return [EtherscanSource(network, assets, explorer_url, explorer_key)]
    return [EvmNodeSource(network, assets)]


def history_api_of(network_id: str, config_file: Path | None) -> HistoryApi | None:
    """The history API of a network from the settings (wallet/history_apis.py: the user's
    `[explorers.<network>]`, the key also from TERMWALLET_EXPLORERS__<NETWORK>__KEY or the
    older TERMWALLET_EXPLORER_KEY; else the public Blockscout instance; else the node). A
    broken config file means the node: the settings loader reports the file where the user
    sees it."""
    from wallet.history_apis import history_api_for
    from wallet.settings import SettingsError, load_settings

    try:
        settings = load_settings(config_file)
    except SettingsError:
        return None
    return history_api_for(network_id, settings)


async def sync_wallet_history(
    session: Any, config_file: Path | None
) -> tuple[SyncReport | None, list[Exception]]:
    """Everything the History screen shows, read again: the EVM network's sources (the node or
    an explorer API), then the Bitcoin/Litecoin accounts. One failing source does not stop the
    others; the saved rows stay. Returns the EVM report (None if it failed or there is no EVM
    account) and the typed errors met, for the screen to show and diagnostics to quote."""
    import asyncio

    from chains.errors import ChainError

    errors: list[Exception] = []
    report: SyncReport | None = None
    if session.addresses:
        api = await asyncio.to_thread(history_api_of, session.network.id, config_file)
        # In a thread: building a source imports httpx (~0.15 s) the first time.
        sources = await asyncio.to_thread(
            sources_for, session.network, session.assets, history_api=api
        )
        try:
            report = await HistorySync(
                session.store, session.network, session.addresses, sources, session.assets
            ).run()
        except ChainError as exc:
            errors.append(exc)
        finally:
            for source in sources:
                await source.aclose()
    try:
        await session.sync_utxo_history()
    except ChainError as exc:
        errors.append(exc)
    return report, errors
