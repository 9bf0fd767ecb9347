"""devices/evmtx.py builds the bytes device signers sign and the raw transaction from their
(v, r, s); each layout is compared byte for byte with eth-account signing the same transaction
with the same key (the independent implementation)."""

from __future__ import annotations

import pytest
from eth_account import Account
from eth_utils import keccak

from devices.emulator import EvmTx, sign_evm_tx_with_key
from devices.evmtx import assemble, unsigned_payload
from devices.models import AccessListEntry

KEY = keccak(text="cow")
SENDER = Account.from_key(KEY).address
TO = "0x3535353535353535353535353535353535353535"
ACCESS = (
    AccessListEntry(
        address="0xde0B295669a9FD93d5F28D9Ec85E40f4cb697BAe",
        storage_keys=("0x" + "00" * 31 + "03", "0x" + "00" * 31 + "07"),
    ),
    AccessListEntry(address="0xbb9bc244d798123fde783fcc1c72d3bb8c189413"),
)

TXS = {
    "legacy": EvmTx(chain_id=1, nonce=3, gas=21_000, to=TO, value=5, gas_price=2 * 10**9),
    "eip2930": EvmTx(
        chain_id=1, nonce=3, gas=60_000, to=TO, value=5, gas_price=2 * 10**9, access_list=ACCESS
    ),
    "eip2930-empty-list": EvmTx(
        chain_id=1, nonce=0, gas=21_000, to=TO, gas_price=10**9, access_list=()
    ),
    "eip1559-access-list": EvmTx(
        chain_id=5,
        nonce=9,
        gas=80_000,
        to=TO,
        data=b"\x12\x34",
        max_fee_per_gas=40 * 10**9,
        max_priority_fee_per_gas=10**9,
        access_list=ACCESS,
    ),
}


@pytest.mark.parametrize("name", list(TXS))
def test_device_layout_matches_eth_account(name: str):
    tx = TXS[name]
    reference = Account.sign_transaction(tx.to_eth_account(), KEY)
    # What a device signs is keccak(unsigned_payload); eth-account's signature over the same
    # transaction must be a signature of exactly that hash.
    digest = keccak(unsigned_payload(tx))
    recovered = Account._recover_hash(digest, vrs=(reference.v, reference.r, reference.s))
    assert recovered == SENDER
    ours = assemble(tx, reference.v, reference.r, reference.s)
    assert ours.raw_transaction == bytes(reference.raw_transaction)
    assert ours.tx_hash == bytes(reference.hash)


def test_types():
    assert [TXS[n].tx_type for n in TXS] == [0, 1, 1, 2]
    sig = sign_evm_tx_with_key(KEY, TXS["eip2930"])
    assert sig.raw_transaction[0] == 1 and sig.v in (0, 1)
    assert Account.recover_transaction(sig.raw_transaction) == SENDER


def test_access_list_is_checked():
    with pytest.raises(ValueError, match="40 hex"):
        AccessListEntry(address="de0B295669a9FD93d5F28D9Ec85E40f4cb697BAe")
    with pytest.raises(ValueError, match="32 bytes"):
        AccessListEntry(address=TO, storage_keys=("0x01",))
    # A dict from JSON (as a dapp sends it) is accepted; unknown keys are not.
    tx = EvmTx.model_validate(
        {
            "chain_id": 1,
            "nonce": 0,
            "gas": 21_000,
            "to": TO,
            "gas_price": 1,
            "access_list": [{"address": TO, "storage_keys": ["0x" + "11" * 32]}],
        }
    )
    assert tx.tx_type == 1 and tx.access_list[0].storage_keys == (b"\x11" * 32,)  # type: ignore[index]
    with pytest.raises(ValueError):
        EvmTx.model_validate({**tx.model_dump(), "blobs": []})
