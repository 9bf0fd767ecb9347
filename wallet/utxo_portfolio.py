"""The wallet's Bitcoin and Litecoin accounts next to the EVM network: one backend per network,
the accounts on it, their balances (from UtxoAccount.sync), receive addresses and senders.

A network that cannot be reached gives its accounts' last saved balances marked stale with the
reason, or no figure at all when none was ever saved: never a made-up one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from chains.errors import ChainError
from said import Said
from wallet.accounts import Account
from wallet.store import Store

if TYPE_CHECKING:
    from chains.utxo import UtxoBackend
    from chains.utxo_networks import UtxoNetwork
    from wallet.coin_control import CoinRow
    from wallet.history.sync import SyncReport
    from wallet.qr import QrText
    from wallet.utxo_bump import BumpReview, UtxoBumper
    from wallet.utxo_send import FeeTier, UtxoSender, UtxoSendReview
    from wallet.utxo_sync import SyncResult, UtxoAccount


@dataclass(frozen=True)
class UtxoHolding:
    """One account's row on the Assets screen. Amounts in base units; None: not known."""

    key: str  # '<network>:<account id>'
    network: str
    network_name: str
    symbol: str
    decimals: int
    account_id: int
    script: str  # p2wpkh | p2tr
    account_index: int | None
    label: str | None
    watch_only: bool
    amount: int | None  # confirmed + unconfirmed
    unconfirmed: int | None  # None when stale (the saved figure is a total)
    tip: int | None
    as_of: datetime | None
    stale: bool = False
    error: Exception | None = None  # why it is stale


@dataclass(frozen=True)
class ReceiveInfo:
    key: str
    network_name: str
    symbol: str
    script: str
    address: str
    uri: str
    qr: QrText
    checked: bool  # False: from the saved state, the server could not confirm it is unused
    chain: str = ""  # the network id a device is asked for (btc, ltc-regtest...)
    path: str | None = None  # full derivation path, for showing it on a device


class UtxoPortfolio:
    def __init__(
        self,
        store: Store,
        networks: Sequence[UtxoNetwork],
        accounts: dict[str, list[Account]],
        *,
        prefer: str = "electrum",
        gap_limit: int | None = None,
        one_server: bool = False,
        proxy: str | None = None,
    ) -> None:
        self.store = store
        self.one_server = one_server
        self.proxy = proxy
        self.networks = {n.id: n for n in networks}
        self.accounts = {n: list(accounts.get(n, ())) for n in self.networks}
        self.prefer = prefer
        self.gap_limit = gap_limit
        self._backends: dict[str, UtxoBackend] = {}
        self._utxo_accounts: dict[str, UtxoAccount] = {}
        self._senders: dict[str, UtxoSender] = {}
        self.results: dict[str, SyncResult] = {}
        self._resumed: set[str] = set()
        self.resumed: list[str] = []  # txids that resume() sent this session
        # "Now" for a pending transaction's history row: None, the real clock; a fixed one in
        # the screenshots (tui/services.py AttachedDemoServices), so they repeat exactly.
        self.clock: Callable[[], datetime] | None = None

    @staticmethod
    def key_of(network: str, account_id: int) -> str:
        return f"{network}:{account_id}"

    def __bool__(self) -> bool:
        return any(self.accounts.values())

    def keys(self) -> list[str]:
        return [self.key_of(n, a.id) for n, accts in self.accounts.items() for a in accts]

    def _split(self, key: str) -> tuple[UtxoNetwork, Account]:
        network, _, account_id = key.rpartition(":")
        for a in self.accounts.get(network, ()):
            if str(a.id) == account_id:
                return self.networks[network], a
        raise KeyError(f"no Bitcoin-like account {key}")

    def backend(self, network: str) -> UtxoBackend:
        if network not in self._backends:
            from wallet.backends import utxo_backend_for
            from wallet.server_certs import StorePins

            self._backends[network] = utxo_backend_for(
                self.networks[network],
                self.prefer,
                pins=StorePins(self.store),
                one_server=self.one_server,
                proxy=self.proxy,
            )
        return self._backends[network]

    def sources(self) -> dict[str, str]:
        """Network name -> the server its data comes from (host only, wallet.view.source_label),
        for the networks read so far."""
        from wallet.view import source_label

        out = {}
        for nid, backend in self._backends.items():
            label = source_label(getattr(backend, "source", None))
            if label is not None:
                out[self.networks[nid].name] = label
        return out

    def refused(self) -> list[ChainError]:
        """Servers not used because their pinned certificate changed (chains/cert_pins.py),
        even when another server answered: the user must hear of it."""
        return [e for b in self._backends.values() for e in getattr(b, "refused", {}).values()]

    def utxo_account(self, key: str) -> UtxoAccount:
        if key not in self._utxo_accounts:
            from wallet.utxo_sync import DEFAULT_GAP_LIMIT, UtxoAccount

            net, acct = self._split(key)
            if acct.watch_only and acct.xpub is not None and acct.path is None:
                # A watched xpub is stored without its path (the user gave only the key). The
                # path only names keys for signing, which a watched account never does.
                acct = replace(acct, path="m")
            gap = self.gap_limit or DEFAULT_GAP_LIMIT
            self._utxo_accounts[key] = UtxoAccount(
                self.store, acct, self.backend(net.id), gap_limit=gap
            )
        return self._utxo_accounts[key]

    def sender(self, key: str) -> UtxoSender:
        if key not in self._senders:
            from wallet.utxo_send import UtxoSender
            from wallet.utxo_sync import DEFAULT_GAP_LIMIT

            net, acct = self._split(key)
            if acct.watch_only and acct.xpub is not None and acct.path is None:
                acct = replace(acct, path="m")  # as in utxo_account(): builds PSBTs to export
            gap = self.gap_limit or DEFAULT_GAP_LIMIT
            self._senders[key] = UtxoSender(self.store, acct, self.backend(net.id), gap_limit=gap)
        return self._senders[key]

    def account(self, key: str) -> Account:
        return self._split(key)[1]

    def network(self, key: str) -> UtxoNetwork:
        return self._split(key)[0]

    # -- balances ----------------------------------------------------------------------------

    async def refresh(self) -> tuple[UtxoHolding, ...]:
        """Every account's balance, the networks side by side (one connection each)."""
        parts = await asyncio.gather(*(self._refresh_network(n) for n in self.networks))
        return tuple(h for part in parts for h in part)

    async def _refresh_network(self, network: str) -> list[UtxoHolding]:
        keys = [self.key_of(network, a.id) for a in self.accounts[network]]
        try:
            await self.resume(network)
        except (ChainError, ValueError):
            pass  # the rows below say why; resume is tried again on the next refresh
        out = await asyncio.gather(*(self._refresh_account(k) for k in keys))
        return list(out)

    async def _refresh_account(self, key: str) -> UtxoHolding:
        try:
            result = await self.utxo_account(key).sync()
        except (ChainError, ValueError) as exc:
            # ValueError: no server configured, or an account without an xpub (typed, coded)
            if getattr(exc, "code", None) is None:
                raise
            return self._stale(key, exc)
        self.results[key] = result
        return self._holding(key, result.total, result.unconfirmed, result.tip, result.as_of)

    def _holding(
        self,
        key: str,
        amount: int | None,
        unconfirmed: int | None,
        tip: int | None,
        as_of: datetime | None,
        *,
        error: Exception | None = None,
    ) -> UtxoHolding:
        net, acct = self._split(key)
        return UtxoHolding(
            key=key,
            network=net.id,
            network_name=net.name,
            symbol=net.symbol,
            decimals=net.decimals,
            account_id=acct.id,
            script=acct.script.value,
            account_index=acct.account_index,
            label=acct.label,
            watch_only=acct.watch_only,
            amount=amount,
            unconfirmed=unconfirmed,
            tip=tip,
            as_of=as_of,
            stale=error is not None,
            error=error,
        )

    def _stale(self, key: str, exc: Exception) -> UtxoHolding:
        """The last balance UtxoAccount saved for this account, if any."""
        net, acct = self._split(key)
        row = self.store.db.execute(
            "SELECT amount, block, as_of FROM balances WHERE network = ? AND address = ? "
            "AND asset = ?",
            (net.id, f"account:{acct.id}", f"{net.id}:native"),
        ).fetchone()
        if row is None:
            return self._holding(key, None, None, None, None, error=exc)
        return self._holding(
            key,
            int(row["amount"]),
            None,
            row["block"],
            datetime.fromisoformat(row["as_of"]),
            error=exc,
        )

    # -- start-up: what was signed but never sent ----------------------------------------------

    async def resume(self, network: str) -> list[str]:
        """Broadcast, once per session, what a crash left signed but unsent on `network`.
        Only once the server answers: broadcasting marks a failure as final, and a server
        that is down must not turn a signed payment into a failed one."""
        if network in self._resumed:
            return []
        pending = self.store.db.execute(
            "SELECT 1 FROM utxo_outgoing WHERE network = ? AND state = 'signed' LIMIT 1",
            (network,),
        ).fetchone()
        if pending is None:
            self._resumed.add(network)
            return []
        await self.backend(network).block_number()  # raises when the server is away
        self._resumed.add(network)
        sent: list[str] = []
        for acct in self.accounts[network]:
            sent += await self.sender(self.key_of(network, acct.id)).resume()
        self.resumed += sent
        return sent

    # -- sending -----------------------------------------------------------------------------

    async def fee_tiers(self, key: str) -> tuple[FeeTier, ...]:
        from wallet.utxo_send import fee_tiers

        return await fee_tiers(self.backend(self.network(key).id))

    def check_recipient(self, key: str, address: str) -> None:
        """AddressError (saying what is wrong) unless `address` can receive on this account's
        network: checked before anything else, a password prompt included."""
        from chains.utxo import address_to_script

        address_to_script(address.strip(), self.network(key))

    async def prepare_send(
        self,
        key: str,
        recipient: str,
        amount: int | None,
        tier: str,
        signer: object | None,
        coins: Sequence[str] | None = None,
    ) -> UtxoSendReview:
        """The review of a payment from account `key` (`amount` None: everything). Without a
        signer (a dry run) the PSBT names no key fingerprint: it is shown, never signed."""
        from wallet.utxo_send import FeeTierName, signer_fingerprint

        # A device answers its master key on the device thread: not on the event loop.
        fp = b"\0\0\0\0" if signer is None else await asyncio.to_thread(signer_fingerprint, signer)
        return await self.sender(key).prepare(
            recipient.strip(), amount, fp, tier=FeeTierName(tier), coins=coins
        )

    async def coin_rows(self, key: str) -> list[CoinRow]:
        """Coin control: the account's unspent outputs from a fresh sync, with labels, frozen
        and reserved (in a payment not yet settled) marks."""
        from wallet.coin_control import CoinControl
        from wallet.utxo_sync import reserved_outpoints

        result = await self.utxo_account(key).sync()
        self.results[key] = result
        net = self.network(key)
        reserved = reserved_outpoints(self.store, net.id)
        return CoinControl(self.store).rows(result.coins, net, reserved)

    async def prepare_export(
        self,
        key: str,
        recipient: str,
        amount: int | None,
        tier: str,
        signer: object | None,
        *,
        fee_rate: int | None = None,
        coins: Sequence[str] | None = None,
    ) -> UtxoSendReview:
        """An unsigned PSBT for another signer (an air-gapped device, another wallet). A
        watch-only xpub account names its own key as the BIP32 root (its paths are relative to
        it: that is all the wallet knows); other accounts name the signer's master key."""
        from wallet.utxo_send import FeeTierName, signer_fingerprint

        acct = self.account(key)
        if acct.watch_only:
            if acct.xpub is None:
                from wallet.utxo_send import SendError

                raise SendError(
                    Said(
                        "utxo_portfolio.watched_single_address_has",
                        "a watched single address has no keys a PSBT could name",
                    )
                )
            from embit import hashes
            from embit.bip32 import HDKey

            fp = bytes(hashes.hash160(HDKey.from_string(acct.xpub).key.sec())[:4])
        elif signer is None:
            fp = b"\0\0\0\0"
        else:
            fp = await asyncio.to_thread(signer_fingerprint, signer)
        return await self.sender(key).prepare(
            recipient.strip(),
            amount,
            fp,
            tier=FeeTierName(tier),
            fee_rate=fee_rate,
            for_export=True,
            coins=coins,
        )

    # -- speeding up (wallet/utxo_bump.py) ------------------------------------------------------

    def key_of_tx(self, txid: str) -> str | None:
        """The account (`key`) whose synced history holds `txid`; None when none does."""
        for network, accounts in self.accounts.items():
            for acct in accounts:
                row = self.store.db.execute(
                    "SELECT 1 FROM utxo_history WHERE account_id = ? AND network = ? AND txid = ?",
                    (acct.id, network, txid.strip().lower()),
                ).fetchone()
                if row is not None and not acct.watch_only:
                    return self.key_of(network, acct.id)
        return None

    def bumper(self, key: str) -> UtxoBumper:
        from wallet.utxo_bump import UtxoBumper

        return UtxoBumper(self.sender(key))

    async def prepare_bump(
        self,
        key: str,
        txid: str,
        kind: str,
        signer: object | None,
        *,
        tier: str = "fast",
        fee_rate: int | None = None,
    ) -> BumpReview:
        """The review of a replacement ('rbf') or a child ('cpfp') speeding up `txid`."""
        from wallet.utxo_send import FeeTierName, signer_fingerprint

        fp = b"\0\0\0\0" if signer is None else await asyncio.to_thread(signer_fingerprint, signer)
        bumper = self.bumper(key)
        prepare = bumper.prepare_rbf if kind == "rbf" else bumper.prepare_cpfp
        return await prepare(txid, fp, fee_rate=fee_rate, tier=FeeTierName(tier))

    # -- history -----------------------------------------------------------------------------

    async def sync_history(self, *, fresh: bool = False) -> list[SyncReport]:
        """Each network's transactions into the history store (the History screen and
        `termwallet history` read them there). Uses this session's syncs unless `fresh` or
        there is none yet; a network that cannot be reached is skipped (ChainError raised
        after the others are done)."""
        from wallet.history.sync import HistorySync, sources_for
        from wallet.history.utxo_source import account_label

        reports: list[SyncReport] = []
        failure: ChainError | None = None
        for network, accts in self.accounts.items():
            keys = [self.key_of(network, a.id) for a in accts if a.xpub is not None]
            if not keys:
                continue
            if not fresh and not all(k in self.results for k in keys):
                continue  # not read this session (e.g. the server is down): nothing new
            try:
                uas = [self.utxo_account(k) for k in keys]
            except ValueError:
                continue  # no server configured: the Assets rows say so
            results = (
                {}
                if fresh
                else {self.account(k).id: self.results[k] for k in keys if k in self.results}
            )
            net = self.networks[network].to_network()
            sources = sources_for(
                net,
                [net.native_asset],
                utxo_accounts=uas,
                utxo_results=results,
                utxo_clock=self._epoch_clock(),
            )
            labels = [account_label(ua) for ua in uas]
            try:
                reports.append(
                    await HistorySync(self.store, net, labels, sources, [net.native_asset]).run()
                )
            except ChainError as exc:
                failure = failure or exc
        if failure is not None:
            raise failure
        return reports

    def _epoch_clock(self) -> Callable[[], float] | None:
        clock = self.clock
        return None if clock is None else lambda: clock().timestamp()

    # -- receiving ---------------------------------------------------------------------------

    def receive(self, key: str) -> ReceiveInfo:
        """The first unused receiving address: from this session's sync when there was one,
        else from the saved state (`checked` False: the server could not be asked)."""
        from wallet.qr import payment_uri, receive_qr
        from wallet.utxo_keys import RECEIVE, AccountKeys, UtxoAccountError

        net, acct = self._split(key)
        result = self.results.get(key)
        if result is not None:
            address, checked, index = result.receive_address, True, result.receive_index
        else:
            if acct.xpub is None:
                raise UtxoAccountError(
                    Said(
                        "utxo_portfolio.watched_single_address_receive",
                        "a watched single address: receive on that address",
                    )
                )
            # Derived from the stored key, no server needed: the next after the last address
            # the previous sync saw used.
            row = self.store.db.execute(
                "SELECT MAX(idx) FROM utxo_addresses WHERE account_id = ? AND network = ? "
                "AND change = ? AND used = 1",
                (acct.id, net.id, RECEIVE),
            ).fetchone()
            index = 0 if row is None or row[0] is None else int(row[0]) + 1
            keys = AccountKeys(net, acct.script, acct.xpub, acct.path or "m")
            address, checked = keys.key(RECEIVE, index).address, False
        return ReceiveInfo(
            chain=net.id,
            path=None if acct.path is None else f"{acct.path}/{RECEIVE}/{index}",
            key=key,
            network_name=net.name,
            symbol=net.symbol,
            script=acct.script.value,
            address=address,
            uri=payment_uri(address, net),
            qr=receive_qr(address, net),
            checked=checked,
        )

    async def aclose(self) -> None:
        for backend in self._backends.values():
            await backend.aclose()
        self._backends.clear()


def wallet_utxo_networks(
    store: Store, configured: Sequence[str] | None, wallet_id: int | None = None
) -> list[str]:
    """The networks to show: the configured ones, else btc and ltc mainnet where the wallet
    (`wallet_id`, with the watch-only accounts; None: every account) has accounts for them."""
    if configured is not None:
        return list(dict.fromkeys(configured))
    rows = store.db.execute(
        "SELECT DISTINCT network FROM accounts WHERE network IN ('btc', 'ltc') "
        "AND (:w IS NULL OR wallet_id = :w OR watch_only = 1)",
        {"w": wallet_id},
    ).fetchall()
    have = {str(r[0]) for r in rows}
    return [n for n in ("btc", "ltc") if n in have]


def build_utxo_portfolio(
    store: Store,
    network_ids: Sequence[str],
    *,
    electrum_servers: dict[str, list[str]] | None = None,
    esplora_urls: dict[str, list[str]] | None = None,
    prefer: str = "electrum",
    gap_limit: int | None = None,
    wallet_id: int | None = None,
    one_server: bool = False,
    proxy: str | None = None,
) -> UtxoPortfolio:
    """The portfolio over the stored accounts of each network's family (regtest and testnet
    share the testnet accounts: same coin type, same keys)."""
    from wallet.accounts import AccountBook
    from wallet.backends import utxo_network_for

    nets = [utxo_network_for(n, electrum_servers, esplora_urls) for n in network_ids]
    every = AccountBook(store, wallet_id).list()
    accounts: dict[str, list[Account]] = {
        n.id: [a for a in every if a.family == n.family and a.script.value != "eth"] for n in nets
    }
    return UtxoPortfolio(
        store,
        nets,
        accounts,
        prefer=prefer,
        gap_limit=gap_limit,
        one_server=one_server,
        proxy=proxy,
    )
