"""Coin selection for UTXO chains: transaction size estimates, the coins we can spend, and
choosing which of them pay a send (branch-and-bound first, then largest-first)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from chains.errors import ChainError, InsufficientFunds

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
