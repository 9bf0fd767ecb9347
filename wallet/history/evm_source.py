"""History of EVM accounts: from the network's node or an Etherscan-compatible API."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from chains.models import Asset, Network
from wallet.history.model import REORG_WINDOW, HistoryItem, SourcePage

if TYPE_CHECKING:
    from chains.evm_history import ChainTx


# 4-byte selectors of Uniswap V2 router swaps (and the Universal Router's execute): enough to
# call a transaction a swap when the events alone do not show both legs.
_SWAP_SELECTORS = {
    "0x7ff36ab5", "0x18cbafe5", "0x38ed1739", "0xfb3bdb41", "0x8803dbee", "0x4a25d94a",
    "0xb6f9de95", "0x791ac947", "0x5c11d795", "0x3593564c",
}  # fmt: skip
_METHODS = {"0xa9059cbb": "transfer", "0x095ea7b3": "approve", "0x23b872dd": "transferFrom"}


def _checksum(address: str) -> str:
    from eth_utils import to_checksum_address

    return str(to_checksum_address(address)) if address else ""


def items_from_evm(
    txs: Iterable[ChainTx],
    accounts: Sequence[str],
    network: Network,
    assets: Sequence[Asset],
    *,
    made_here: set[str] | None = None,
    now: int | None = None,
) -> list[HistoryItem]:
    """Rows for each account a transaction touches: its native value (log_index -1), each
    token event of the account, each coin transfer a contract made to or from it inside the
    transaction (log_index -2, -3, ...); a bare call or failed transaction the account sent
    still gets one row, so its fee is in the history. The fee goes on the sender's first row
    only."""
    by_contract = {a.contract.lower(): a for a in assets if a.contract}
    native_key = f"{network.id}:native"
    mine = made_here or set()
    out: list[HistoryItem] = []
    for tx in txs:
        status = "pending" if tx.block is None else "confirmed" if tx.success else "failed"
        ts = tx.timestamp if tx.timestamp is not None else (now or int(time.time()))
        base_method = (
            "swap" if tx.selector in _SWAP_SELECTORS else _METHODS.get(tx.selector, tx.selector)
        )
        for account in accounts:
            acct = account.lower()
            rows: list[dict[str, Any]] = []
            if tx.value > 0 and acct in (tx.sender, tx.to):
                direction = _direction(tx.sender == acct, tx.to == acct)
                rows.append(dict(
                    log_index=-1, kind="transfer", direction=direction, asset=native_key,
                    symbol=network.native_symbol, decimals=network.native_decimals,
                    amount=tx.value,
                    counterparty=tx.to if direction == "out" else tx.sender,
                ))  # fmt: skip
            for ev in tx.events:
                if ev.kind == "approval":
                    if ev.src != acct:
                        continue
                    direction, cp = "out", ev.dst
                elif acct in (ev.src, ev.dst):
                    direction = _direction(ev.src == acct, ev.dst == acct)
                    cp = ev.dst if direction == "out" else ev.src
                else:
                    continue
                asset = by_contract.get(ev.contract)
                rows.append(dict(
                    log_index=ev.log_index, kind=ev.kind, direction=direction,
                    asset=asset.key if asset else f"{network.id}:{_checksum(ev.contract)}",
                    symbol=asset.symbol if asset else "",
                    decimals=asset.decimals if asset else None,
                    amount=ev.value, counterparty=cp,
                ))  # fmt: skip
            for it in getattr(tx, "internal", ()):
                # Coin a contract paid inside the transaction (a token -> coin swap's payout).
                # Indexes below -1: -1 is the transaction's own value, >= 0 its token events.
                if acct not in (it.src, it.dst):
                    continue
                direction = _direction(it.src == acct, it.dst == acct)
                rows.append(dict(
                    log_index=-2 - it.index, kind="transfer", direction=direction,
                    asset=native_key, symbol=network.native_symbol,
                    decimals=network.native_decimals, amount=it.value,
                    counterparty=it.dst if direction == "out" else it.src,
                ))  # fmt: skip
            if not rows and tx.sender == acct:
                rows.append(dict(
                    log_index=-1, kind="call", direction="out", asset=native_key,
                    symbol=network.native_symbol, decimals=network.native_decimals, amount=0,
                    counterparty=tx.to or "",
                ))  # fmt: skip
            if not rows:
                continue
            dirs = {r["direction"] for r in rows if r["kind"] == "transfer"}
            method = "swap" if {"in", "out"} <= dirs else base_method
            # The fee goes on the transaction's own first movement (its value, else its
            # first token event), not on a contract's internal payout.
            first = rows[0]["log_index"]
            for r in rows:
                out.append(
                    HistoryItem(
                        network=network.id, account=account, tx_hash=tx.hash,
                        log_index=r["log_index"], kind=r["kind"], direction=r["direction"],
                        asset=r["asset"], symbol=r["symbol"], decimals=r["decimals"],
                        amount=r["amount"], counterparty=_checksum(r["counterparty"]),
                        status=status, block=tx.block, ts=ts,
                        fee=tx.fee if tx.sender == acct and r["log_index"] == first else None,
                        nonce=tx.nonce if tx.sender == acct else None, method=method,
                        made_here=tx.hash.lower() in mine,
                    )
                )  # fmt: skip
    return out


def _direction(sent: bool, received: bool) -> str:
    return "self" if sent and received else "out" if sent else "in"


class EvmNodeSource:
    """History from the network's own JSON-RPC node. Scans whole blocks only where that is
    cheap (the devnet); elsewhere it reads token events from the first sync on."""

    name = "evm-node"

    def __init__(
        self,
        network: Network,
        assets: Sequence[Asset],
        *,
        scan_blocks: bool | None = None,
        made_here: set[str] | None = None,
    ) -> None:
        from chains.evm_history import EvmHistoryReader

        self.network = network.id
        self._net = network
        self._assets = tuple(assets)
        self._scan = network.id == "devnet" if scan_blocks is None else scan_blocks
        self._made_here = made_here
        self.reader = EvmHistoryReader(network.rpc_urls[0])

    async def fetch(self, accounts: Sequence[str], cursors: Mapping[str, str | None]) -> SourcePage:
        head = await self.reader.head()
        known = [int(c) for c in cursors.values() if c is not None]
        if any(c > head for c in known):
            start = 0  # the chain is shorter than what we read: a new devnet; read it again
        elif len(known) < len(accounts):
            start = 0 if self._scan else head  # a public chain: from now on, without an API
        else:
            start = max(min(known) + 1 - REORG_WINDOW, 0)
        txs = await self.reader.scan(accounts, start, head, scan_blocks=self._scan)
        self._assets = await with_unknown_tokens(self._net, self._assets, txs)
        items = items_from_evm(txs, accounts, self._net, self._assets, made_here=self._made_here)
        return SourcePage(items, {a: str(head) for a in accounts}, replace_from=start, head=head)

    async def aclose(self) -> None:
        await self.reader.aclose()


async def with_unknown_tokens(
    network: Network, assets: tuple[Asset, ...], txs: Sequence[Any]
) -> tuple[Asset, ...]:
    """`assets` plus the tokens the history touches that the wallet does not list, read from
    their contracts (symbol, name, decimals), so a row shows what arrived instead of a blank.
    An unknown token is what airdrop scams send; the address in the details tells it apart
    from the listed token whose symbol it may copy. A contract that is not a token stays
    unnamed."""
    from chains.errors import ChainError
    from chains.evm import EvmBackend

    known = {a.contract.lower() for a in assets if a.contract}
    unknown = {
        ev.contract.lower()
        for tx in txs
        for ev in getattr(tx, "events", ())
        if ev.contract and ev.contract.lower() not in known
    }
    if not unknown:
        return assets
    backend = EvmBackend(network)
    found: list[Asset] = []
    try:
        for contract in sorted(unknown):
            try:
                meta = await backend.token_metadata(contract)
                found.append(
                    Asset(network=network.id, symbol=meta.symbol, name=meta.name,
                          decimals=meta.decimals, contract=meta.contract)
                )  # fmt: skip
            except (ChainError, ValueError):  # not a token, or one declaring absurd decimals
                continue
    finally:
        await backend.aclose()
    return (*assets, *found)


class EtherscanSource:
    """History from an Etherscan-compatible explorer API (public networks)."""

    name = "etherscan"

    def __init__(
        self,
        network: Network,
        assets: Sequence[Asset],
        base_url: str,
        api_key: str | None,
        *,
        made_here: set[str] | None = None,
        transport: Any = None,
        client: Any = None,
    ) -> None:
        """`client`: another API's client with the same `history(address, start_block)`
        (BlockscoutSource's); by default the Etherscan-compatible one for base_url."""
        assert network.evm_chain_id is not None
        self.network = network.id
        self._net = network
        self._assets = tuple(assets)
        self._made_here = made_here
        if client is None:
            from chains.etherscan import EtherscanClient

            client = EtherscanClient(base_url, api_key, network.evm_chain_id, transport=transport)
        self.client = client

    async def fetch(self, accounts: Sequence[str], cursors: Mapping[str, str | None]) -> SourcePage:
        items: list[HistoryItem] = []
        new: dict[str, str] = {}
        replace_from: int | None = None
        for account in accounts:
            cur = cursors.get(account)
            start = 0 if cur is None else max(int(cur) + 1 - REORG_WINDOW, 0)
            txs, last = await self.client.history(account, start)
            self._assets = await with_unknown_tokens(self._net, self._assets, txs)
            items += items_from_evm(txs, [account], self._net, self._assets,
                                    made_here=self._made_here)  # fmt: skip
            new[account] = str(max(last, int(cur) if cur else 0))
            replace_from = start if replace_from is None else min(replace_from, start)
        head = max((int(v) for v in new.values()), default=None)
        return SourcePage(items, new, replace_from=replace_from, head=head)

    async def aclose(self) -> None:
        await self.client.aclose()


class BlockscoutSource(EtherscanSource):
    """History from a Blockscout instance's REST API (public instances need no key): the
    same records and cursors as the Etherscan-compatible source, another client."""

    name = "blockscout"

    def __init__(
        self,
        network: Network,
        assets: Sequence[Asset],
        base_url: str,
        api_key: str | None = None,
        *,
        made_here: set[str] | None = None,
        transport: Any = None,
    ) -> None:
        from chains.blockscout import BlockscoutClient

        super().__init__(
            network,
            assets,
            base_url,
            api_key,
            made_here=made_here,
            client=BlockscoutClient(base_url, api_key, transport=transport),
        )
