"""Ethereum signing by the software signer: recovered by eth-account, accepted by a real node."""

from __future__ import annotations

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct, encode_typed_data

from devices.emulator import EvmTx, SigningError, SoftwareSigner
from devices.errors import Unsupported

ABANDON = "abandon " * 11 + "about"
PATH = "m/44'/60'/0'/0/0"
ADDRESS = "0x9858EfFD232B4033E47d90003D41EC34EcaEda94"  # ABANDON at PATH (widely published)
TO = "0x3535353535353535353535353535353535353535"


@pytest.fixture(scope="module")
def signer() -> SoftwareSigner:
    return SoftwareSigner.from_mnemonic(ABANDON)


def test_address_and_capabilities(signer: SoftwareSigner):
    assert signer.get_address("eth", PATH) == ADDRESS
    assert signer.get_address("sepolia", PATH) == ADDRESS
    assert "eth_sign_tx" in signer.capabilities()
    with pytest.raises(Unsupported):
        signer.get_address("dogecoin", PATH)


def test_legacy_eip155_transaction_recovers_to_the_signer(signer: SoftwareSigner):
    tx = EvmTx(chain_id=5, nonce=0, gas=21_000, to=TO, value=1, gas_price=10**9)
    sig = signer.sign_evm_tx(PATH, tx)
    assert sig.v in (5 * 2 + 35, 5 * 2 + 36)  # EIP-155: chain id inside v
    assert Account.recover_transaction(sig.raw_transaction) == ADDRESS


def test_eip1559_transaction_recovers_to_the_signer(signer: SoftwareSigner):
    tx = EvmTx(
        chain_id=1,
        nonce=7,
        gas=60_000,
        to=TO,
        value=10**15,
        data=b"\x01\x02",
        max_fee_per_gas=30 * 10**9,
        max_priority_fee_per_gas=10**9,
    )
    sig = signer.sign_evm_tx(PATH, tx)
    assert sig.raw_transaction[0] == 2  # typed transaction, EIP-2718 type 2
    assert sig.v in (0, 1)
    assert Account.recover_transaction(sig.raw_transaction) == ADDRESS


def test_fee_model_must_be_one_or_the_other():
    with pytest.raises(ValueError):
        EvmTx(chain_id=1, nonce=0, gas=21_000, to=TO, gas_price=1, max_fee_per_gas=2,
              max_priority_fee_per_gas=1)  # fmt: skip
    with pytest.raises(ValueError):
        EvmTx(chain_id=1, nonce=0, gas=21_000, to=TO)


def test_eip191_message(signer: SoftwareSigner):
    sig = signer.sign_message(PATH, b"I own this address")
    assert len(sig) == 65
    recovered = Account.recover_message(
        encode_defunct(primitive=b"I own this address"), signature=sig
    )
    assert recovered == ADDRESS
    other = Account.recover_message(encode_defunct(primitive=b"something else"), signature=sig)
    assert other != ADDRESS


def test_eip712_typed_data(signer: SoftwareSigner):
    data = {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "chainId", "type": "uint256"},
            ],
            "Note": [{"name": "text", "type": "string"}],
        },
        "primaryType": "Note",
        "domain": {"name": "termwallet test", "chainId": 1},
        "message": {"text": "hello"},
    }
    sig = signer.sign_typed_data(PATH, data)
    assert Account.recover_message(encode_typed_data(full_message=data), signature=sig) == ADDRESS
    with pytest.raises(SigningError):
        signer.sign_typed_data(PATH, {"types": {}, "message": {}})


def test_closed_signer_cannot_sign():
    s = SoftwareSigner.from_mnemonic(ABANDON)
    s.close()
    with pytest.raises(Exception, match="closed"):
        s.get_address("eth", PATH)


@pytest.mark.devnet
def test_anvil_accepts_legacy_and_eip1559_transactions(devnet_snapshot):
    """A real node (anvil) checks the signatures and executes both transactions."""
    net = devnet_snapshot
    signer = SoftwareSigner.from_mnemonic(ABANDON)
    sender = signer.get_address("devnet", PATH)
    assert sender == net.demo_address
    assert int(net.rpc("eth_getBalance", [sender, "latest"]), 16) > 10**18
    chain_id = int(net.rpc("eth_chainId"), 16)
    nonce = int(net.rpc("eth_getTransactionCount", [sender, "latest"]), 16)
    base_fee = int(net.rpc("eth_getBlockByNumber", ["latest", False])["baseFeePerGas"], 16)
    gas_price = int(net.rpc("eth_gasPrice"), 16)
    txs = [
        EvmTx(chain_id=chain_id, nonce=nonce, gas=21_000, to=TO, value=12345, gas_price=gas_price),
        EvmTx(
            chain_id=chain_id,
            nonce=nonce + 1,
            gas=21_000,
            to=TO,
            value=678,
            max_fee_per_gas=base_fee * 2 + 10**9,
            max_priority_fee_per_gas=10**9,
        ),
    ]
    before = int(net.rpc("eth_getBalance", [TO, "latest"]), 16)
    for tx in txs:
        sig = signer.sign_evm_tx(PATH, tx)
        tx_hash = net.rpc("eth_sendRawTransaction", ["0x" + sig.raw_transaction.hex()])
        assert tx_hash == "0x" + sig.tx_hash.hex()
        receipt = net.rpc("eth_getTransactionReceipt", [tx_hash])
        assert receipt is not None and receipt["status"] == "0x1"
        assert receipt["from"].lower() == sender.lower()
    assert int(net.rpc("eth_getBalance", [TO, "latest"]), 16) == before + 12345 + 678


@pytest.mark.devnet
def test_anvil_mines_eip2930_transactions_from_both_signing_paths(devnet_snapshot):
    """Type 1 (EIP-2930) on a real node: signed by the software signer, and assembled by
    devices/evmtx.py from a bare signature over its unsigned payload, as a device returns it.
    Both mine, as type 0x1, from the signer's address; the access list names the deployed
    token so the node charges its warm-access price."""
    from eth_keys import keys
    from eth_utils import keccak

    from devices.evmtx import assemble, unsigned_payload
    from devices.models import AccessListEntry

    net = devnet_snapshot
    signer = SoftwareSigner.from_mnemonic(ABANDON)
    sender = signer.get_address("devnet", PATH)
    chain_id = int(net.rpc("eth_chainId"), 16)
    nonce = int(net.rpc("eth_getTransactionCount", [sender, "latest"]), 16)
    gas_price = int(net.rpc("eth_gasPrice"), 16) * 2
    token = net.deployment.weth
    access = (AccessListEntry(address=token, storage_keys=("0x" + "00" * 32,)),)
    txs = [
        EvmTx(
            chain_id=chain_id,
            nonce=nonce + i,
            gas=30_000,
            to=TO,
            value=100 + i,
            gas_price=gas_price,
            access_list=access,
        )
        for i in range(2)
    ]
    sigs = [signer.sign_evm_tx(PATH, txs[0])]
    key = keys.PrivateKey(signer._key(PATH))
    device_sig = key.sign_msg_hash(keccak(unsigned_payload(txs[1])))
    sigs.append(assemble(txs[1], device_sig.v, device_sig.r, device_sig.s))
    for sig in sigs:
        assert sig.raw_transaction[0] == 1
        assert Account.recover_transaction(sig.raw_transaction) == sender
        tx_hash = net.rpc("eth_sendRawTransaction", ["0x" + sig.raw_transaction.hex()])
        assert tx_hash == "0x" + sig.tx_hash.hex()
        receipt = net.rpc("eth_getTransactionReceipt", [tx_hash])
        assert receipt is not None and receipt["status"] == "0x1"
        assert receipt["type"] == "0x1"
        assert receipt["from"].lower() == sender.lower()
        mined = net.rpc("eth_getTransactionByHash", [tx_hash])
        assert [a["address"].lower() for a in mined["accessList"]] == [token.lower()]
