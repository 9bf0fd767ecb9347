"""Bitcoin-like transactions without I/O: addresses <-> scripts, PSBT assembly (BIP174 on
embit) and finalization of the inputs we sign (P2WPKH, P2TR key path).

embit is imported inside functions: the app does not pay for it until a UTXO chain is used.
Coin selection and size estimates live in chains/coin_selection.py.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from chains.coin_selection import Coin, Selection, estimate_vsize
from chains.errors import ChainError
from chains.models import Asset, Balance
from chains.utxo_networks import UtxoNetwork
from said import Said

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
            raise AddressError(
                Said(
                    "utxo.address_s_checksum_wrong",
                    "the address's checksum is wrong: check for a typo",
                )
            )
        if ver == 0 and len(prog) in (20, 32):
            return bytes([0, len(prog)]) + bytes(prog)
        if ver == 1 and len(prog) == 32:
            return bytes([0x51, 32]) + bytes(prog)
        if 1 <= ver <= 16 and 2 <= len(prog) <= 40:
            # Valid bech32m, but no soft fork gives these outputs rules yet (a version-1
            # program of 20 bytes is not taproot): today anyone can spend what is sent there.
            raise AddressError(UNDEFINED_WITNESS)
        raise AddressError(Said("utxo.not_valid_segwit_address", "not a valid segwit address"))
    try:
        raw = base58.decode_check(text)
    except Exception:
        raise AddressError(
            Said(
                "utxo.not_address_expected_1",
                "not a {name} address (expected {hrp}1..., or a legacy address)",
                name=net.name,
                hrp=net.hrp,
            )
        ) from None
    if len(raw) == 21 and raw[:1] == net.p2pkh:
        return b"\x76\xa9\x14" + raw[1:] + b"\x88\xac"
    if len(raw) == 21 and raw[:1] in net.p2sh:
        return b"\xa9\x14" + raw[1:] + b"\x87"
    raise AddressError(
        Said(
            "utxo.address_another_network_not",
            "that address is for another network, not {name}",
            name=net.name,
        )
    )


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
        raise PsbtAssemblyError(
            Said("utxo.master_key_fingerprint_4", "a master key fingerprint is 4 bytes")
        )
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
                raise PsbtAssemblyError(
                    Said(
                        "utxo.input_previous_transaction_differs",
                        "input {outpoint}: the previous transaction differs",
                        outpoint=coin.outpoint,
                    )
                )
            out = prev.vout[coin.vout]
            if out.value != coin.value or out.script_pubkey.data != coin.script:
                raise PsbtAssemblyError(
                    Said(
                        "utxo.input_amount_script_differs",
                        "input {outpoint}: amount or script differs",
                        outpoint=coin.outpoint,
                    )
                )
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
            Said(
                "utxo.signer_returned_no_valid",
                "the signer returned no valid PSBT ({kind})",
                kind=type(exc).__name__,
            )
        ) from None
    tx = Transaction.parse(psbt.tx.serialize())
    if expected is not None and tx.txid().hex() != expected.txid:
        raise PsbtAssemblyError(
            Said(
                "utxo.signed_psbt_holds_another",
                "the signed PSBT holds another transaction than the one built",
            )
        )
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
                raise PsbtAssemblyError(
                    Said("utxo.input_not_signed", "input {i} is not signed", i=i)
                )
        elif kind == "p2tr":
            sig = inp.unknown.get(PSBT_IN_TAP_KEY_SIG)
            if sig is None:
                raise PsbtAssemblyError(
                    Said("utxo.input_not_signed", "input {i} is not signed", i=i)
                )
            vin.witness = Witness([sig])
        else:
            raise PsbtAssemblyError(
                Said(
                    "utxo.input_inputs_are_not",
                    "input {i}: {kind} inputs are not finalized",
                    i=i,
                    kind=kind or "non-standard",
                )
            )
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
