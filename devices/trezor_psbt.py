"""PSBT -> trezorlib's SignTx flow, and the device's signatures -> PSBT (Bitcoin and Litecoin).

trezorlib takes no PSBT: it streams inputs, outputs and previous transactions to the device on
request. HWI does this conversion for Bitcoin but refuses Litecoin, and it opens its own
connection (so its exchanges cannot be recorded through our transport). This module does the
conversion on embit's PSBT parser for both coins, with one rule set: every input must be ours
(derivation with the device's fingerprint), P2WPKH or P2TR key path, SIGHASH_ALL/DEFAULT;
segwit v0 inputs must carry their previous transaction (non_witness_utxo), which the Trezor
asks for to check the amount (the BIP143 fee attack). Outputs with our derivation are change
(the device hides them and checks they are ours); all others are shown.

Called from devices/trezor.py on the device thread; trezorlib is imported lazily there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from devices.base import PromptAmount, PromptOutput
from devices.emulator import UTXO_CHAINS
from devices.errors import Unsupported
from devices.psbt import PSBT_IN_TAP_KEY_SIG, SIGHASH_ALL, SIGHASH_DEFAULT, parse_psbt
from said import Said

SYMBOLS = {"btc": "BTC", "btc-testnet": "tBTC", "btc-regtest": "rBTC", "ltc": "LTC"}
SYMBOLS |= {"ltc-testnet": "tLTC", "ltc-regtest": "rLTC"}


@dataclass
class TrezorTx:
    """What trezorlib.btc.sign_tx takes, plus what we need to put the signatures back."""

    inputs: list[Any]
    outputs: list[Any]
    prev_txes: dict[bytes, Any]
    version: int
    lock_time: int
    shown: tuple[PromptOutput, ...]
    fee: int
    taproot: list[bool] = field(default_factory=list)  # per input
    pubkeys: list[Any] = field(default_factory=list)  # per input: embit PublicKey


def _network(chain: str) -> dict[str, Any]:
    spec = UTXO_CHAINS[chain]
    # embit's address() reads only the bech32 prefix for segwit outputs.
    return {"bech32": spec.hrp, "p2pkh": b"", "p2sh": b""}


def _prev_tx(tx: Any) -> Any:
    from trezorlib import messages as m

    return m.TransactionType(
        version=tx.version,
        lock_time=tx.locktime,
        inputs=[
            m.TxInputType(
                prev_hash=vin.txid,
                prev_index=vin.vout,
                script_sig=vin.script_sig.data,
                sequence=vin.sequence,
            )
            for vin in tx.vin
        ],
        bin_outputs=[
            m.TxOutputBinType(amount=out.value, script_pubkey=out.script_pubkey.data)
            for out in tx.vout
        ],
    )


def _our_derivation(scope: Any, fingerprint: bytes) -> tuple[Any, list[int], bool] | None:
    """(public key, path, taproot?) of the first derivation naming our fingerprint."""
    for pub, der in scope.bip32_derivations.items():
        if der.fingerprint == fingerprint:
            return pub, list(der.derivation), False
    for pub, (leaves, der) in scope.taproot_bip32_derivations.items():
        if der.fingerprint == fingerprint and not leaves:
            return pub, list(der.derivation), True
    return None


def build(psbt_bytes: bytes, chain: str, fingerprint: bytes) -> tuple[Any, TrezorTx]:
    """The parsed PSBT and the SignTx request for it. Raises Unsupported for what the Trezor
    adapter does not sign (and says why)."""
    from trezorlib import messages as m

    if chain not in SYMBOLS:
        raise Unsupported(
            Said(
                "trezor_psbt.trezor_adapter_does_not",
                "the Trezor adapter does not sign PSBTs for {chain!r}",
                chain=chain,
            )
        )
    psbt = parse_psbt(psbt_bytes)
    net = _network(chain)
    inputs: list[Any] = []
    prev: dict[bytes, Any] = {}
    taproot: list[bool] = []
    pubkeys: list[Any] = []
    total_in = 0
    for i, inp in enumerate(psbt.inputs):
        ours = _our_derivation(inp, fingerprint)
        if ours is None:
            raise Unsupported(
                Said(
                    "trezor_psbt.input_not_trezor_s",
                    "input {i} is not this Trezor's: it signs only its own inputs",
                    i=i,
                )
            )
        pub, path, is_tr = ours
        if inp.sighash_type not in (None, SIGHASH_ALL, SIGHASH_DEFAULT):
            raise Unsupported(
                Said(
                    "trezor_psbt.input_sighash_type_not",
                    "input {i}: sighash type {sighash_type} is not signed",
                    i=i,
                    sighash_type=inp.sighash_type,
                )
            )
        utxo = inp.utxo if (inp.witness_utxo or inp.non_witness_utxo) else None
        if utxo is None:
            raise Unsupported(
                Said(
                    "trezor_psbt.input_has_no_utxo",
                    "input {i} has no UTXO, so its amount is unknown",
                    i=i,
                )
            )
        stype = utxo.script_pubkey.script_type()
        if stype == "p2wpkh" and not is_tr:
            if inp.non_witness_utxo is None:
                raise Unsupported(
                    Said(
                        "trezor_psbt.input_trezor_needs_previous",
                        "input {i}: the Trezor needs the previous transaction of "
                        "segwit v0 inputs (PSBT non_witness_utxo)",
                        i=i,
                    )
                )
            script_type = m.InputScriptType.SPENDWITNESS
        elif stype == "p2tr" and is_tr:
            script_type = m.InputScriptType.SPENDTAPROOT
        else:
            raise Unsupported(
                Said(
                    "trezor_psbt.input_inputs_are_not",
                    "input {i}: {kind} inputs are not signed",
                    i=i,
                    kind=stype or "non-standard",
                )
            )
        if inp.non_witness_utxo is not None:
            prev[inp.txid] = _prev_tx(inp.non_witness_utxo)
        seq = 0xFFFFFFFF if inp.sequence is None else inp.sequence
        inputs.append(
            m.TxInputType(
                address_n=path,
                prev_hash=inp.txid,
                prev_index=inp.vout,
                amount=utxo.value,
                script_type=script_type,
                sequence=seq,
            )
        )
        taproot.append(is_tr)
        pubkeys.append(pub)
        total_in += utxo.value

    outputs: list[Any] = []
    shown: list[PromptOutput] = []
    total_out = 0
    symbol = SYMBOLS[chain]
    for j, out in enumerate(psbt.outputs):
        spk = out.script_pubkey
        value = out.value
        total_out += value
        ours = _our_derivation(out, fingerprint)
        stype = spk.script_type()
        if ours is not None and stype in ("p2wpkh", "p2tr"):
            _, path, is_tr = ours
            outputs.append(
                m.TxOutputType(
                    address_n=path,
                    amount=value,
                    script_type=m.OutputScriptType.PAYTOTAPROOT
                    if is_tr
                    else m.OutputScriptType.PAYTOWITNESS,
                )
            )
            continue
        if spk.data[:1] == b"\x6a":
            raise Unsupported(
                Said(
                    "trezor_psbt.output_op_return_outputs",
                    "output {j}: OP_RETURN outputs are not signed here",
                    j=j,
                )
            )
        try:
            address = spk.address(net)
        except Exception:
            raise Unsupported(
                Said(
                    "trezor_psbt.output_has_script_has",
                    "output {j} has a script that has no address",
                    j=j,
                )
            ) from None
        outputs.append(
            m.TxOutputType(
                address=address, amount=value, script_type=m.OutputScriptType.PAYTOADDRESS
            )
        )
        shown.append(
            PromptOutput(
                address=address, amount=PromptAmount(value=value, decimals=8, symbol=symbol)
            )
        )
    if total_out > total_in:
        raise Unsupported(
            Said(
                "trezor_psbt.outputs_spend_more_than", "the outputs spend more than the inputs hold"
            )
        )
    tx = TrezorTx(
        inputs=inputs,
        outputs=outputs,
        prev_txes=prev,
        version=2 if psbt.tx_version is None else psbt.tx_version,
        lock_time=0 if psbt.locktime is None else psbt.locktime,
        shown=tuple(shown),
        fee=total_in - total_out,
        taproot=taproot,
        pubkeys=pubkeys,
    )
    return psbt, tx


def add_signatures(psbt: Any, tx: TrezorTx, signatures: list[bytes | None]) -> bytes:
    """The PSBT with the device's signatures (partial_sigs for P2WPKH, BIP371 tap key sig)."""
    for i, sig in enumerate(signatures):
        if sig is None:
            raise Unsupported(
                Said(
                    "trezor_psbt.trezor_returned_no_signature",
                    "the Trezor returned no signature for input {i}",
                    i=i,
                )
            )
        inp = psbt.inputs[i]
        if tx.taproot[i]:
            inp.unknown = dict(inp.unknown)  # embit may share a default dict between scopes
            inp.unknown[PSBT_IN_TAP_KEY_SIG] = bytes(sig)
        else:
            inp.partial_sigs[tx.pubkeys[i]] = bytes(sig) + bytes([SIGHASH_ALL])
    return bytes(psbt.serialize())
