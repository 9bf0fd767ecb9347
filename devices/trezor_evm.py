"""Ethereum transactions and EIP-712 typed data on a Trezor (devices/trezor.py's TrezorSigner
delegates here; trezorlib's errors are mapped there). Runs on the device thread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from devices.base import DevicePrompt, PromptKind
from devices.errors import Unsupported
from devices.trezor import key_path
from said import Said

if TYPE_CHECKING:
    from devices.models import EvmSignature, EvmTx
    from devices.trezor import TrezorSigner


def _access_list(tx: EvmTx) -> list[Any]:
    from trezorlib import messages

    return [
        messages.EthereumAccessList(address=e.address, storage_keys=list(e.storage_keys))
        for e in tx.access_list or ()
    ]


def sign_evm_tx(signer: TrezorSigner, path: str, tx: EvmTx) -> EvmSignature:
    from trezorlib import ethereum

    from devices.evmtx import assemble, evm_prompt

    if tx.to is None:
        raise Unsupported(
            Said(
                "trezor_evm.trezor_adapter_does_not", "the Trezor adapter does not deploy contracts"
            )
        )
    if tx.tx_type == 1:
        # Trezor firmware (and trezorlib's EthereumSignTx) has no EIP-2930 transaction:
        # its legacy message carries no access list, and dropping it would sign another
        # transaction than the one reviewed.
        raise Unsupported(
            Said(
                "trezor_evm.trezor_does_not_sign",
                "The Trezor does not sign EIP-2930 (type 1) transactions: "
                "send it as an EIP-1559 transaction with the same access "
                "list, or sign with another signer.",
            )
        )
    session = signer.session_for_wallet()
    n = key_path(path)
    signer.show(evm_prompt(signer.info.model, path, tx))
    try:
        if tx.is_eip1559:
            v, r, s = ethereum.sign_tx_eip1559(
                session,
                n,
                nonce=tx.nonce,
                gas_limit=tx.gas,
                to=tx.to,
                value=tx.value,
                data=tx.data,
                chain_id=tx.chain_id,
                max_gas_fee=tx.max_fee_per_gas or 0,
                max_priority_fee=tx.max_priority_fee_per_gas or 0,
                access_list=_access_list(tx),
            )
        else:
            v, r, s = ethereum.sign_tx(
                session,
                n,
                nonce=tx.nonce,
                gas_price=tx.gas_price or 0,
                gas_limit=tx.gas,
                to=tx.to,
                value=tx.value,
                data=tx.data,
                chain_id=tx.chain_id,
            )
    finally:
        signer.done()
    return assemble(tx, v, int.from_bytes(r, "big"), int.from_bytes(s, "big"))


def sign_typed_data(signer: TrezorSigner, path: str, data: dict[str, Any]) -> bytes:
    from trezorlib import ethereum

    # Checked (and hashed) as MetaMask's V4 does before the device sees anything: what is
    # refused there is refused for every signer (devices/eip712.py).
    from devices.eip712 import canonical, has_null_struct
    from devices.evmtx import typed_data_hashes

    domain, message = typed_data_hashes(data)
    one = signer.info.model == "Trezor One"
    if not one and has_null_struct(data):
        raise Unsupported(
            Said(
                "trezor_evm.trezor_reads_typed_data",
                "This Trezor reads the typed data itself and cannot sign a "
                "document with an empty (null) struct in it; the Trezor One "
                "and the software wallet can.",
            )
        )
    session = signer.session_for_wallet()
    n = key_path(path)
    hashes: tuple[str, ...] = ()
    if one:
        # The One cannot parse EIP-712 documents; it signs (and shows) the hashes, the
        # message hash absent for a domain-only document.
        hashes = (domain.hex(),) if message is None else (domain.hex(), message.hex())
    signer.show(
        DevicePrompt(
            kind=PromptKind.SIGN_TYPED_DATA, device=signer.info.model, path=path, hashes=hashes
        )
    )
    try:
        if one:
            sig = ethereum.sign_typed_data_hash(session, n, domain, message).signature
        else:
            sig = ethereum.sign_typed_data(
                session, n, canonical(data), metamask_v4_compat=True
            ).signature
    finally:
        signer.done()
    return bytes(sig)
