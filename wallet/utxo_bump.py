"""Speeding up an unconfirmed Bitcoin/Litecoin transaction: replace-by-fee (BIP125) for our own
payments, child-pays-for-parent for any unconfirmed transaction with an output of ours.

Both build an ordinary PSBT (chains/utxo.build_psbt) that every Signer signs the same way as a
send: software, device, the SSH agent. The review (BumpReview) says the old fee, the new fee
and what changes before anything is signed; signing stores the transaction in utxo_outgoing
before broadcast, as a send does (UtxoSender.broadcast then resume() cover a crash).

RBF keeps every payment output as it was and takes the extra fee from our change. When there
is no change, or it is too small, confirmed coins of ours are added (BIP125 rule 2: a
replacement adds no unconfirmed input); with none, it is refused and CPFP is suggested.

The replacement must pay at least the old fee plus the incremental relay fee for its own size
(BIP125 rule 4) and a higher fee rate than the original (Bitcoin Core's rule 6). The incremental
relay fee is taken as the server's relay floor (1 sat/vB on Bitcoin and Litecoin Core), never
below the network's minimum.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from chains.coin_selection import Coin, Selection, estimate_vsize
from chains.errors import ChainError
from chains.utxo import (
    ChangeOutput,
    UnsignedPsbt,
    build_psbt,
    finalize_psbt,
    parse_tx,
    script_to_address,
    txid_of,
    vsize_of,
)
from said import Said
from wallet.utxo_keys import CHANGE, AddressKey
from wallet.utxo_send import (
    FeeTierName,
    SignedUtxoTx,
    TxState,
    UtxoSender,
    fee_tiers,
)
from wallet.utxo_sync import SyncResult, UtxoTxRecord, reserved_outpoints, transaction

FINAL_SEQUENCE = 0xFFFFFFFE  # at or above: the input does not signal BIP125


class BumpError(ChainError):
    code = "UTXO_BUMP"


class BumpKind(StrEnum):
    RBF = "rbf"
    CPFP = "cpfp"


@dataclass(frozen=True)
class BumpReview:
    """What the review shows before signing; `unsigned` goes to the signer unchanged.

    RBF: `old_*` describe the transaction replaced, `new_*` its replacement.
    CPFP: `old_*` describe the parent alone, `new_*` the parent and child together (the
    package), `child_fee` what the child pays."""

    kind: BumpKind
    network: str
    symbol: str
    decimals: int
    account_id: int
    txid: str  # the transaction sped up
    old_fee: int
    old_vsize: int
    new_fee: int
    new_vsize: int
    fee_rate: int  # sat/vB asked for
    min_fee_rate: int  # the least rate that would have been accepted (sat/vB)
    old_change: int  # RBF: change before (0: none); CPFP: value of our outputs spent
    new_change: int  # RBF: change after; CPFP: what comes back to us
    added_inputs: int  # RBF: confirmed coins of ours added to pay the fee
    recipient: str  # RBF: the payment's recipient (unchanged); CPFP: our own address
    amount: int  # RBF: the payment's amount (unchanged); CPFP: what comes back to us
    unsigned: UnsignedPsbt
    payments: tuple[tuple[bytes, int], ...]  # outputs that are not our change, unchanged

    @property
    def child_fee(self) -> int:
        return self.new_fee - self.old_fee if self.kind is BumpKind.CPFP else 0

    @property
    def fee_increase(self) -> int:
        return self.new_fee - self.old_fee

    @property
    def old_rate(self) -> Decimal:
        return (Decimal(self.old_fee) / Decimal(self.old_vsize)).quantize(Decimal("0.1"))

    @property
    def new_rate(self) -> Decimal:
        return (Decimal(self.new_fee) / Decimal(self.new_vsize)).quantize(Decimal("0.1"))


def _signals_rbf(tx: Any) -> bool:
    return any(int(i.sequence) < FINAL_SEQUENCE for i in tx.vin)


class UtxoBumper:
    """Fee bumps for one account, on top of its UtxoSender (same store, backend, keys)."""

    def __init__(self, sender: UtxoSender) -> None:
        self.sender = sender
        self.store = sender.store
        self.network = sender.network
        self.account = sender.account
        self.utxo_account = sender.utxo_account

    # --- shared ------------------------------------------------------------------------------

    async def _rates(self, fee_rate: int | None, tier: FeeTierName) -> tuple[int, int]:
        """(the rate asked for, the incremental relay fee), sat/vB."""
        est = await self.sender.backend.fee_estimates([2])
        incremental = max(est.floor, self.network.min_fee_rate, 1)
        if fee_rate is None:
            fee_rate = {t.name: t.sat_per_vb for t in await fee_tiers(self.sender.backend)}[tier]
        if fee_rate < self.network.min_fee_rate:
            raise BumpError(
                Said(
                    "utxo_bump.fee_rate_must_at",
                    "the fee rate must be at least {min_fee_rate} sat/vB",
                    min_fee_rate=self.network.min_fee_rate,
                )
            )
        return fee_rate, incremental

    async def _pending(self, txid: str) -> tuple[SyncResult, UtxoTxRecord, bytes]:
        txid = txid.strip().lower()
        synced = await self.utxo_account.sync()
        self.sender.last_sync = synced
        rec = next((h for h in synced.history if h.txid == txid), None)
        if rec is None:
            raise BumpError(
                Said(
                    "utxo_bump.transaction_not_one_account",
                    "transaction {txid}... is not one of this account's: only "
                    "a transaction that pays from or to this account can be sped "
                    "up here",
                    txid=txid[:16],
                )
            )
        if rec.confirmed:
            raise BumpError(
                Said(
                    "utxo_bump.transaction_already_confirmed_block",
                    "transaction {txid}... is already confirmed (block "
                    "{height}): there is nothing to speed up",
                    txid=txid[:16],
                    height=rec.height,
                )
            )
        return synced, rec, self._raw(txid)

    def _raw(self, txid: str) -> bytes:
        row = self.store.db.execute(
            "SELECT raw FROM utxo_transactions WHERE network = ? AND txid = ?",
            (self.network.id, txid),
        ).fetchone()
        if row is None:
            raise BumpError(
                Said(
                    "utxo_bump.transaction_not_stored_sync",
                    "transaction {txid}... is not stored: sync and try again",
                    txid=txid[:16],
                )
            )
        return bytes(row["raw"])

    def _our_key(self, script: bytes) -> AddressKey | None:
        address = script_to_address(script, self.network)
        if address is None:
            return None
        row = self.store.db.execute(
            "SELECT change, idx FROM utxo_addresses WHERE account_id = ? AND network = ? "
            "AND address = ?",
            (self.account.id, self.network.id, address),
        ).fetchone()
        if row is None:
            return None
        key = self.utxo_account.keys.key(int(row["change"]), int(row["idx"]))
        return key if key.script == script else None  # derived again, not taken on trust

    def _coin(self, txid: str, vout: int) -> Coin | None:
        """Our output txid:vout as a Coin (with its previous transaction for devices)."""
        try:
            raw = self._raw(txid)
        except BumpError:
            return None
        out = parse_tx(raw).vout[vout]
        key = self._our_key(out.script_pubkey.data)
        if key is None:
            return None
        return Coin(
            txid=txid,
            vout=vout,
            value=int(out.value),
            height=0,
            script=key.script,
            kind=self.utxo_account.keys.kind,
            path=key.path,
            pubkey=key.pubkey,
            prev_tx=raw,
        )

    def _change_output(self, key: AddressKey, value: int) -> ChangeOutput:
        return ChangeOutput(key.script, value, key.path, key.pubkey, self.utxo_account.keys.kind)

    # --- RBF ---------------------------------------------------------------------------------

    async def prepare_rbf(
        self,
        txid: str,
        fingerprint: bytes,
        *,
        fee_rate: int | None = None,
        tier: FeeTierName = FeeTierName.FAST,
    ) -> BumpReview:
        """The replacement of our unconfirmed `txid` paying `fee_rate` (or the tier's rate)."""
        if self.account.watch_only:
            raise BumpError(
                Said(
                    "utxo_bump.watch_only_account_cannot",
                    "a watch-only account cannot sign a replacement: it has no keys",
                )
            )
        synced, rec, raw = await self._pending(txid)
        txid = rec.txid
        tx = parse_tx(raw)
        inputs: list[Coin] = []
        for vin in tx.vin:
            coin = self._coin(vin.txid.hex(), int(vin.vout))
            if coin is None:
                raise BumpError(
                    Said(
                        "utxo_bump.transaction_was_not_sent",
                        "transaction {txid}... was not sent by this account (an "
                        "input is not ours), so only its sender can replace it: use "
                        "CPFP (`termwallet cpfp`) to speed up what it pays us",
                        txid=txid[:16],
                    )
                )
            inputs.append(coin)
        if not _signals_rbf(tx):
            raise BumpError(
                Said(
                    "utxo_bump.transaction_did_not_signal",
                    "transaction {txid}... did not signal replace-by-fee "
                    "(BIP125) when it was sent: nodes will not take a "
                    "replacement. Use CPFP on its change instead",
                    txid=txid[:16],
                )
            )
        old_fee = sum(c.value for c in inputs) - sum(int(o.value) for o in tx.vout)
        old_vsize = vsize_of(raw)
        rate, incremental = await self._rates(fee_rate, tier)

        # The change: an output to our change chain (the largest, if the payment paid us too).
        change_at: int | None = None
        change_key: AddressKey | None = None
        for n, out in enumerate(tx.vout):
            key = self._our_key(out.script_pubkey.data)
            if key is not None and key.change == CHANGE:
                if change_at is None or int(out.value) > int(tx.vout[change_at].value):
                    change_at, change_key = n, key
        payments = tuple(
            (bytes(o.script_pubkey.data), int(o.value))
            for n, o in enumerate(tx.vout)
            if n != change_at
        )
        if not payments:
            raise BumpError(
                Said(
                    "utxo_bump.transaction_only_moves_coins",
                    "transaction {txid}... only moves coins between this "
                    "account's own change addresses: use CPFP to speed it up",
                    txid=txid[:16],
                )
            )
        old_change = int(tx.vout[change_at].value) if change_at is not None else 0
        if change_key is None:
            change_key = synced.change_key
        pay_scripts = [s for s, _ in payments]
        pay_total = sum(v for _, v in payments)
        kinds = [c.kind for c in inputs]
        # The least acceptable rate for this shape (no coin added, change kept).
        shape = estimate_vsize(kinds, [*pay_scripts, change_key.script])
        least = max(-(-(old_fee + incremental * shape) // shape), old_fee // old_vsize + 1)
        if fee_rate is None:
            # A tier's rate below what a replacement must pay (estimates lag, or the server
            # has none): the least acceptable rate, which the review shows.
            rate = max(rate, least)
        if rate < least:
            raise BumpError(
                Said(
                    "utxo_bump.fee_rate_sat_vb",
                    "a fee rate of {rate} sat/vB does not beat the current one "
                    "({old_rate} sat/vB, fee {old_fee}): "
                    "BIP125 asks for more, at least {least} sat/vB here",
                    rate=rate,
                    old_rate=format(Decimal(old_fee) / Decimal(old_vsize), ".1f"),
                    old_fee=old_fee,
                    least=least,
                )
            )

        # Confirmed coins of ours not spent by anything pending, largest first.
        reserved = reserved_outpoints(self.store, self.network.id)
        spent_here = {c.outpoint for c in inputs}
        extra = sorted(
            (
                c
                for c in synced.coins
                if c.height > 0 and c.outpoint not in reserved and c.outpoint not in spent_here
            ),
            key=lambda c: (-c.value, c.txid, c.vout),
        )
        dust = self.network.dust_limit
        for k in range(len(extra) + 1):
            coins = [*inputs, *extra[:k]]
            have = sum(c.value for c in coins)
            kinds = [c.kind for c in coins]
            size = estimate_vsize(kinds, [*pay_scripts, change_key.script])
            fee = max(rate * size, old_fee + incremental * size)
            change = have - pay_total - fee
            if change >= dust:
                return self._rbf_review(
                    rec, coins, payments, self._change_output(change_key, change), fee, size,
                    old_fee, old_vsize, rate, least, old_change, k, fingerprint, synced.tip,
                )  # fmt: skip
            size = estimate_vsize(kinds, pay_scripts)
            fee = max(rate * size, old_fee + incremental * size)
            if have - pay_total >= fee:
                # No change output: what is left (less than dust) goes to the fee.
                return self._rbf_review(
                    rec, coins, payments, None, have - pay_total, size, old_fee, old_vsize,
                    rate, least, old_change, k, fingerprint, synced.tip,
                )  # fmt: skip
        raise BumpError(
            Said(
                "utxo_bump.change_cannot_pay_higher",
                "the change of {txid}... cannot pay the higher fee and "
                "the account has no other confirmed coin to add: nothing was "
                "signed. Receive more, or ask the recipient to use CPFP",
                txid=txid[:16],
            )
        )

    def _rbf_review(
        self,
        rec: UtxoTxRecord,
        coins: list[Coin],
        payments: tuple[tuple[bytes, int], ...],
        change: ChangeOutput | None,
        fee: int,
        vsize: int,
        old_fee: int,
        old_vsize: int,
        rate: int,
        least: int,
        old_change: int,
        added: int,
        fingerprint: bytes,
        tip: int,
    ) -> BumpReview:
        selection = Selection(tuple(coins), fee, change.value if change else 0, vsize)
        unsigned = build_psbt(
            selection, list(payments), change, fingerprint, locktime=tip, rbf=True
        )
        if unsigned.fee != fee:
            raise BumpError(
                Said(
                    "utxo_bump.internal_replacement_s_fee",
                    "internal: the replacement's fee does not add up; nothing signed",
                )
            )
        row = self.store.db.execute(
            "SELECT recipient, amount FROM utxo_outgoing WHERE network = ? AND txid = ?",
            (self.network.id, rec.txid),
        ).fetchone()
        if row is not None:
            recipient, amount = str(row["recipient"]), int(row["amount"])
        else:
            s, amount = payments[0]
            recipient = script_to_address(s, self.network) or s.hex()
        return BumpReview(
            kind=BumpKind.RBF,
            network=self.network.id,
            symbol=self.network.symbol,
            decimals=self.network.decimals,
            account_id=self.account.id,
            txid=rec.txid,
            old_fee=old_fee,
            old_vsize=old_vsize,
            new_fee=fee,
            new_vsize=vsize,
            fee_rate=rate,
            min_fee_rate=least,
            old_change=old_change,
            new_change=change.value if change else 0,
            added_inputs=added,
            recipient=recipient,
            amount=amount,
            unsigned=unsigned,
            payments=payments,
        )

    # --- CPFP --------------------------------------------------------------------------------

    async def prepare_cpfp(
        self,
        txid: str,
        fingerprint: bytes,
        *,
        fee_rate: int | None = None,
        tier: FeeTierName = FeeTierName.FAST,
    ) -> BumpReview:
        """A child spending our outputs of the unconfirmed `txid` back to this account, paying
        enough that parent and child together reach `fee_rate`.

        The package rate counts the parent and the child only: when the parent itself waits
        on unconfirmed parents, miners weigh those too and the rate reached is lower."""
        if self.account.watch_only:
            raise BumpError(
                Said(
                    "utxo_bump.watch_only_account_cannot_2",
                    "a watch-only account cannot sign a child transaction: it has no keys",
                )
            )
        synced, rec, raw = await self._pending(txid)
        txid = rec.txid
        reserved = reserved_outpoints(self.store, self.network.id)
        ours = [c for c in synced.coins if c.txid == txid and c.outpoint not in reserved]
        if not ours:
            raise BumpError(
                Said(
                    "utxo_bump.transaction_has_no_unspent",
                    "transaction {txid}... has no unspent output of this "
                    "account to build a child from: only the sender can speed it "
                    "up",
                    txid=txid[:16],
                )
            )
        parent_fee = rec.fee if rec.fee is not None else await self._fee_from_server(raw)
        parent_vsize = vsize_of(raw)
        rate, _ = await self._rates(fee_rate, tier)
        if parent_fee >= rate * parent_vsize:
            raise BumpError(
                Said(
                    "utxo_bump.transaction_already_pays_sat",
                    "transaction {txid}... already pays "
                    "{parent_rate} sat/vB, at or above {rate} "
                    "sat/vB: choose a higher fee rate",
                    txid=txid[:16],
                    parent_rate=format(Decimal(parent_fee) / Decimal(parent_vsize), ".1f"),
                    rate=rate,
                )
            )
        to = synced.change_key
        have = sum(c.value for c in ours)
        size = estimate_vsize([c.kind for c in ours], [to.script])
        fee = max(rate * (parent_vsize + size) - parent_fee, self.network.min_fee_rate * size)
        back = have - fee
        if back < self.network.dust_limit:
            raise BumpError(
                Said(
                    "utxo_bump.our_output_too_small",
                    "our output of {txid}... ({have}) is too small to pay a "
                    "child fee of {fee}: nothing was signed",
                    txid=txid[:16],
                    have=have,
                    fee=fee,
                )
            )
        # The self-payment goes in as change: its key is in the PSBT, so a device shows it
        # as ours rather than as a payment out.
        unsigned = build_psbt(
            Selection(tuple(ours), fee, back, size),
            [],
            self._change_output(to, back),
            fingerprint,
            locktime=synced.tip,
            rbf=True,
        )
        return BumpReview(
            kind=BumpKind.CPFP,
            network=self.network.id,
            symbol=self.network.symbol,
            decimals=self.network.decimals,
            account_id=self.account.id,
            txid=txid,
            old_fee=parent_fee,
            old_vsize=parent_vsize,
            new_fee=parent_fee + fee,
            new_vsize=parent_vsize + size,
            fee_rate=rate,
            min_fee_rate=parent_fee // parent_vsize + 1,
            old_change=have,
            new_change=back,
            added_inputs=0,
            recipient=to.address,
            amount=back,
            unsigned=unsigned,
            payments=(),
        )

    async def _fee_from_server(self, raw: bytes) -> int:
        """The fee of a transaction whose inputs are not ours, from its parents."""
        tx = parse_tx(raw)
        parents = await self.sender.backend.transactions(sorted({i.txid.hex() for i in tx.vin}))
        total = 0
        for vin in tx.vin:
            prev = parents.get(vin.txid.hex())
            if prev is None:
                raise BumpError(
                    Said(
                        "utxo_bump.server_did_not_give",
                        "the server did not give the parents of that transaction",
                    )
                )
            ptx = parse_tx(prev)
            if txid_of(prev) != vin.txid.hex():
                raise BumpError(
                    Said(
                        "utxo_bump.server_gave_another_transaction",
                        "the server gave another transaction than asked for",
                    )
                )
            total += int(ptx.vout[int(vin.vout)].value)
        return total - sum(int(o.value) for o in tx.vout)

    # --- sign and send -----------------------------------------------------------------------

    def sign(self, review: BumpReview, signer: Any) -> SignedUtxoTx:
        """Sign through any Signer's sign_psbt, check the result is what was reviewed, and
        store it before it is sent (as a send is)."""
        signed_psbt = signer.sign_psbt(review.unsigned.psbt, self.network.id)
        raw = finalize_psbt(signed_psbt, review.unsigned)
        tx = parse_tx(raw)
        want = sorted(
            [*review.payments]
            + ([(review.unsigned.change.script, review.unsigned.change.value)]
               if review.unsigned.change is not None else [])
        )  # fmt: skip
        got = sorted((bytes(o.script_pubkey.data), int(o.value)) for o in tx.vout)
        if got != want:
            raise BumpError(
                Said(
                    "utxo_bump.signed_transaction_s_outputs",
                    "the signed transaction's outputs differ from the review",
                )
            )
        new_txid = txid_of(raw)
        with transaction(self.store.db):
            cur = self.store.db.execute(
                "INSERT INTO utxo_outgoing(account_id, network, txid, raw, psbt, inputs, "
                "recipient, amount, fee, fee_rate, state, created_at) "
                "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'signed', ?)",
                (
                    self.account.id,
                    self.network.id,
                    new_txid,
                    raw,
                    bytes(signed_psbt),
                    json.dumps([c.outpoint for c in review.unsigned.inputs]),
                    review.recipient,
                    str(review.amount),
                    str(review.unsigned.fee),
                    review.fee_rate,
                    datetime.now(UTC).isoformat(),
                ),
            )
        return SignedUtxoTx(int(cur.lastrowid or 0), self.network.id, new_txid, raw)

    async def broadcast(self, review: BumpReview, signed: SignedUtxoTx) -> str:
        """Send it; once a replacement is taken, the original is recorded as replaced."""
        try:
            txid = await self.sender.broadcast(signed)
        except ChainError as exc:
            if review.kind is BumpKind.RBF and "txn-mempool-conflict" in str(exc):
                raise BumpError(
                    Said(
                        "utxo_bump.server_s_node_takes",
                        "the server's node takes no replacement (Litecoin Core's "
                        "default: mempoolreplacement=0). The original still stands; "
                        "use CPFP instead",
                    )
                ) from None
            raise
        if review.kind is BumpKind.RBF:
            with transaction(self.store.db):
                self.store.db.execute(
                    "UPDATE utxo_outgoing SET state = ? WHERE network = ? AND txid = ? "
                    "AND state IN ('signed', 'broadcast')",
                    (TxState.REPLACED.value, self.network.id, review.txid),
                )
        return txid
