"""Sending ETH and ERC-20 tokens: draft -> prepare (estimate, checks) -> review -> sign ->
store -> broadcast -> track. Speed-up and cancel build a replacement with the same nonce.

Order matters for crash safety (wallet/pending.py says why): the signed bytes are stored before
they are broadcast, and a nonce held by an open outbox row is never given to a new payment.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from chains.errors import InsufficientFunds
from chains.evm import (
    AlreadyKnown,
    EvmBackend,
    NonceUsed,
    TxRejected,
    erc20_transfer_data,
)
from chains.fees import FeeQuote, FeeTier, bumped, fee_concerns
from chains.models import Asset, Network
from devices.models import EvmTx
from said import Said
from wallet.addressbook import AddressBook
from wallet.node_check import check_nodes
from wallet.pending import NewEntry, Outbox, OutboxEntry, ReconcileReport, TxState
from wallet.safety import (
    RecipientWarning,
    WarningKind,
    parse_evm_address,
    recipient_warnings,
)
from wallet.send_checks import (
    NonceTaken,
    NothingToSend,
    NotPending,
    decode_signed,
    verify_signed,
)
from wallet.store import Store
from wallet.token_trust import FirstUse, check_against_node, first_use_of, remember

MAX: Literal["max"] = "max"
NATIVE_TRANSFER_GAS = 21_000
# An estimate is what the node's simulation used now; a token's transfer can cost a little more
# when mined (storage slots warm or cold). Unused gas is refunded: the margin costs nothing.
CONTRACT_GAS_MARGIN = (6, 5)  # x1.2
KILL_AT_ENV = "TERMWALLET_TEST_KILL_AT"


@dataclass(frozen=True)
class SendDraft:
    """What the user asked for. amount is base units of `asset`, or MAX."""

    recipient: str
    amount: int | Literal["max"]
    asset: Asset
    fee: FeeTier | FeeQuote = FeeTier.NORMAL


@dataclass(frozen=True)
class Review:
    """Everything the review screen shows and the signer signs, computed once."""

    network: Network
    sender: str
    path: str
    recipient: str  # who gets the asset
    asset: Asset
    amount: int
    fee: FeeQuote
    gas: int
    nonce: int
    tx: EvmTx
    native_balance: int
    asset_balance: int
    warnings: tuple[RecipientWarning, ...]
    contact: str | None = None  # the address book's name for the recipient
    kind: str = "send"  # send | speedup | cancel
    replaces: int | None = None
    fiat: None = None  # no price feed: the review says so rather than inventing a value
    # The RPC URL(s) the figures came from; with several configured, those that agreed on the
    # chain id and the latest block (wallet/node_check.py).
    nodes: tuple[str, ...] = ()
    # The token used for the first time: the review names its decimals and their source, and
    # signing keeps them as the token's truth (wallet/token_trust.py).
    first_use: FirstUse | None = None

    @property
    def high_fee(self) -> bool:
        """The fee is beyond what the network normally costs or what its blocks show: the CLI
        sends it only with --accept-high-fee, the app only on a second confirmation."""
        return any(w.kind is WarningKind.HIGH_FEE for w in self.warnings)

    @property
    def duplicate(self) -> str | None:
        """The hash of a pending (or just re-sent) payment of the same amount to the same
        recipient: the CLI refuses without --send-again, the app asks twice."""
        for w in self.warnings:
            if w.kind is WarningKind.DUPLICATE:
                return w.other
        return None

    @property
    def native(self) -> Asset:
        return Asset(
            network=self.network.id,
            symbol=self.network.native_symbol,
            name=self.network.native_symbol,
            decimals=self.network.native_decimals,
        )

    @property
    def max_fee(self) -> int:
        return self.gas * self.fee.max_fee_per_gas

    @property
    def likely_fee(self) -> int:
        return self.fee.likely_cost(self.gas)

    @property
    def total_native(self) -> int:
        """Most this can take from the native balance: value plus the maximum fee."""
        return self.tx.value + self.max_fee

    def device_view(self) -> tuple[tuple[str, str], ...]:
        """(label key, value) in the order a hardware wallet shows an EVM transaction (Trezor
        and Ledger: recipient, amount, max fee; a token transfer also names the contract)."""
        from chains.units import format_with_symbol

        view = [("to", self.recipient)]
        if self.asset.contract is not None:
            view.append(("token", self.asset.contract))
        view.append(
            (
                "amount",
                format_with_symbol(
                    self.amount, self.asset.decimals, self.asset.symbol, max_places=18
                ),
            )
        )
        native = self.native
        view.append(
            (
                "max_fee",
                format_with_symbol(self.max_fee, native.decimals, native.symbol, max_places=18),
            )
        )
        view.append(("chain", f"{self.network.name} ({self.network.evm_chain_id})"))
        view.append(("nonce", str(self.nonce)))
        return tuple(view)


def _kill_point(step: str) -> None:
    """The crash tests kill the process here (SIGKILL: no cleanup, no flush) to prove that
    every step can be recovered from. Inert unless the variable names this step."""
    if os.environ.get(KILL_AT_ENV) == step:
        os.kill(os.getpid(), signal.SIGKILL)


class EvmSender:
    def __init__(
        self,
        store: Store,
        network: Network,
        backend: EvmBackend,
        own_addresses: Sequence[str] = (),
    ) -> None:
        self.store = store
        self.network = network
        self.backend = backend
        self.outbox = Outbox(store)
        self.book = AddressBook(store)
        self.own = tuple(own_addresses)
        # Hashes this sender re-broadcast after a crash: the user may be retrying that very
        # payment, which the review then names (DUPLICATE) instead of paying twice.
        self.resent: set[str] = set()

    # -- prepare -----------------------------------------------------------------------------

    async def reconcile(self, *, rebroadcast: bool = True) -> ReconcileReport:
        report = await self.outbox.reconcile(self.backend, self.network.id, rebroadcast=rebroadcast)
        self.resent.update(h.lower() for h in report.rebroadcast)
        return report

    async def fee_options(self) -> Any:
        return await self.backend.fee_options()

    async def prepare(self, draft: SendDraft, sender: str, path: str) -> Review:
        parsed = parse_evm_address(draft.recipient)
        sender = parse_evm_address(sender).address
        recipient = parsed.address
        # Several RPC URLs configured: they must agree on the chain and the latest block.
        nodes = (await check_nodes(self.backend)).nodes
        if self.outbox.has_unsent(self.network.id):
            await self.reconcile()  # a crash left a signed transaction: settle it first
        asset = draft.asset
        native = Asset(
            network=self.network.id,
            symbol=self.network.native_symbol,
            name=self.network.native_symbol,
            decimals=self.network.native_decimals,
        )
        balances = await self.backend.balances(
            [sender], [native] if asset.contract is None else [native, asset]
        )
        native_balance = balances[0].amount
        asset_balance = balances[-1].amount
        fee = (
            draft.fee
            if isinstance(draft.fee, FeeQuote)
            else ((await self.backend.fee_options()).get(draft.fee))
        )
        is_contract = await self.backend.is_contract(recipient)
        probe = 1 if draft.amount == MAX else draft.amount
        # The token's decimals decide what the amount means: the node must agree with the list
        # or the stored first confirmation, or nothing is signed (the symbol is compared only
        # for a token the user added; a listed one shows the list's symbol, never the node's).
        await check_against_node(self.store, self.backend, asset)
        if asset.contract is None:
            to, data = recipient, b""
            gas = NATIVE_TRANSFER_GAS
            if is_contract:
                # A contract's receive code may depend on the value (WETH credits it).
                est_value = min(probe, max(native_balance - gas * fee.max_fee_per_gas, 0))
                gas = gas_with_margin(await self.backend.estimate_gas(sender, to, est_value, data))
        else:
            to = asset.contract
            # Estimated with the amount the user can actually send, so a too-large amount shows
            # as the clear balance error below rather than as the token's revert.
            est_amount = min(probe, asset_balance) if asset_balance else 0
            gas = gas_with_margin(
                await self.backend.estimate_gas(
                    sender, to, 0, erc20_transfer_data(recipient, est_amount)
                )
            )
        max_fee = gas * fee.max_fee_per_gas
        if draft.amount == MAX:
            amount = native_balance - max_fee if asset.contract is None else asset_balance
            if amount <= 0:
                raise NothingToSend(
                    Said(
                        "send.nothing_left_send_after",
                        "nothing left to send after the network fee (up to {max_fee} "
                        "base units of {symbol})",
                        max_fee=max_fee,
                        symbol=native.symbol,
                    ),
                    fee=max_fee,
                    have=native_balance,
                )
        else:
            amount = int(draft.amount)
            if amount <= 0:
                raise NothingToSend(
                    Said("send.amount_must_more_than", "the amount must be more than zero")
                )
        if asset.contract is None:
            if amount + max_fee > native_balance:
                raise InsufficientFunds(amount + max_fee, native_balance, native.symbol)
            value, data = amount, b""
        else:
            if amount > asset_balance:
                raise InsufficientFunds(amount, asset_balance, asset.symbol)
            if max_fee > native_balance:
                raise InsufficientFunds(max_fee, native_balance, native.symbol)
            value, data = 0, erc20_transfer_data(recipient, amount)
        nonce = await self.outbox.next_nonce(self.backend, self.network.id, sender)
        known = [c.address for c in self.book.list()] + self.outbox.recipients()
        warnings = recipient_warnings(
            parsed,
            is_contract=is_contract,
            token_contract=asset.contract,
            own=(*self.own, sender),
            known=known,
            sent_before=self.outbox.sent_to(self.network.id, recipient),
        )
        block_base = await self.backend.latest_base_fee()
        concerns = fee_concerns(
            fee,
            gas,
            network=self.network.id,
            block_base_fee=block_base,
            value=value if asset.contract is None else None,
        )
        warnings = (*warnings, *(RecipientWarning(WarningKind(c.value)) for c in concerns))
        for e in self.outbox.similar(self.network.id, sender, recipient, asset.key, amount):
            if e.nonce == nonce:
                continue  # the same nonce: at most one of the two can ever be mined
            if e.watched or e.tx_hash.lower() in self.resent:
                warnings = (*warnings, RecipientWarning(WarningKind.DUPLICATE, e.tx_hash))
                break
        contact = self.book.find(self.network.id, recipient)
        tx = self._tx(nonce, gas, to, value, data, fee)
        return Review(
            network=self.network,
            sender=sender,
            path=path,
            recipient=recipient,
            asset=asset,
            amount=amount,
            fee=fee,
            gas=gas,
            nonce=nonce,
            tx=tx,
            native_balance=native_balance,
            asset_balance=asset_balance,
            warnings=warnings,
            contact=contact.label if contact else None,
            nodes=nodes,
            first_use=first_use_of(self.store, asset),
        )

    def _tx(self, nonce: int, gas: int, to: str, value: int, data: bytes, fee: FeeQuote) -> EvmTx:
        assert self.network.evm_chain_id is not None
        return EvmTx(
            chain_id=self.network.evm_chain_id,
            nonce=nonce,
            gas=gas,
            to=to,
            value=value,
            data=data,
            max_fee_per_gas=fee.max_fee_per_gas,
            max_priority_fee_per_gas=fee.max_priority_fee_per_gas,
        )

    # -- sign, store, broadcast --------------------------------------------------------------

    async def sign_and_send(self, review: Review, signer: Any) -> OutboxEntry:
        """Sign on the signer, store the signed bytes, then broadcast. Returns the outbox row
        (state 'broadcast'; a node error after storing leaves it 'signed' and re-raises)."""
        signature = await asyncio.to_thread(signer.sign_evm_tx, review.path, review.tx)
        raw = bytes(signature.raw_transaction)
        tx_hash = "0x" + bytes(signature.tx_hash).hex()
        verify_signed(raw, review)
        _kill_point("signed")
        try:
            entry = self.outbox.record(
                NewEntry(
                    network=self.network.id,
                    chain_id=review.tx.chain_id,
                    sender=review.sender,
                    nonce=review.nonce,
                    tx_hash=tx_hash,
                    raw_tx=raw,
                    kind=review.kind,
                    recipient=review.recipient,
                    asset=review.asset.key,
                    amount=review.amount,
                    gas=review.gas,
                    max_fee_per_gas=review.fee.max_fee_per_gas,
                    max_priority_fee_per_gas=review.fee.max_priority_fee_per_gas,
                    replaces=review.replaces,
                )
            )
        except sqlite3.IntegrityError:
            raise NonceTaken(
                Said(
                    "send.another_payment_already_holds",
                    "another payment already holds nonce {nonce}: review the send again",
                    nonce=review.nonce,
                )
            ) from None
        _kill_point("stored")
        if review.first_use is not None:
            remember(self.store, review.first_use)  # signed as reviewed: its decimals hold
        return await self.broadcast(entry)

    async def broadcast(self, entry: OutboxEntry) -> OutboxEntry:
        try:
            await self.backend.broadcast(entry.raw_tx)
        except AlreadyKnown:
            pass
        except NonceUsed:
            # Mined already (a re-broadcast), or the nonce went to something else: settle it.
            await self.reconcile(rebroadcast=False)
            entry = self.outbox.get(entry.id)
            if entry.open:
                raise
            return entry
        except TxRejected as exc:
            # Refused: but a node's word is not the chain's (a hostile one forwards the bytes
            # and says "insufficient funds"). 'unknown' is watched by hash and nonce until the
            # chain settles it, is not re-broadcast, and leaves its nonce to the next payment,
            # so a refused send blocks nothing and at most one of the two can ever be mined.
            self.outbox.mark(entry.id, TxState.UNKNOWN, error=exc.reason[:200])
            exc.details["tx_hash"] = entry.tx_hash
            raise
        _kill_point("broadcast")
        self.outbox.mark(entry.id, TxState.BROADCAST)
        _kill_point("marked")
        return self.outbox.get(entry.id)

    # -- track -------------------------------------------------------------------------------

    async def wait(
        self, entry: OutboxEntry, *, timeout: float = 120.0, poll: float = 1.0
    ) -> OutboxEntry:
        """Poll until this send (or one of its replacements) is settled, or the timeout."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            await self.reconcile(rebroadcast=False)
            fresh = self.outbox.get(entry.id)
            if not fresh.open:
                return fresh
            if loop.time() >= deadline:
                return fresh
            await asyncio.sleep(poll)

    # -- speed up, cancel --------------------------------------------------------------------

    async def replacement(
        self, entry_id: int, kind: Literal["speedup", "cancel"], path: str
    ) -> Review:
        """A review for a replacement of a pending send: same nonce, fees bumped so nodes take
        it. Speed-up sends the same payment; cancel sends nothing to ourselves."""
        base = self.outbox.get(entry_id)
        await self.reconcile(rebroadcast=False)
        family = self.outbox.siblings(base)
        if not any(e.open for e in family):
            raise NotPending(
                Said(
                    "send.transaction_no_longer_pending",
                    "this transaction is no longer pending: nothing to replace",
                )
            )
        newest = max((e for e in family if e.open), key=lambda e: e.id)
        options = await self.backend.fee_options()
        fast = options.fast
        max_fee, tip = bumped(newest.max_fee_per_gas, newest.max_priority_fee_per_gas, fast)
        fee = FeeQuote(FeeTier.CUSTOM, max_fee, tip, fast.base_fee)
        original = self.outbox.get(newest.id)
        decoded = decode_signed(original.raw_tx)
        if kind == "cancel":
            to, value, data, gas = base.sender, 0, b"", NATIVE_TRANSFER_GAS
            recipient, amount = base.sender, 0
        else:
            to, value, data, gas = decoded["to"], decoded["value"], decoded["data"], original.gas
            recipient, amount = original.recipient, original.amount
        tx = self._tx(base.nonce, gas, to, value, data, fee)
        balances = await self.backend.balances([base.sender], [self.network.native_asset])
        have = balances[0].amount
        if value + gas * max_fee > have:
            raise InsufficientFunds(value + gas * max_fee, have, self.network.native_symbol)
        asset = self.network.native_asset if kind == "cancel" else self._asset_of(original)
        review = Review(
            network=self.network,
            sender=base.sender,
            path=path,
            recipient=recipient,
            asset=asset,
            amount=amount,
            fee=fee,
            gas=gas,
            nonce=base.nonce,
            tx=tx,
            native_balance=have,
            asset_balance=have,
            warnings=(),
            kind=kind,
            replaces=newest.id,
        )
        return review

    def _asset_of(self, entry: OutboxEntry) -> Asset:
        contract = entry.asset.split(":", 1)[1]
        if contract == "native":
            return self.network.native_asset
        row = self.store.db.execute(
            "SELECT symbol, name, decimals FROM user_tokens WHERE network = ? AND contract = ?",
            (self.network.id, contract),
        ).fetchone()
        from chains.tokens import find_listed

        listed = find_listed(self.network.id, contract)
        if listed is not None:
            return listed
        if row is not None:
            return Asset(
                network=self.network.id,
                symbol=row["symbol"],
                name=row["name"],
                decimals=int(row["decimals"]),
                contract=contract,
            )
        return Asset(
            network=self.network.id, symbol="?", name="token", decimals=0, contract=contract
        )


def gas_with_margin(gas: int) -> int:
    """A gas estimate plus the contract-call safety margin, rounded up."""
    num, den = CONTRACT_GAS_MARGIN
    return -(-gas * num // den)
