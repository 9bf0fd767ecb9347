"""What a Ledger Bitcoin-family app is asked to sign, and what it returns, checked on our side.

Used by devices/ledger_btc.py for both app protocols: the legacy one (Bitcoin app 2.0.x, and
Ledger's Litecoin app, which still speaks it) and the 2.1+ wallet-policy one (Bitcoin app 2.1
and later). One rule set, checked before the device sees anything: every input is ours (a
BIP32 derivation with the device's fingerprint), of one account and one script type (the app
signs one wallet policy per request), SIGHASH_ALL (ECDSA) or SIGHASH_DEFAULT (taproot); a
P2WPKH input carries its previous transaction (the app checks amounts against it: the BIP143
fee attack), a taproot input its witness UTXO (BIP341 commits to every amount). Outputs on the
spending account's change branch (.../1/i) are change, which the device hides; all others are
shown, with the fee. Signatures the device returns are verified against the sighash (ECDSA for
segwit v0, BIP340 Schnorr against the output key for taproot, both with embit) before they go
into the PSBT.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from devices.base import DevicePrompt, PromptAmount, PromptKind, PromptOutput
from devices.emulator import UTXO_CHAINS
from devices.errors import AppCannotSign, DeviceError, Unsupported
from devices.psbt import PSBT_IN_TAP_KEY_SIG, SIGHASH_ALL, SIGHASH_DEFAULT
from said import Said

SYMBOLS = {"btc": "BTC", "btc-testnet": "tBTC", "btc-regtest": "rBTC", "ltc": "LTC"}
SYMBOLS |= {"ltc-testnet": "tLTC", "ltc-regtest": "rLTC"}
HARDENED = 0x80000000


class LedgerBitcoinError(DeviceError):
    """The Bitcoin app or ledger-bitcoin refused the request for a reason we cannot name."""

    code = "LEDGER_BITCOIN"


@dataclass(frozen=True)
class Spend:
    """The account a PSBT spends from: its origin path ("/84'/0'/0'") and script type."""

    origin: str
    purpose: int
    coin: int
    account: int
    taproot: bool


def origin_text(path: list[int]) -> str:
    return "".join(f"/{p & ~HARDENED}{chr(39) if p & HARDENED else ''}" for p in path)


def taproot_refusal(app: str, version: str, taproot_ok: bool) -> str | None:
    """Why this app cannot sign taproot, or None when it can."""
    if taproot_ok:
        return None
    if app == "Litecoin":
        return (
            f"Ledger's Litecoin app {version} cannot sign taproot: it speaks only the legacy "
            "Bitcoin protocol. Spend taproot coins with the software wallet."
        )
    return (
        f"Ledger's {app} app {version} cannot sign taproot: that needs Bitcoin app 2.1 or "
        "later. Update the app in Ledger Live, or spend it with the software wallet or a Trezor."
    )


def check_psbt(
    psbt: Any,
    chain: str,
    fingerprint: bytes,
    model: str,
    *,
    app: str,
    version: str,
    taproot_ok: bool,
) -> tuple[Spend, DevicePrompt]:
    """Refuse what the open app does not sign; the account spent and the prompt (outputs the
    device shows, and the fee)."""
    spend: Spend | None = None
    total_in = 0
    for i, inp in enumerate(psbt.inputs):
        ours = [d for d in inp.bip32_derivations.values() if d.fingerprint == fingerprint]
        tap = [
            (leaves, d)
            for leaves, d in inp.taproot_bip32_derivations.values()
            if d.fingerprint == fingerprint
        ]
        if tap and not ours:
            refusal = taproot_refusal(app, version, taproot_ok)
            if refusal is not None:
                raise AppCannotSign(f"input {i} is taproot: {refusal}", app=app, version=version)
            if any(leaves for leaves, _ in tap):
                raise Unsupported(
                    Said(
                        "ledger_btc.taproot_script_paths",
                        "input {i}: taproot script paths are not signed here",
                        i=i,
                    )
                )
            if inp.sighash_type not in (None, SIGHASH_DEFAULT):
                raise _sighash_refused(i, inp.sighash_type)
            if inp.witness_utxo is None and inp.non_witness_utxo is None:
                raise Unsupported(
                    Said(
                        "ledger_btc.taproot_needs_utxo",
                        "input {i}: a taproot input needs its UTXO (witness_utxo)",
                        i=i,
                    )
                )
            derivation, want = tap[0][1], "p2tr"
        elif ours:
            if inp.sighash_type not in (None, SIGHASH_ALL):
                raise _sighash_refused(i, inp.sighash_type)
            if inp.non_witness_utxo is None:
                raise Unsupported(
                    Said(
                        "ledger_btc.input_ledger_needs_previous",
                        "input {i}: the Ledger needs the previous transaction of segwit inputs "
                        "(PSBT non_witness_utxo)",
                        i=i,
                    )
                )
            derivation, want = ours[0], "p2wpkh"
        else:
            raise Unsupported(
                Said(
                    "ledger_btc.input_not_ledger_s",
                    "input {i} is not this Ledger's: it signs only its own inputs",
                    i=i,
                )
            )
        utxo = inp.utxo
        stype = utxo.script_pubkey.script_type()
        if stype != want:
            raise Unsupported(
                Said(
                    "ledger_btc.input_inputs_are_not",
                    "input {i}: {kind} inputs are not signed",
                    i=i,
                    kind=stype or "non-standard",
                )
            )
        path = list(derivation.derivation)
        if len(path) != 5 or any(not p & HARDENED for p in path[:3]):
            raise Unsupported(
                f"input {i}: not an account address path (m/purpose'/coin'/account'/change/i)"
            )
        this = Spend(
            origin_text(path[:3]),
            path[0] & ~HARDENED,
            path[1] & ~HARDENED,
            path[2] & ~HARDENED,
            want == "p2tr",
        )
        if spend is not None and this != spend:
            raise Unsupported(
                f"input {i} is from another account or script type ({this.origin}) than input "
                f"0 ({spend.origin}): the Ledger signs one account per transaction. Spend them "
                "in separate transactions."
            )
        spend = this
        total_in += utxo.value
    if spend is None:
        raise Unsupported(Said("ledger_btc.psbt_no_inputs", "the PSBT has no inputs"))
    symbol = SYMBOLS[chain]
    shown: list[PromptOutput] = []
    total_out = 0
    for j, out in enumerate(psbt.outputs):
        spk = out.script_pubkey
        total_out += out.value
        if _is_change(out, spend, fingerprint):
            continue  # the app checks our change and hides it
        if spk.data[:1] == b"\x6a":
            raise Unsupported(
                Said(
                    "ledger_btc.output_op_return_outputs",
                    "output {j}: OP_RETURN outputs are not signed here",
                    j=j,
                )
            )
        try:
            address = spk.address({"bech32": UTXO_CHAINS[chain].hrp, "p2pkh": b"", "p2sh": b""})
        except Exception:
            raise Unsupported(
                Said(
                    "ledger_btc.output_has_script_has",
                    "output {j} has a script that has no address",
                    j=j,
                )
            ) from None
        shown.append(
            PromptOutput(
                address=address, amount=PromptAmount(value=out.value, decimals=8, symbol=symbol)
            )
        )
    if total_out > total_in:
        raise Unsupported(
            Said(
                "ledger_btc.outputs_spend_more_than", "the outputs spend more than the inputs hold"
            )
        )
    prompt = DevicePrompt(
        kind=PromptKind.SIGN_PSBT,
        device=model,
        chain=chain,
        outputs=tuple(shown),
        fee=PromptAmount(value=total_in - total_out, decimals=8, symbol=symbol),
    )
    return spend, prompt


def _is_change(out: Any, spend: Spend, fingerprint: bytes) -> bool:
    """An output on the spending account's change branch, of its script type: the app
    recognises it as change and does not show it. Any other output is shown here too."""
    if spend.taproot:
        derivations = [d for leaves, d in out.taproot_bip32_derivations.values() if not leaves]
        kind = "p2tr"
    else:
        derivations = list(out.bip32_derivations.values())
        kind = "p2wpkh"
    for d in derivations:
        path = list(d.derivation)
        if (
            d.fingerprint == fingerprint
            and len(path) == 5
            and origin_text(path[:3]) == spend.origin
            and path[3] == 1
            and out.script_pubkey.script_type() == kind
        ):
            return True
    return False


def add_signatures(psbt: Any, results: list[tuple[int, Any]]) -> bytes:
    """Our PSBT with the device's signatures, each checked against the sighash first: a
    signature that does not verify is an error, never a PSBT that fails on broadcast."""
    from embit import ec
    from embit.hashes import hash160

    got: set[int] = set()
    for i, partial in results:
        if i >= len(psbt.inputs) or not hasattr(partial, "signature"):
            raise LedgerBitcoinError(
                Said(
                    "ledger_btc.ledger_returned_signature_no",
                    "The Ledger returned a signature for no known input.",
                )
            )
        inp = psbt.inputs[i]
        spk = inp.utxo.script_pubkey
        sig = bytes(partial.signature)
        if spk.script_type() == "p2tr":
            if getattr(partial, "tapleaf_hash", None) or len(sig) != 64:
                raise LedgerBitcoinError(
                    f"The Ledger returned a taproot signature of another kind for input {i}."
                )
            try:
                output_key = ec.PublicKey.from_xonly(spk.data[2:])
                h = psbt.sighash(i, sighash=SIGHASH_DEFAULT)
                valid = output_key.schnorr_verify(ec.SchnorrSig.parse(sig), h)
            except Exception:
                valid = False
            if not valid:
                raise _not_verified(i)
            inp.unknown = dict(inp.unknown)  # embit may share a default dict between scopes
            inp.unknown[PSBT_IN_TAP_KEY_SIG] = sig
        else:
            if sig[-1:] != bytes([SIGHASH_ALL]):
                raise LedgerBitcoinError(
                    Said(
                        "ledger_btc.ledger_returned_signature_no",
                        "The Ledger returned a signature for no known input.",
                    )
                )
            try:
                pub = ec.PublicKey.parse(bytes(partial.pubkey))
                # the key must be the input's own, not just any key the signature fits
                valid = spk.data[2:] == hash160(pub.sec()) and pub.verify(
                    ec.Signature.parse(sig[:-1]), psbt.sighash(i)
                )
            except Exception:
                valid = False
            if not valid:
                raise _not_verified(i)
            inp.partial_sigs[pub] = sig
        got.add(i)
    missing = [i for i in range(len(psbt.inputs)) if i not in got]
    if missing:
        raise LedgerBitcoinError(
            Said(
                "ledger_btc.ledger_returned_no_signature",
                "The Ledger returned no signature for input(s) {missing}.",
                missing=missing,
            )
        )
    return bytes(psbt.serialize())


def _not_verified(i: int) -> LedgerBitcoinError:
    return LedgerBitcoinError(
        Said(
            "ledger_btc.ledger_s_signature_input",
            "The Ledger's signature for input {i} does not verify.",
            i=i,
        )
    )


def compressed_key(pub: bytes) -> bytes:
    """A public key the app returned (65 bytes uncompressed, or 33), as 33 bytes."""
    if len(pub) == 33:
        return pub
    if len(pub) != 65 or pub[0] != 4:
        raise LedgerBitcoinError(
            Said(
                "ledger_btc.ledger_returned_public_key",
                "The Ledger returned a public key in an unknown format.",
            )
        )
    return bytes([2 + (pub[64] & 1)]) + pub[1:33]


def _sighash_refused(i: int, sighash_type: int) -> Unsupported:
    return Unsupported(
        Said(
            "ledger_btc.input_sighash_type_not",
            "input {i}: sighash type {sighash_type} is not signed",
            i=i,
            sighash_type=sighash_type,
        )
    )
