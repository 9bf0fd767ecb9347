"""Bitcoin-like transactions without I/O: addresses <-> scripts, coin selection, fee sizes,
PSBT assembly (BIP174 on embit) and finalization of the inputs we sign (P2WPKH, P2TR key path).

embit is imported inside functions: the app does not pay for it until a UTXO chain is used.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from chains.errors import ChainError, InsufficientFunds
from chains.models import Asset, Balance
from chains.utxo_networks import UtxoNetwork

RBF_SEQUENCE = 0xFFFFFFFD  # BIP125: replaceable, and lets nLockTime count
TX_VERSION = 2


class AddressError(ChainError, ValueError):
    code = "BAD_ADDRESS"


class PsbtAssemblyError(ChainError):
    code = "PSBT_ASSEMBLY"


# --- what backends return ------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryItem:
    txid: str
    height: int  # 0 or negative: in the mempool (Electrum: -1 when a parent is unconfirmed)


@dataclass(frozen=True)
class Utxo:
    txid: str
    vout: int
    value: int
    height: int  # 0: unconfirmed
    address: str


@dataclass(frozen=True)
class FeeEstimates:
    """sat/vB, integers rounded up, per confirmation target in blocks."""

    by_target: dict[int, int]
    floor: int  # the server's relay minimum (sat/vB, rounded up)


class UtxoBackend(Protocol):
    """What the wallet needs from an Electrum server or an Esplora API. Each method is one
    batched round trip where the protocol allows; `requests` counts protocol calls."""

    network: UtxoNetwork
    requests: int

    async def block_number(self) -> int: ...

    async def histories(self, addresses: Sequence[str]) -> dict[str, list[HistoryItem]]: ...

    async def utxos(self, addresses: Sequence[str]) -> dict[str, list[Utxo]]: ...

    async def balances(
        self, addresses: Sequence[str], assets: Sequence[Asset]
    ) -> list[Balance]: ...

    async def transactions(self, txids: Sequence[str]) -> dict[str, bytes]: ...

    async def block_times(self, heights: Sequence[int]) -> dict[int, int]: ...

    async def fee_estimates(self, targets: Sequence[int]) -> FeeEstimates: ...

    async def fee_histogram(self) -> list[list[int | float]]: ...

    async def broadcast(self, raw: bytes) -> str: ...

    async def aclose(self) -> None: ...


# --- addresses and scripts -----------------------------------------------------------------


MIXED_CASE = (
    "the address mixes upper and lower case, which no wallet writes (BIP173): "
    "copy it again from its source"
)
UNDEFINED_WITNESS = (
    "that address is a segwit version without spending rules yet (not P2WPKH, P2WSH or "
    "taproot): anyone could take coins sent there today. Not sent"
)


def address_to_script(address: str, net: UtxoNetwork) -> bytes:
    """scriptPubKey of an address of `net`; AddressError for another network's address or a
    typo (bech32/base58 checksums)."""
    from embit import base58, bech32

    text = address.strip()
    if text.lower().startswith(net.hrp + "1"):
        if text != text.lower() and text != text.upper():
            # BIP173: mixed case is invalid (the checksum covers the letters, not their case).
            raise AddressError(MIXED_CASE)
        ver, prog = bech32.decode(net.hrp, text)
        if ver is None or prog is None:
            raise AddressError("the address's checksum is wrong: check for a typo")
        if ver == 0 and len(prog) in (20, 32):
            return bytes([0, len(prog)]) + bytes(prog)
        if ver == 1 and len(prog) == 32:
            return bytes([0x51, 32]) + bytes(prog)
        if 1 <= ver <= 16 and 2 <= len(prog) <= 40:
            # Valid bech32m, but no soft fork gives these outputs rules yet (a version-1
            # program of 20 bytes is not taproot): today anyone can spend what is sent there.
            raise AddressError(UNDEFINED_WITNESS)
        raise AddressError("not a valid segwit address")
    try:
        raw = base58.decode_check(text)
    except Exception:
        raise AddressError(
            f"not a {net.name} address (expected {net.hrp}1..., or a legacy address)"
        ) from None
    if len(raw) == 21 and raw[:1] == net.p2pkh:
        return b"\x76\xa9\x14" + raw[1:] + b"\x88\xac"
    if len(raw) == 21 and raw[:1] in net.p2sh:
        return b"\xa9\x14" + raw[1:] + b"\x87"
    raise AddressError(f"that address is for another network, not {net.name}")


def script_to_address(script: bytes, net: UtxoNetwork) -> str | None:
    from embit import base58, bech32

    if (
        len(script) in (22, 34)
        and script[0] in (0, *range(0x51, 0x61))
        and script[1] == len(script) - 2
    ):
        ver = 0 if script[0] == 0 else script[0] - 0x50
        return str(bech32.encode(net.hrp, ver, script[2:]))
    if len(script) == 25 and script[:3] == b"\x76\xa9\x14" and script[23:] == b"\x88\xac":
        return str(base58.encode_check(net.p2pkh + script[3:23]))
    if len(script) == 23 and script[:2] == b"\xa9\x14" and script[22:] == b"\x87":
        return str(base58.encode_check(net.p2sh[0] + script[2:22]))
    return None


def electrum_scripthash(script: bytes) -> str:
    """The Electrum protocol's key for a script: sha256, byte-reversed, hex."""
    return hashlib.sha256(script).digest()[::-1].hex()


# --- sizes and coin selection --------------------------------------------------------------

# Virtual sizes (vB, rounded up). An ECDSA signature is at most 72 bytes; low-R grinding
# makes it 71, but estimating the worst case never underpays.
INPUT_VBYTES = {"p2wpkh": 68, "p2tr": 58}
OVERHEAD_VBYTES = 11  # version, locktime, counts, segwit marker and flag


def output_vbytes(script: bytes) -> int:
    return 8 + 1 + len(script)


def estimate_vsize(input_kinds: Sequence[str], output_scripts: Sequence[bytes]) -> int:
    return (
        OVERHEAD_VBYTES
        + sum(INPUT_VBYTES[k] for k in input_kinds)
        + sum(output_vbytes(s) for s in output_scripts)
    )


@dataclass(frozen=True)
class Coin:
    """A spendable output of ours, with what a signer needs to sign it."""

    txid: str
    vout: int
    value: int
    height: int
    script: bytes
    kind: str  # 'p2wpkh' | 'p2tr'
    path: tuple[int, ...]  # full BIP32 path from the master key
    pubkey: bytes  # 33-byte compressed key at `path`
    prev_tx: bytes | None = None  # whole previous transaction (hardware wallets want it)

    @property
    def outpoint(self) -> str:
        return f"{self.txid}:{self.vout}"


@dataclass(frozen=True)
class Selection:
    coins: tuple[Coin, ...]
    fee: int
    change: int  # 0: no change output (it would have been dust and went to the fee)
    vsize: int


def select_coins(
    coins: Sequence[Coin],
    outputs: Sequence[tuple[bytes, int]],
    fee_rate: int,
    change_script: bytes,
    *,
    dust_limit: int,
    symbol: str,
    send_max: bool = False,
    use_all: bool = False,
) -> Selection:
    """Branch-and-bound first: a set of coins that pays the outputs and the fee with no change
    output (see select_bnb). Failing that, confirmed coins first, largest first, until the
    outputs plus the fee are covered (few inputs keep the transaction small).

    With send_max every coin is spent and the single output gets the rest (its amount in
    `outputs` is ignored). With use_all every coin given is spent (the user chose them) and
    what is left over is change. Change below the dust limit is left to the fee, never
    created."""
    if fee_rate < 1:
        raise ValueError("fee rate must be at least 1 sat/vB")
    if not outputs:
        raise ValueError("nothing to send")
    scripts = [s for s, _ in outputs]
    have = sum(c.value for c in coins)
    if send_max:
        if len(outputs) != 1:
            raise ValueError("send max takes exactly one recipient")
        vsize = estimate_vsize([c.kind for c in coins], scripts)
        fee = vsize * fee_rate
        if have - fee < dust_limit:
            raise InsufficientFunds(fee + dust_limit, have, symbol)
        return Selection(tuple(coins), fee, 0, vsize)
    target = sum(v for _, v in outputs)
    for _, v in outputs:
        if v < dust_limit:
            raise ChainError(f"an output of {v} is below the dust limit ({dust_limit})")
    if use_all:
        return _spend_all(coins, target, scripts, fee_rate, change_script, dust_limit, symbol)
    for pool in ([c for c in coins if c.height > 0], list(coins)):
        found = select_bnb(pool, target, scripts, fee_rate, change_script)
        if found is not None:
            size = estimate_vsize([c.kind for c in found], scripts)
            return Selection(found, sum(c.value for c in found) - target, 0, size)
    ordered = sorted(coins, key=lambda c: (c.height <= 0, -c.value, c.txid, c.vout))
    chosen: list[Coin] = []
    total = 0
    for coin in ordered:
        chosen.append(coin)
        total += coin.value
        kinds = [c.kind for c in chosen]
        size_no_change = estimate_vsize(kinds, scripts)
        size_change = estimate_vsize(kinds, [*scripts, change_script])
        fee_change = size_change * fee_rate
        change = total - target - fee_change
        if change >= dust_limit:
            return Selection(tuple(chosen), fee_change, change, size_change)
        fee_plain = size_no_change * fee_rate
        if total - target >= fee_plain:
            # No change output: whatever is left over (less than dust) pays the miner.
            return Selection(tuple(chosen), total - target, 0, size_no_change)
    need = target + estimate_vsize([c.kind for c in coins] or ["p2wpkh"], scripts) * fee_rate
    raise InsufficientFunds(need, have, symbol)


def _spend_all(
    coins: Sequence[Coin],
    target: int,
    scripts: Sequence[bytes],
    fee_rate: int,
    change_script: bytes,
    dust_limit: int,
    symbol: str,
) -> Selection:
    if not coins:
        raise ValueError("no coins chosen")
    total = sum(c.value for c in coins)
    kinds = [c.kind for c in coins]
    size_change = estimate_vsize(kinds, [*scripts, change_script])
    change = total - target - size_change * fee_rate
    if change >= dust_limit:
        return Selection(tuple(coins), size_change * fee_rate, change, size_change)
    size_plain = estimate_vsize(kinds, scripts)
    if total - target >= size_plain * fee_rate:
        return Selection(tuple(coins), total - target, 0, size_plain)
    raise InsufficientFunds(target + size_plain * fee_rate, total, symbol)


BNB_TOTAL_TRIES = 100_000  # Bitcoin Core's bound on the search (coinselection.cpp)
# The rate a coin is assumed to cost to spend some other day (Core's -consolidatefeerate
# default, 10 sat/vB): above it, extra inputs now are waste; below it, spending them now is
# cheaper than later.
LONG_TERM_FEE_RATE = 10


def select_bnb(
    coins: Sequence[Coin],
    target: int,
    scripts: Sequence[bytes],
    fee_rate: int,
    change_script: bytes,
    *,
    long_term_fee_rate: int = LONG_TERM_FEE_RATE,
) -> tuple[Coin, ...] | None:
    """Branch-and-bound: coins whose value after their own input fee pays `target` plus the
    transaction's fixed fee, overshooting by less than a change output would cost (making it
    and later spending it), so the transaction needs no change output. None when there is no
    such set (or the search bound is reached first).

    Bitcoin Core's SelectCoinsBnB (src/wallet/coinselection.cpp, after Mark Erhardt, "An
    Evaluation of Coin Selection Strategies", 2016): a depth-first search over the coins in
    descending effective value, each either included or left out, pruned when what is left
    cannot reach the target, when the selection overshoots the window, or (fee rate above the
    long-term rate) when its waste already exceeds the best; the least waste wins, waste being
    each input's fee now less its fee at the long-term rate, plus the overshoot (which goes to
    the miner). Hand-written: no maintained Python library implements Core's selection, and
    the algorithm is short."""
    fixed = estimate_vsize([], scripts) * fee_rate
    need = target + fixed
    cost_of_change = (output_vbytes(change_script) + INPUT_VBYTES["p2wpkh"]) * fee_rate
    high_rate = fee_rate > long_term_fee_rate
    pool = sorted(
        (
            (
                c.value - INPUT_VBYTES[c.kind] * fee_rate,
                INPUT_VBYTES[c.kind] * (fee_rate - long_term_fee_rate),
                c,
            )
            for c in coins
        ),
        key=lambda p: (-p[0], p[1], p[2].txid, p[2].vout),
    )
    pool = [p for p in pool if p[0] > 0]  # a coin worth less than its input fee never helps
    lookahead = sum(e for e, _, _ in pool)
    if lookahead < need:
        return None
    chosen: list[int] = []
    value = 0
    waste = 0  # of the inputs chosen, without the overshoot
    best: list[int] | None = None
    best_waste = 0
    index = 0
    for _ in range(BNB_TOTAL_TRIES):
        backtrack = False
        if value + lookahead < need or value > need + cost_of_change:
            backtrack = True
        elif best is not None and high_rate and waste > best_waste:
            backtrack = True  # more inputs only add waste at this rate
        elif value >= need:
            total_waste = waste + value - need
            if best is None or total_waste <= best_waste:
                best, best_waste = list(chosen), total_waste
            backtrack = True
        if backtrack:
            if not chosen:
                break  # every branch was tried
            index -= 1
            while index > chosen[-1]:  # coins left out after the last one taken come back
                lookahead += pool[index][0]
                index -= 1
            value -= pool[index][0]  # now try the branch without the last one taken
            waste -= pool[index][1]
            chosen.pop()
        else:
            eff, coin_waste, _ = pool[index]
            lookahead -= eff
            # Leaving out a coin and then taking one of equal value and waste is a branch
            # already searched: skip it (as Core does).
            prev = pool[index - 1] if index else None
            if (
                not chosen
                or index - 1 == chosen[-1]
                or prev is None
                or (eff, coin_waste) != (prev[0], prev[1])
            ):
                chosen.append(index)
                value += eff
                waste += coin_waste
        index += 1
    if best is None:
        return None
    return tuple(pool[i][2] for i in best)


# --- PSBT ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChangeOutput:
    script: bytes
    value: int
    path: tuple[int, ...]
    pubkey: bytes
    kind: str


@dataclass(frozen=True)
class UnsignedPsbt:
    psbt: bytes
    txid: str  # of the unsigned transaction; segwit txids do not change when signed
    fee: int
    vsize: int
    inputs: tuple[Coin, ...]
    outputs: tuple[tuple[bytes, int], ...]  # recipients, in order, before change
    change: ChangeOutput | None
    details: dict[str, Any] = field(default_factory=dict)


def _xonly(pubkey: bytes) -> bytes:
    return pubkey[1:] if len(pubkey) == 33 else pubkey


def build_psbt(
    selection: Selection,
    outputs: Sequence[tuple[bytes, int]],
    change: ChangeOutput | None,
    fingerprint: bytes,
    *,
    locktime: int = 0,
    rbf: bool = True,
    shuffle_seed: bytes | None = None,
) -> UnsignedPsbt:
    """A BIP174 PSBT (v0) spending `selection` to `outputs` (+ change), with BIP32 (P2WPKH)
    and BIP371 (P2TR) derivations naming `fingerprint` so any signer of that seed signs it.

    Inputs and outputs are sorted by BIP69 order unless a shuffle seed is given, so the change
    output's position does not give it away."""
    from embit.ec import PublicKey
    from embit.psbt import PSBT, DerivationPath
    from embit.script import Script
    from embit.transaction import Transaction, TransactionInput, TransactionOutput

    if len(fingerprint) != 4:
        raise PsbtAssemblyError("a master key fingerprint is 4 bytes")
    seq = RBF_SEQUENCE if rbf else 0xFFFFFFFE
    coins = sorted(selection.coins, key=lambda c: (bytes.fromhex(c.txid), c.vout))
    outs: list[tuple[bytes, int, ChangeOutput | None]] = [(s, v, None) for s, v in outputs]
    if change is not None:
        outs.append((change.script, change.value, change))
    if shuffle_seed is None:
        outs.sort(key=lambda o: (o[1], o[0]))
    else:
        outs.sort(
            key=lambda o: hashlib.sha256(shuffle_seed + o[0] + o[1].to_bytes(8, "little")).digest()
        )
    tx = Transaction(
        version=TX_VERSION,
        vin=[TransactionInput(bytes.fromhex(c.txid), c.vout, sequence=seq) for c in coins],
        vout=[TransactionOutput(v, Script(s)) for s, v, _ in outs],
        locktime=locktime,
    )
    psbt = PSBT(tx)
    for inp, coin in zip(psbt.inputs, coins, strict=True):
        inp.witness_utxo = TransactionOutput(coin.value, Script(coin.script))
        if coin.prev_tx is not None:
            prev = Transaction.parse(coin.prev_tx)
            if prev.txid().hex() != coin.txid:
                raise PsbtAssemblyError(f"input {coin.outpoint}: the previous transaction differs")
            out = prev.vout[coin.vout]
            if out.value != coin.value or out.script_pubkey.data != coin.script:
                raise PsbtAssemblyError(f"input {coin.outpoint}: amount or script differs")
            if coin.kind == "p2wpkh":
                # BIP143 commits to one input's amount only; devices want the whole previous
                # transaction to rule out the "fee attack" across inputs.
                inp.non_witness_utxo = prev
        der = DerivationPath(fingerprint, list(coin.path))
        pub = PublicKey.parse(coin.pubkey)
        if coin.kind == "p2tr":
            inp.taproot_internal_key = PublicKey.from_xonly(_xonly(coin.pubkey))
            inp.taproot_bip32_derivations[inp.taproot_internal_key] = ([], der)
        else:
            inp.bip32_derivations[pub] = der
    for pout, (_, _, ch) in zip(psbt.outputs, outs, strict=True):
        if ch is None:
            continue
        der = DerivationPath(fingerprint, list(ch.path))
        if ch.kind == "p2tr":
            key = PublicKey.from_xonly(_xonly(ch.pubkey))
            pout.taproot_internal_key = key
            pout.taproot_bip32_derivations[key] = ([], der)
        else:
            pout.bip32_derivations[PublicKey.parse(ch.pubkey)] = der
    vsize = estimate_vsize([c.kind for c in coins], [s for s, _, _ in outs])
    return UnsignedPsbt(
        psbt=psbt.serialize(),
        txid=tx.txid().hex(),
        fee=sum(c.value for c in coins) - sum(v for _, v, _ in outs),
        vsize=vsize,
        inputs=tuple(coins),
        outputs=tuple((s, v) for s, v in outputs),
        change=change,
    )


PSBT_IN_TAP_KEY_SIG = b"\x13"


def finalize_psbt(signed: bytes, expected: UnsignedPsbt | None = None) -> bytes:
    """The network serialization of a fully signed PSBT of P2WPKH and P2TR key-path inputs.

    embit's finalizer skips taproot key signatures (BIP371 field 0x13) and does not check
    keys, hence this one. With `expected`, the signer's PSBT must carry exactly the
    transaction we built: a signer returning another transaction is refused."""
    from embit import hashes
    from embit.psbt import PSBT
    from embit.script import Witness
    from embit.transaction import Transaction

    try:
        psbt = PSBT.parse(signed)
    except Exception as exc:
        raise PsbtAssemblyError(
            f"the signer returned no valid PSBT ({type(exc).__name__})"
        ) from None
    tx = Transaction.parse(psbt.tx.serialize())
    if expected is not None and tx.txid().hex() != expected.txid:
        raise PsbtAssemblyError("the signed PSBT holds another transaction than the one built")
    for i, (inp, vin) in enumerate(zip(psbt.inputs, tx.vin, strict=True)):
        if inp.final_scriptwitness:
            vin.witness = inp.final_scriptwitness
            continue
        utxo = inp.utxo
        kind = utxo.script_pubkey.script_type()
        spk = utxo.script_pubkey.data
        if kind == "p2wpkh":
            for pub, sig in inp.partial_sigs.items():
                if hashes.hash160(pub.sec()) == spk[2:]:
                    vin.witness = Witness([sig, pub.sec()])
                    break
            else:
                raise PsbtAssemblyError(f"input {i} is not signed")
        elif kind == "p2tr":
            sig = inp.unknown.get(PSBT_IN_TAP_KEY_SIG)
            if sig is None:
                raise PsbtAssemblyError(f"input {i} is not signed")
            vin.witness = Witness([sig])
        else:
            raise PsbtAssemblyError(f"input {i}: {kind or 'non-standard'} inputs are not finalized")
    return bytes(tx.serialize())


def parse_tx(raw: bytes) -> Any:
    from embit.transaction import Transaction

    try:
        return Transaction.parse(raw)
    except Exception:
        raise ChainError("the server sent a transaction that does not parse") from None


def txid_of(raw: bytes) -> str:
    return str(parse_tx(raw).txid().hex())


def vsize_of(raw: bytes) -> int:
    """Virtual size of a serialized transaction (BIP141 weight / 4, rounded up)."""
    tx = parse_tx(raw)
    base = len(_strip_witness(tx))
    total = len(raw)
    weight = base * 3 + total
    return (weight + 3) // 4


def _strip_witness(tx: Any) -> bytes:
    from embit.transaction import Transaction, TransactionInput

    bare = Transaction(
        version=tx.version,
        vin=[TransactionInput(i.txid, i.vout, i.script_sig, i.sequence) for i in tx.vin],
        vout=tx.vout,
        locktime=tx.locktime,
    )
    return bytes(bare.serialize())
