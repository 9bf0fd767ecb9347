"""What a PSBT pays, checked against our own view before anything is signed or broadcast.

A PSBT from outside (a file from another wallet, a QR scan, a signer's answer) is untrusted:
the amounts its inputs claim are the fee the user is shown, and a signer that believes a
doctored amount can be made to pay a fee it never saw (the segwit "fee attack"). So every
input's amount and script come from the transaction the node serves for it (its txid checked),
the account's own inputs must be coins our last sync saw unspent, and outputs count as ours
only when their script is one of the account's addresses. Any disagreement refuses the PSBT.

Also here: combining signed copies of one PSBT (BIP174 combiner) and finalizing it, and
recording a finalized transaction in utxo_outgoing before it is broadcast (like a send).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from chains.errors import ChainError
from said import Said

if TYPE_CHECKING:
    from wallet.utxo_portfolio import UtxoPortfolio


class PsbtCheckError(ChainError):
    """The PSBT disagrees with the node or our UTXO set, or is not ours to handle."""

    code = "PSBT_CHECK"


@dataclass(frozen=True)
class PsbtInputView:
    outpoint: str
    amount: int  # from the node's copy of the previous transaction
    address: str | None
    ours: bool
    signed: bool  # carries a signature (or a final witness) for its script


@dataclass(frozen=True)
class PsbtOutputView:
    address: str | None  # None: a script with no address form (shown as hex)
    script: bytes
    amount: int
    ours: bool
    change: bool  # ours, on the change chain


@dataclass(frozen=True)
class PsbtReview:
    network: str
    network_name: str
    symbol: str
    decimals: int
    account_id: int
    txid: str
    inputs: tuple[PsbtInputView, ...]
    outputs: tuple[PsbtOutputView, ...]
    fee: int
    vsize: int  # exact when every input is final, else estimated as for our own sends
    psbt: bytes  # with witness UTXOs filled in from the node where they were missing
    locktime: int
    rbf: bool

    @property
    def fee_rate(self) -> Decimal:
        """sat/vB, one decimal."""
        return (Decimal(self.fee) / Decimal(self.vsize)).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP
        )

    @property
    def complete(self) -> bool:
        return all(i.signed for i in self.inputs)

    @property
    def sent(self) -> int:
        """What leaves the account: every output that is not ours."""
        return sum(o.amount for o in self.outputs if not o.ours)

    @property
    def foreign_inputs(self) -> int:
        return sum(1 for i in self.inputs if not i.ours)


async def check_psbt(psbt: bytes, utxo: UtxoPortfolio, key: str) -> PsbtReview:
    """The checked review of `psbt` (binary) for account `key`, or PsbtCheckError saying why
    not. Reads the account's coins (a sync) and the inputs' previous transactions."""
    from chains.coin_selection import INPUT_VBYTES, estimate_vsize
    from chains.utxo import address_to_script, parse_tx, script_to_address
    from devices.psbt import PsbtError, parse_psbt

    net = utxo.network(key)
    acct = utxo.account(key)
    try:
        parsed = parse_psbt(psbt)
    except PsbtError as exc:
        raise PsbtCheckError(str(exc)) from None
    tx = parsed.tx
    if not tx.vin:
        raise PsbtCheckError(Said("psbt_review.psbt_spends_nothing", "the PSBT spends nothing"))
    synced = await utxo.utxo_account(key).sync()
    unspent = {c.outpoint for c in synced.coins}
    addresses = _account_addresses(utxo, key)
    addresses[synced.change_key.address] = 1

    txids = sorted({inp.txid.hex() for inp in parsed.inputs})
    prevs = await _previous_txs(utxo.backend(net.id), txids)
    inputs: list[PsbtInputView] = []
    kinds: list[str] = []
    total_in = 0
    for i, inp in enumerate(parsed.inputs):
        outpoint = f"{inp.txid.hex()}:{inp.vout}"
        raw = prevs.get(inp.txid.hex())
        if not raw:
            raise PsbtCheckError(
                Said(
                    "psbt_review.input_server_does_not",
                    "input {i} ({outpoint}): the server does not know the "
                    "transaction it spends, so its amount cannot be checked. "
                    "Nothing was signed or sent.",
                    i=i,
                    outpoint=outpoint,
                )
            )
        prev = parse_tx(raw)
        if prev.txid().hex() != inp.txid.hex() or inp.vout >= len(prev.vout):
            raise PsbtCheckError(
                Said(
                    "psbt_review.input_server_s_transaction",
                    "input {i} ({outpoint}): the server's transaction differs",
                    i=i,
                    outpoint=outpoint,
                )
            )
        out = prev.vout[inp.vout]
        value, spk = int(out.value), bytes(out.script_pubkey.data)
        claimed = inp.witness_utxo
        if claimed is not None and (
            int(claimed.value) != value or bytes(claimed.script_pubkey.data) != spk
        ):
            raise PsbtCheckError(
                Said(
                    "psbt_review.input_psbt_says_holds",
                    "input {i} ({outpoint}): the PSBT says it holds "
                    "{claimed}, the node says {value} (or another "
                    "script). The PSBT is refused: it would hide part of the fee.",
                    i=i,
                    outpoint=outpoint,
                    claimed=int(claimed.value),
                    value=value,
                )
            )
        if inp.non_witness_utxo is not None and inp.non_witness_utxo.txid() != inp.txid:
            raise PsbtCheckError(
                Said(
                    "psbt_review.input_previous_transaction_differs",
                    "input {i} ({outpoint}): its previous transaction differs",
                    i=i,
                    outpoint=outpoint,
                )
            )
        if claimed is None:
            from embit.transaction import TransactionOutput

            inp.witness_utxo = TransactionOutput(value, out.script_pubkey)  # BIP174 updater
        address = script_to_address(spk, net)
        ours = address in addresses
        if ours and outpoint not in unspent:
            raise PsbtCheckError(
                Said(
                    "psbt_review.input_coin_account_server",
                    "input {i} ({outpoint}) is a coin of this account that the "
                    "server no longer lists as unspent (already spent, or not "
                    "yet seen): the PSBT is out of date.",
                    i=i,
                    outpoint=outpoint,
                )
            )
        kind = out.script_pubkey.script_type() or ""
        kinds.append(kind if kind in INPUT_VBYTES else "p2wpkh")
        inputs.append(PsbtInputView(outpoint, value, address, ours, _signed(inp, kind)))
        total_in += value
    if not any(i.ours for i in inputs):
        raise PsbtCheckError(
            Said(
                "psbt_review.psbt_spends_none_account",
                "this PSBT spends none of this account's coins: pick the "
                "account it was made for (--script/--account/--account-id)",
            )
        )

    outputs: list[PsbtOutputView] = []
    for o in tx.vout:
        spk = bytes(o.script_pubkey.data)
        address = script_to_address(spk, net)
        chain = addresses.get(address or "")
        if address is not None:
            address_to_script(address, net)  # our own encoder agrees with the script
        outputs.append(PsbtOutputView(address, spk, int(o.value), chain is not None, chain == 1))
    total_out = sum(o.amount for o in outputs)
    if total_out > total_in:
        raise PsbtCheckError(
            Said(
                "psbt_review.outputs_add_up_more", "the outputs add up to more than the inputs hold"
            )
        )
    if all(i.signed for i in inputs) and all(inp.final_scriptwitness for inp in parsed.inputs):
        from chains.utxo import finalize_psbt, vsize_of

        vsize = vsize_of(finalize_psbt(parsed.serialize()))
    else:
        vsize = estimate_vsize(kinds, [o.script for o in outputs])
    return PsbtReview(
        network=net.id,
        network_name=net.name,
        symbol=net.symbol,
        decimals=net.decimals,
        account_id=acct.id,
        txid=tx.txid().hex(),
        inputs=tuple(inputs),
        outputs=tuple(outputs),
        fee=total_in - total_out,
        vsize=vsize,
        psbt=bytes(parsed.serialize()),
        locktime=int(tx.locktime),
        rbf=any(int(v.sequence) < 0xFFFFFFFE for v in tx.vin),
    )


async def _previous_txs(backend: Any, txids: list[str]) -> dict[str, bytes]:
    """The transactions the inputs spend, as the node serves them. A server refuses a whole
    batch for one txid it does not know: then each is asked alone, and the unknown ones are
    left out (the caller says which input and why)."""
    from chains.errors import NodeUnreachable

    try:
        return dict(await backend.transactions(txids))
    except NodeUnreachable:
        raise
    except ChainError:
        pass
    out: dict[str, bytes] = {}
    for txid in txids:
        try:
            out.update(await backend.transactions([txid]))
        except NodeUnreachable:
            raise
        except ChainError:
            continue
    return out


def _signed(inp: Any, kind: str) -> bool:
    from chains.utxo import PSBT_IN_TAP_KEY_SIG

    if inp.final_scriptwitness:
        return True
    if kind == "p2tr":
        return PSBT_IN_TAP_KEY_SIG in inp.unknown
    return bool(inp.partial_sigs)


def _account_addresses(utxo: UtxoPortfolio, key: str) -> dict[str, int]:
    """address -> chain (0 receive, 1 change) for every address the account's syncs derived."""
    net, acct = utxo.network(key), utxo.account(key)
    rows = utxo.store.db.execute(
        "SELECT address, change FROM utxo_addresses WHERE account_id = ? AND network = ?",
        (acct.id, net.id),
    ).fetchall()
    return {str(r["address"]): int(r["change"]) for r in rows}


def combine_psbts(psbts: list[bytes]) -> bytes:
    """BIP174 combiner: the signatures and final witnesses of several copies of one PSBT in
    one. Copies of different transactions are refused."""
    from chains.utxo import PSBT_IN_TAP_KEY_SIG
    from devices.psbt import PsbtError, parse_psbt

    if not psbts:
        raise PsbtCheckError(Said("psbt_review.no_psbt_given", "no PSBT given"))
    try:
        parsed = [parse_psbt(p) for p in psbts]
    except PsbtError as exc:
        raise PsbtCheckError(str(exc)) from None
    base = parsed[0]
    txid = base.tx.txid()
    for other in parsed[1:]:
        if other.tx.txid() != txid:
            raise PsbtCheckError(
                Said(
                    "psbt_review.these_psbts_are_different",
                    "these PSBTs are for different transactions: not combined",
                )
            )
        for mine, theirs in zip(base.inputs, other.inputs, strict=True):
            mine.partial_sigs.update(theirs.partial_sigs)
            mine.bip32_derivations.update(theirs.bip32_derivations)
            if PSBT_IN_TAP_KEY_SIG in theirs.unknown:
                mine.unknown = dict(mine.unknown)
                mine.unknown[PSBT_IN_TAP_KEY_SIG] = theirs.unknown[PSBT_IN_TAP_KEY_SIG]
            if theirs.final_scriptwitness and not mine.final_scriptwitness:
                mine.final_scriptwitness = theirs.final_scriptwitness
            if mine.witness_utxo is None:
                mine.witness_utxo = theirs.witness_utxo
            if mine.non_witness_utxo is None:
                mine.non_witness_utxo = theirs.non_witness_utxo
    return bytes(base.serialize())


def finalize(review: PsbtReview) -> bytes:
    """The network transaction of a complete, checked PSBT."""
    from chains.utxo import PsbtAssemblyError, finalize_psbt

    if not review.complete:
        missing = [i for i, v in enumerate(review.inputs) if not v.signed]
        raise PsbtCheckError(
            Said(
                "psbt_review.not_signed_yet_input",
                "not signed yet: input(s) {inputs} have no signature",
                inputs=", ".join(map(str, missing)),
            )
        )
    try:
        raw = finalize_psbt(review.psbt)
    except PsbtAssemblyError as exc:
        raise PsbtCheckError(str(exc)) from None
    _check_raw(raw, review)
    return raw


def _check_raw(raw: bytes, review: PsbtReview) -> None:
    """The finalized transaction is the reviewed one: same txid, same outputs."""
    from chains.utxo import parse_tx

    tx = parse_tx(raw)
    if tx.txid().hex() != review.txid:
        raise PsbtCheckError(
            Said(
                "psbt_review.finalized_transaction_not_one",
                "the finalized transaction is not the one reviewed",
            )
        )
    got = [(bytes(o.script_pubkey.data), int(o.value)) for o in tx.vout]
    if got != [(o.script, o.amount) for o in review.outputs]:
        raise PsbtCheckError(
            Said(
                "psbt_review.finalized_transaction_s_outputs",
                "the finalized transaction's outputs differ from the review",
            )
        )


def record_signed(utxo: UtxoPortfolio, key: str, review: PsbtReview, raw: bytes) -> Any:
    """Store the finalized transaction in utxo_outgoing before it is broadcast (as a send
    does): its coins are not selected again, and resume() sends it after a crash. Returns the
    SignedUtxoTx to hand to the sender's broadcast()."""
    from wallet.utxo_send import SignedUtxoTx
    from wallet.utxo_sync import transaction

    store = utxo.store
    _check_raw(raw, review)
    row = store.db.execute(
        "SELECT id FROM utxo_outgoing WHERE network = ? AND txid = ?", (review.network, review.txid)
    ).fetchone()
    if row is not None:  # broadcast again (e.g. the first try found the server away)
        return SignedUtxoTx(int(row["id"]), review.network, review.txid, raw)
    paid = [o for o in review.outputs if not o.ours]
    recipient = (paid[0].address or paid[0].script.hex()) if paid else review.outputs[0].address
    with transaction(store.db):
        cur = store.db.execute(
            "INSERT INTO utxo_outgoing(account_id, network, txid, raw, psbt, inputs, "
            "recipient, amount, fee, fee_rate, state, created_at) "
            "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'signed', ?)",
            (
                review.account_id,
                review.network,
                review.txid,
                raw,
                review.psbt,
                json.dumps([i.outpoint for i in review.inputs if i.ours]),
                recipient or "",
                str(review.sent),
                str(review.fee),
                int(review.fee_rate.to_integral_value(rounding=ROUND_HALF_UP)),
                datetime.now(UTC).isoformat(),
            ),
        )
    return SignedUtxoTx(int(cur.lastrowid or 0), review.network, review.txid, raw)
