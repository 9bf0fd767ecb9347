"""The demo Electrum server's chain (chains/devnet/electrum_server.py serves it): blocks and
transactions held in memory, and what a broadcast must pass to join its mempool. The rules it
checks and those it does not are listed in electrum_server.py's module note."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from chains.utxo import electrum_scripthash, parse_tx, vsize_of

FINAL_SEQUENCE = 0xFFFFFFFE  # an input below this signals replaceability (BIP125)


@dataclass(frozen=True)
class DemoChain:
    """Blocks (headers[h] is block h's 80-byte header; genesis at 0), the raw transactions
    confirmed in them (with their height, in block order), and the mempool's (in order)."""

    headers: tuple[bytes, ...]
    confirmed: tuple[tuple[int, bytes], ...]
    mempool: tuple[bytes, ...] = ()
    # Fee estimates by confirmation target (blocks) and the relay minimum, in sat/kB (as
    # integers: sent as the protocol's BTC/kB decimal numbers, never through a float).
    estimates: dict[int, int] = field(default_factory=dict)
    relay_fee: int = 1000

    @property
    def tip(self) -> int:
        return len(self.headers) - 1


class BroadcastRefused(Exception):
    """A transaction the demo chain does not take; the message is a node's reason code."""


@dataclass
class _Tx:
    txid: str
    raw: bytes
    parsed: Any
    height: int  # 0: in the mempool


class ChainState:
    """The chain and mempool, and the indexes the protocol's answers come from. Guarded by
    the server's lock."""

    def __init__(self, chain: DemoChain) -> None:
        self.chain = chain
        self.txs: dict[str, _Tx] = {}
        self.mempool: list[str] = []
        for height, raw in chain.confirmed:
            self._add(raw, height)
        for raw in chain.mempool:
            self.accept(raw)

    def _add(self, raw: bytes, height: int) -> _Tx:
        tx = parse_tx(raw)
        item = _Tx(tx.txid().hex(), raw, tx, height)
        self.txs[item.txid] = item
        if height == 0:
            self.mempool.append(item.txid)
        return item

    # --- indexes (the chain is small: computed when asked) --------------------------------

    def _spender(self, txid: str, vout: int) -> _Tx | None:
        for t in self.txs.values():
            for vin in t.parsed.vin:
                if vin.txid.hex() == txid and int(vin.vout) == vout and not _is_coinbase(vin):
                    return t
        return None

    def _output(self, txid: str, vout: int) -> tuple[bytes, int] | None:
        t = self.txs.get(txid)
        if t is None or not 0 <= vout < len(t.parsed.vout):
            return None
        out = t.parsed.vout[vout]
        return bytes(out.script_pubkey.data), int(out.value)

    def _ordered(self) -> list[_Tx]:
        confirmed = [t for t in self.txs.values() if t.height > 0]
        return confirmed + [self.txs[t] for t in self.mempool]

    def _pays(self, t: _Tx, sh: str) -> bool:
        return any(electrum_scripthash(o.script_pubkey.data) == sh for o in t.parsed.vout)

    def _spends_from(self, t: _Tx, sh: str) -> bool:
        for vin in t.parsed.vin:
            if _is_coinbase(vin):
                continue
            out = self._output(vin.txid.hex(), int(vin.vout))
            if out is not None and electrum_scripthash(out[0]) == sh:
                return True
        return False

    def _height_of(self, t: _Tx) -> int:
        """Electrum's height: the block, or 0 in the mempool (-1 when a parent is too)."""
        if t.height > 0:
            return t.height
        parents = {vin.txid.hex() for vin in t.parsed.vin if not _is_coinbase(vin)}
        return -1 if any(p in self.mempool for p in parents) else 0

    def history(self, sh: str) -> list[dict[str, Any]]:
        return [
            {"tx_hash": t.txid, "height": self._height_of(t)}
            for t in self._ordered()
            if self._pays(t, sh) or self._spends_from(t, sh)
        ]

    def status(self, sh: str) -> str | None:
        """The protocol's status of a script hash: sha256 of 'txid:height:' for its history."""
        items = self.history(sh)
        if not items:
            return None
        text = "".join(f"{i['tx_hash']}:{i['height']}:" for i in items)
        return hashlib.sha256(text.encode()).hexdigest()

    def _outputs_to(self, sh: str) -> Iterable[tuple[_Tx, int, int]]:
        for t in self._ordered():
            for n, o in enumerate(t.parsed.vout):
                if electrum_scripthash(o.script_pubkey.data) == sh:
                    yield t, n, int(o.value)

    def listunspent(self, sh: str) -> list[dict[str, Any]]:
        return [
            {"tx_hash": t.txid, "tx_pos": n, "value": value, "height": t.height}
            for t, n, value in self._outputs_to(sh)
            if self._spender(t.txid, n) is None
        ]

    def balance(self, sh: str) -> dict[str, int]:
        """As ElectrumX: confirmed = confirmed outputs no block spends; unconfirmed = what the
        mempool adds to and takes from that."""
        confirmed = unconfirmed = 0
        for t, n, value in self._outputs_to(sh):
            spender = self._spender(t.txid, n)
            if t.height > 0:
                if spender is None or spender.height == 0:
                    confirmed += value
                if spender is not None and spender.height == 0:
                    unconfirmed -= value
            elif spender is None:
                unconfirmed += value
        return {"confirmed": confirmed, "unconfirmed": unconfirmed}

    def fee(self, t: _Tx) -> int:
        spent = 0
        for vin in t.parsed.vin:
            out = self._output(vin.txid.hex(), int(vin.vout))
            spent += out[1] if out is not None else 0
        return spent - sum(int(o.value) for o in t.parsed.vout)

    def fee_histogram(self) -> list[list[int]]:
        """[[sat/vB, vsize], ...], highest rate first: the mempool's own transactions."""
        buckets: dict[int, int] = {}
        for txid in self.mempool:
            t = self.txs[txid]
            vsize = vsize_of(t.raw)
            rate = self.fee(t) // vsize
            buckets[rate] = buckets.get(rate, 0) + vsize
        return [[rate, size] for rate, size in sorted(buckets.items(), reverse=True)]

    # --- broadcast -----------------------------------------------------------------------

    def accept(self, raw: bytes) -> tuple[str, list[str]]:
        """Take a transaction into the mempool; returns its txid and the txids it replaced.
        See the module note for what is (and is not) checked."""
        try:
            tx = parse_tx(raw)
        except Exception:
            raise BroadcastRefused("TX decode failed") from None
        txid = tx.txid().hex()
        if txid in self.txs:
            raise BroadcastRefused("txn-already-known")
        conflicts: dict[str, _Tx] = {}
        spent = 0
        for vin in tx.vin:
            if _is_coinbase(vin):
                raise BroadcastRefused("coinbase")
            out = self._output(vin.txid.hex(), int(vin.vout))
            if out is None:
                raise BroadcastRefused("bad-txns-inputs-missingorspent")
            spender = self._spender(vin.txid.hex(), int(vin.vout))
            if spender is not None:
                if spender.height > 0:
                    raise BroadcastRefused("bad-txns-inputs-missingorspent")
                conflicts[spender.txid] = spender
            spent += out[1]
        if sum(int(o.value) for o in tx.vout) > spent:
            raise BroadcastRefused("bad-txns-in-belowout")
        fee = spent - sum(int(o.value) for o in tx.vout)
        for old in conflicts.values():
            if not any(int(i.sequence) < FINAL_SEQUENCE for i in old.parsed.vin):
                raise BroadcastRefused("txn-mempool-conflict")
            if fee <= self.fee(old):
                raise BroadcastRefused("insufficient fee")
        replaced = []
        for old in conflicts.values():
            replaced += self._evict(old.txid)
        self._add(raw, 0)
        return txid, replaced

    def _evict(self, txid: str) -> list[str]:
        """Drop a mempool transaction and everything that spends it."""
        if txid not in self.mempool:
            return []
        children = [
            t.txid
            for t in self.txs.values()
            if t.height == 0 and any(v.txid.hex() == txid for v in t.parsed.vin)
        ]
        self.mempool.remove(txid)
        del self.txs[txid]
        out = [txid]
        for c in children:
            out += self._evict(c)
        return out


NULL_TXID = bytes(32)
COINBASE_VOUT = 0xFFFFFFFF


def _is_coinbase(vin: Any) -> bool:
    return bytes(vin.txid) == NULL_TXID and int(vin.vout) == COINBASE_VOUT


def merkle_root(txids: list[str]) -> bytes:
    """A block's merkle root over its txids (shown byte-reversed, as txids are)."""
    level = [bytes.fromhex(t)[::-1] for t in txids]
    while len(level) > 1:
        if len(level) % 2:
            level.append(level[-1])
        level = [_hash256(level[i] + level[i + 1]) for i in range(0, len(level), 2)]
    return level[0]


def block_header(prev: bytes | None, root: bytes, time: int) -> bytes:
    """An 80-byte header: version, the parent's hash, the merkle root, the time, regtest's
    difficulty bits and a nonce of 0. No proof of work: the wallet reads only the time (and
    this server is the only one the demo asks), so none is searched for."""
    prev_hash = _hash256(prev) if prev is not None else NULL_TXID
    return (
        (0x20000000).to_bytes(4, "little")
        + prev_hash
        + root
        + time.to_bytes(4, "little")
        + (0x207FFFFF).to_bytes(4, "little")
        + (0).to_bytes(4, "little")
    )


def _hash256(data: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()
