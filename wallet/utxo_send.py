"""Send on Bitcoin and Litecoin: prepare (sync, fee tier, coin selection, PSBT) -> review ->
sign (any Signer's sign_psbt: software now, devices the same PSBT) -> store -> broadcast ->
track. RBF is on by default.

The signed transaction is written to the store before it is broadcast, with its inputs; until
it settles those inputs are not selected again, and `resume()` broadcasts again anything that
was signed but never confirmed sent (a crash between the two steps loses nothing and, as the
same transaction is sent, cannot pay twice).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from chains.coin_selection import select_coins
from chains.errors import ChainError, InsufficientFunds
from chains.utxo import (
    ChangeOutput,
    UnsignedPsbt,
    UtxoBackend,
    address_to_script,
    build_psbt,
    finalize_psbt,
    txid_of,
)
from chains.utxo_fees import UtxoFeeConcern, fee_rate_concerns, next_block_rate
from said import Said
from wallet.accounts import Account
from wallet.coin_control import CoinControl
from wallet.store import Store
from wallet.utxo_sync import (
    DEFAULT_GAP_LIMIT,
    SyncResult,
    UtxoAccount,
    reserved_outpoints,
    transaction,
)


class FeeTierName(StrEnum):
    SLOW = "slow"
    NORMAL = "normal"
    FAST = "fast"


# Confirmation targets (blocks) each tier asks the server about.
TIER_TARGETS = {FeeTierName.FAST: 2, FeeTierName.NORMAL: 6, FeeTierName.SLOW: 25}


@dataclass(frozen=True)
class FeeTier:
    name: FeeTierName
    target_blocks: int
    sat_per_vb: int
    estimated: bool  # False: the server had no estimate and the relay floor is used


class SendError(ChainError):
    code = "UTXO_SEND"


class HighFeeNotAccepted(SendError):
    """The review flagged the fee rate as far above the evidence and the caller did not pass
    the user's explicit acceptance: nothing is signed."""

    code = "UTXO_HIGH_FEE"


@dataclass(frozen=True)
class UtxoSendReview:
    """What the review screen shows; `unsigned` goes to the signer unchanged."""

    network: str
    symbol: str
    decimals: int
    account_id: int
    recipient: str
    amount: int
    fee: int
    fee_rate: int  # sat/vB asked for
    vsize: int  # estimated
    change: int
    inputs: int
    rbf: bool
    unsigned: UnsignedPsbt
    # What is wrong with the fee (chains/utxo_fees.py): HIGH needs the user's explicit word.
    fee_concerns: tuple[UtxoFeeConcern, ...] = ()
    # The rate the next block needs by the server's mempool histogram (sat/vB); None: the
    # server gave none, and only the coin's typical ceiling bounds the rate.
    next_block_rate: int | None = None

    @property
    def total(self) -> int:
        return self.amount + self.fee

    @property
    def high_fee(self) -> bool:
        return UtxoFeeConcern.HIGH in self.fee_concerns


@dataclass(frozen=True)
class SignedUtxoTx:
    id: int  # row in utxo_outgoing
    network: str
    txid: str
    raw: bytes


class TxState(StrEnum):
    SIGNED = "signed"
    BROADCAST = "broadcast"
    CONFIRMED = "confirmed"
    FAILED = "failed"
    REPLACED = "replaced"


@dataclass(frozen=True)
class TxStatus:
    txid: str
    state: TxState
    height: int | None
    confirmations: int


async def fee_tiers(backend: UtxoBackend) -> tuple[FeeTier, ...]:
    """Slow / normal / fast in sat/vB from the server's estimates; each at least the relay
    floor and never below a slower tier."""
    est = await backend.fee_estimates(sorted(set(TIER_TARGETS.values())))
    tiers: list[FeeTier] = []
    below = est.floor
    for name in (FeeTierName.SLOW, FeeTierName.NORMAL, FeeTierName.FAST):
        target = TIER_TARGETS[name]
        rate = est.by_target.get(target)
        below = max(below, rate or est.floor)
        tiers.append(FeeTier(name, target, below, rate is not None))
    return tuple(tiers)


async def _next_block_rate(backend: UtxoBackend, floor: int) -> int | None:
    """The next block's rate from the server's mempool histogram. A server that has no
    histogram (an Esplora without /mempool) leaves only the ceiling as the bound: the review
    says so (next_block_rate None) rather than the send failing."""
    from chains.errors import NodeUnreachable

    try:
        histogram = await backend.fee_histogram()
    except NodeUnreachable:
        raise
    except ChainError:
        return None
    return next_block_rate(histogram, floor)


def signer_fingerprint(signer: Any) -> bytes:
    """The master key fingerprint a signer signs PSBT inputs for (BIP32), from its master
    public key: every Signer can give that."""
    fp = getattr(signer, "fingerprint", None)
    if isinstance(fp, bytes) and len(fp) == 4:
        return fp
    from embit import hashes
    from embit.bip32 import HDKey

    master = HDKey.from_string(signer.get_xpub("m"))
    return bytes(hashes.hash160(master.key.sec())[:4])


class UtxoSender:
    def __init__(
        self,
        store: Store,
        account: Account,
        backend: UtxoBackend,
        *,
        gap_limit: int = DEFAULT_GAP_LIMIT,
    ) -> None:
        self.store = store
        self.account = account
        self.backend = backend
        self.network = backend.network
        self.utxo_account = UtxoAccount(store, account, backend, gap_limit=gap_limit)
        self.last_sync: SyncResult | None = None

    async def prepare(
        self,
        recipient: str,
        amount: int | None,
        fingerprint: bytes,
        *,
        fee_rate: int | None = None,
        tier: FeeTierName = FeeTierName.NORMAL,
        rbf: bool = True,
        for_export: bool = False,
        coins: Sequence[str] | None = None,
    ) -> UtxoSendReview:
        """Build the unsigned PSBT. `amount` None sends everything (less the fee).
        `for_export`: the PSBT goes to a signer elsewhere, so a watch-only account may make it.
        `coins` (outpoints) spends exactly those coins (coin control; with `amount` None: send
        max from them); otherwise selection picks among the coins that are not frozen."""
        if self.account.watch_only and not for_export:
            raise SendError(
                Said(
                    "utxo_send.watch_only_account_cannot",
                    "a watch-only account cannot send: it has no keys to sign with",
                )
            )
        net = self.network
        script = address_to_script(recipient, net)
        if amount is not None and amount <= 0:
            raise SendError(
                Said("utxo_send.amount_must_more_than", "the amount must be more than zero")
            )
        if fee_rate is None:
            rates = {t.name: t.sat_per_vb for t in await fee_tiers(self.backend)}
            fee_rate = rates[tier]
        if fee_rate < net.min_fee_rate:
            raise SendError(
                Said(
                    "utxo_send.fee_rate_must_at",
                    "the fee rate must be at least {min_fee_rate} sat/vB",
                    min_fee_rate=net.min_fee_rate,
                )
            )
        synced = await self.utxo_account.sync()
        self.last_sync = synced
        reserved = reserved_outpoints(self.store, net.id)
        available = [c for c in synced.coins if c.outpoint not in reserved]
        control = CoinControl(self.store)
        if coins is not None:
            spend = control.chosen(available, coins)
        else:
            spend = control.spendable(available)  # frozen coins are never picked
        change_key = synced.change_key
        try:
            selection = select_coins(
                spend,
                [(script, amount or 0)],
                fee_rate,
                change_key.script,
                dust_limit=net.dust_limit,
                symbol=net.symbol,
                send_max=amount is None,
                use_all=coins is not None,
            )
        except InsufficientFunds as exc:
            # Say how much is frozen: "the account has X" alone hides coins the user can see.
            if coins is None:
                exc.frozen = sum(c.value for c in available) - exc.have  # type: ignore[attr-defined]
            raise
        if amount is None:
            amount = sum(c.value for c in selection.coins) - selection.fee
        change = (
            ChangeOutput(
                change_key.script,
                selection.change,
                change_key.path,
                change_key.pubkey,
                self.utxo_account.keys.kind,
            )
            if selection.change
            else None
        )
        # Anti fee-sniping (as Bitcoin Core): only valid from the next block on.
        unsigned = build_psbt(
            selection, [(script, amount)], change, fingerprint, locktime=synced.tip, rbf=rbf
        )
        next_block = await _next_block_rate(self.backend, net.min_fee_rate)
        concerns = fee_rate_concerns(
            fee_rate, unsigned.fee, amount, network=net.id, next_block=next_block
        )
        return UtxoSendReview(
            fee_concerns=concerns,
            next_block_rate=next_block,
            network=net.id,
            symbol=net.symbol,
            decimals=net.decimals,
            account_id=self.account.id,
            recipient=recipient,
            amount=amount,
            fee=unsigned.fee,
            fee_rate=fee_rate,
            vsize=unsigned.vsize,
            change=selection.change,
            inputs=len(selection.coins),
            rbf=rbf,
            unsigned=unsigned,
        )

    def sign(
        self, review: UtxoSendReview, signer: Any, *, accept_high_fee: bool = False
    ) -> SignedUtxoTx:
        """Have the signer sign the PSBT (on the device thread when it is a device), finalize,
        and store it before anything is sent. A fee the review flagged as high is signed only
        with the user's explicit word (accept_high_fee)."""
        if review.high_fee and not accept_high_fee:
            raise HighFeeNotAccepted(
                Said(
                    "utxo_send.fee_rate_sat_vb",
                    "the fee rate ({fee_rate} sat/vB) is far above this "
                    "network's usual range or what the server's own mempool "
                    "needs (the server may be lying or broken): nothing was "
                    "signed. Check it, try another server, or accept that fee "
                    "explicitly",
                    fee_rate=review.fee_rate,
                )
            )
        signed_psbt = signer.sign_psbt(review.unsigned.psbt, self.network.id)
        raw = finalize_psbt(signed_psbt, review.unsigned)
        self._check(raw, review)
        txid = txid_of(raw)
        # The same payment signed again after its broadcast failed is the very same
        # transaction (same coins, outputs and locktime: the same txid): its failed row
        # becomes 'signed' again instead of a second row (which the txid forbids). The
        # same transaction can be mined at most once, so this never pays twice.
        with transaction(self.store.db):
            self.store.db.execute(
                "INSERT INTO utxo_outgoing(account_id, network, txid, raw, psbt, inputs, "
                "recipient, amount, fee, fee_rate, state, created_at) "
                "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'signed', ?) "
                "ON CONFLICT(network, txid) DO UPDATE SET state = 'signed', last_error = NULL, "
                "raw = excluded.raw, psbt = excluded.psbt WHERE utxo_outgoing.state = 'failed'",
                (
                    self.account.id,
                    self.network.id,
                    txid,
                    raw,
                    bytes(signed_psbt),
                    json.dumps([c.outpoint for c in review.unsigned.inputs]),
                    review.recipient,
                    str(review.amount),
                    str(review.fee),
                    review.fee_rate,
                    datetime.now(UTC).isoformat(),
                ),
            )
            row = self.store.db.execute(
                "SELECT id FROM utxo_outgoing WHERE network = ? AND txid = ?",
                (self.network.id, txid),
            ).fetchone()
        return SignedUtxoTx(int(row["id"]), self.network.id, txid, raw)

    def _check(self, raw: bytes, review: UtxoSendReview) -> None:
        """The finalized transaction pays what the review showed, and nothing else."""
        from chains.utxo import parse_tx

        tx = parse_tx(raw)
        want = {(address_to_script(review.recipient, self.network), review.amount)}
        if review.unsigned.change is not None:
            want.add((review.unsigned.change.script, review.unsigned.change.value))
        got = {(o.script_pubkey.data, int(o.value)) for o in tx.vout}
        if got != want or len(tx.vout) != len(want):
            raise SendError(
                Said(
                    "utxo_send.signed_transaction_s_outputs",
                    "the signed transaction's outputs differ from the review",
                )
            )

    async def broadcast(self, signed: SignedUtxoTx) -> str:
        """Send the signed transaction. Only a real refusal marks it failed: when the server
        cannot be reached it stays signed (resume() sends it later), and when the server
        already has it (sent before a crash, or mined) it counts as sent."""
        from chains.errors import NodeUnreachable

        try:
            txid = await self.backend.broadcast(signed.raw)
        except NodeUnreachable as exc:
            self._set_state(signed.id, TxState.SIGNED, error=str(exc)[:500])
            raise
        except ChainError as exc:
            if _already_known(exc) or await self._server_has(signed.txid):
                self._set_state(signed.id, TxState.BROADCAST)
                return signed.txid
            if getattr(exc, "code", "") == "RATE_LIMITED":
                self._set_state(signed.id, TxState.SIGNED, error=str(exc)[:500])
                raise
            self._set_state(signed.id, TxState.FAILED, error=str(exc)[:500])
            raise
        self._set_state(signed.id, TxState.BROADCAST)
        return txid

    async def _server_has(self, txid: str) -> bool:
        """Whether the server knows the transaction (in its mempool or a block)."""
        try:
            return bool((await self.backend.transactions([txid])).get(txid))
        except ChainError:
            return False

    def _set_state(self, row: int, state: TxState, *, error: str | None = None) -> None:
        now = datetime.now(UTC).isoformat()
        with transaction(self.store.db):
            self.store.db.execute(
                "UPDATE utxo_outgoing SET state = ?, last_error = ?, "
                "broadcast_at = CASE WHEN ? = 'broadcast' THEN ? ELSE broadcast_at END "
                "WHERE id = ?",
                (state.value, error, state.value, now, row),
            )

    async def resume(self) -> list[str]:
        """Broadcast again what was signed but not confirmed sent (after a crash)."""
        rows = self.store.db.execute(
            "SELECT id, txid, raw FROM utxo_outgoing WHERE network = ? AND account_id = ? "
            "AND state = 'signed'",
            (self.network.id, self.account.id),
        ).fetchall()
        done = []
        for r in rows:
            done.append(
                await self.broadcast(
                    SignedUtxoTx(int(r["id"]), self.network.id, r["txid"], bytes(r["raw"]))
                )
            )
        return done

    async def status(self, txid: str) -> TxStatus:
        """Where one of our transactions is, from a fresh sync."""
        synced = await self.utxo_account.sync()
        self.last_sync = synced
        rec = next((h for h in synced.history if h.txid == txid), None)
        row = self.store.db.execute(
            "SELECT state FROM utxo_outgoing WHERE network = ? AND txid = ?",
            (self.network.id, txid),
        ).fetchone()
        if rec is None:
            state = TxState(row["state"]) if row else TxState.FAILED
            return TxStatus(txid, state, None, 0)
        if rec.height > 0:
            return TxStatus(txid, TxState.CONFIRMED, rec.height, rec.confirmations)
        return TxStatus(txid, TxState.BROADCAST, None, 0)


def _already_known(exc: Exception) -> bool:
    """The node's words for "I have this one already" (Bitcoin Core, Litecoin Core, Esplora)."""
    text = str(exc).lower()
    return any(
        marker in text
        for marker in ("txn-already-known", "txn-already-in-mempool", "already in block chain",
                       "transaction already in block chain", "already known")
    )  # fmt: skip
