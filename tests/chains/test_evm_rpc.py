"""chains.evm beyond balances, on the real devnet: RPC fallback, token metadata, fee history,
broadcast errors; and the static parts (network registry, token lists, fee maths)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chains.errors import BadResponse, NodeUnreachable
from chains.evm import AlreadyKnown, EvmBackend, NonceUsed, NotAToken, TxRejected
from chains.fees import FeeTier, bumped, custom_fee, tiers_from_history
from chains.networks import NETWORKS, get_network, network_ids
from chains.networks import devnet as devnet_network
from chains.tokens import find_listed, impersonates, listed_tokens
from tests.fixtures.devnet import DEMO_DERIVATION_PATH, DEMO_MNEMONIC, Devnet

DEAD = "http://127.0.0.1:9"


def test_registry_has_the_issue_networks_with_distinct_chain_ids() -> None:
    assert set(network_ids()) == {"eth", "sepolia", "polygon", "arbitrum", "base", "bnb", "devnet"}
    ids = {n.evm_chain_id for n in NETWORKS.values()}
    assert ids == {1, 11155111, 137, 42161, 8453, 56}
    assert NETWORKS["bnb"].native_symbol == "BNB" and NETWORKS["polygon"].native_symbol == "POL"
    for n in NETWORKS.values():
        assert n.explorer_url and n.explorer_url.startswith("https://")
        assert len(n.rpc_urls) >= 2  # a fallback for each


def test_user_rpc_urls_replace_the_public_ones() -> None:
    """The lead's rule (commit c32c46e): a user's own nodes are not backed by public ones."""
    mine = ["https://a.my.node", "https://b.my.node", "https://a.my.node"]
    net = get_network("eth", {"eth": mine})
    assert net.rpc_urls == ("https://a.my.node", "https://b.my.node")
    assert get_network("eth").rpc_urls == NETWORKS["eth"].rpc_urls
    with pytest.raises(ValueError, match="devnet"):
        get_network("devnet", {})
    with pytest.raises(ValueError, match="unknown network"):
        get_network("solana")


def test_token_lists_are_checksummed_and_per_network() -> None:
    from eth_utils import to_checksum_address

    files = sorted(p.stem for p in (Path("chains/tokenlists")).glob("*.json"))
    assert set(files) <= set(NETWORKS)
    for nid in NETWORKS:
        data = json.loads(Path(f"chains/tokenlists/{nid}.json").read_text())
        assert data["network"] == nid
        for tok in listed_tokens(nid):
            assert tok.contract == to_checksum_address(tok.contract), tok
    usdc = find_listed("eth", "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48")
    assert usdc is not None and usdc.decimals == 6
    fake = impersonates("eth", "usdc", "0x" + "12" * 20)
    assert fake is not None and fake.symbol == "USDC"
    assert impersonates("eth", "USDC", usdc.contract or "") is None


def test_fee_tiers_from_history() -> None:
    gwei = 10**9
    rewards = [
        [1 * gwei, 2 * gwei, 5 * gwei],
        [1 * gwei, 3 * gwei, 4 * gwei],
        [2 * gwei, 2 * gwei, 9 * gwei],
    ]
    opts = tiers_from_history([10 * gwei, 11 * gwei, 12 * gwei, 13 * gwei], rewards)
    assert opts.normal.base_fee == 13 * gwei
    assert [
        opts.slow.max_priority_fee_per_gas,
        opts.normal.max_priority_fee_per_gas,
        opts.fast.max_priority_fee_per_gas,
    ] == [1 * gwei, 2 * gwei, 5 * gwei]
    assert opts.fast.max_fee_per_gas == 2 * 13 * gwei + 5 * gwei
    assert opts.get(FeeTier.FAST) is opts.fast
    quiet = tiers_from_history([100, 100], [[0, 0, 0]])  # idle chain: tips hit the floors
    assert quiet.slow.max_priority_fee_per_gas < quiet.fast.max_priority_fee_per_gas
    with pytest.raises(BadResponse):
        tiers_from_history([], [])
    with pytest.raises(ValueError):
        custom_fee(10, 11, 5)
    max_fee, tip = bumped(100 * gwei, 2 * gwei, opts.slow)
    assert max_fee >= 110 * gwei and tip >= 2.2 * gwei


@pytest.mark.devnet
async def test_the_next_url_answers_when_the_first_is_down(devnet: Devnet) -> None:
    net = devnet_network(DEAD).model_copy(update={"rpc_urls": (DEAD, devnet.rpc_url)})
    backend = EvmBackend(net, timeout=2)
    try:
        assert await backend.block_number() >= devnet.deployment.block_number
        assert backend.url == devnet.rpc_url  # sticks to the one that answered
    finally:
        await backend.aclose()
    both_dead = EvmBackend(
        devnet_network(DEAD).model_copy(update={"rpc_urls": (DEAD, "http://127.0.0.1:1")}),
        timeout=2,
    )
    with pytest.raises(NodeUnreachable):
        await both_dead.block_number()
    await both_dead.aclose()


@pytest.mark.devnet
async def test_token_metadata_and_non_tokens(devnet: Devnet) -> None:
    backend = EvmBackend(devnet_network(devnet.rpc_url))
    try:
        dgld = devnet.deployment.token("DGLD")
        meta = await backend.token_metadata(dgld.address.lower())
        assert (meta.symbol, meta.name, meta.decimals, meta.contract) == (
            "DGLD",
            "Demo Gold",
            18,
            dgld.address,
        )
        with pytest.raises(NotAToken, match="not a contract"):
            await backend.token_metadata(devnet.demo_address)
        with pytest.raises(NotAToken):
            await backend.token_metadata(devnet.deployment.factory)  # a contract, no decimals()
        assert await backend.is_contract(devnet.deployment.router)
        assert not await backend.is_contract(devnet.demo_address)
    finally:
        await backend.aclose()


@pytest.mark.devnet
async def test_broadcast_errors_are_typed(devnet_snapshot: Devnet) -> None:
    from devices.emulator import SoftwareSigner
    from devices.models import EvmTx

    backend = EvmBackend(devnet_network(devnet_snapshot.rpc_url))
    signer = SoftwareSigner.from_mnemonic(DEMO_MNEMONIC)
    fees = await backend.fee_options()

    def tx(nonce: int, **kw: int) -> bytes:
        t = EvmTx(
            chain_id=31337,
            nonce=nonce,
            gas=21_000,
            to=devnet_snapshot.deployment.deployer,
            value=kw.get("value", 1),
            max_fee_per_gas=fees.normal.max_fee_per_gas,
            max_priority_fee_per_gas=fees.normal.max_priority_fee_per_gas,
        )
        return signer.sign_evm_tx(DEMO_DERIVATION_PATH, t).raw_transaction

    try:
        devnet_snapshot.rpc("evm_setAutomine", [False])
        raw = tx(0)
        tx_hash = await backend.broadcast(raw)
        with pytest.raises(AlreadyKnown):
            await backend.broadcast(raw)
        assert (await backend.receipts([tx_hash]))[tx_hash] is None
        devnet_snapshot.rpc("evm_mine")
        rcpt = (await backend.receipts([tx_hash]))[tx_hash]
        assert rcpt is not None and rcpt.success and rcpt.gas_used == 21_000
        with pytest.raises(NonceUsed):
            await backend.broadcast(raw)
        with pytest.raises(TxRejected):
            await backend.broadcast(tx(1, value=10**30))  # more than the account holds
        latest, pending = await backend.nonces(devnet_snapshot.demo_address)
        assert (latest, pending) == (1, 1)
    finally:
        devnet_snapshot.rpc("evm_setAutomine", [True])
        signer.close()
        await backend.aclose()


def test_eth_call_answers_read_as_web3_read_them():
    """A contract read's answer: hex bytes; a revert with the contract's Error(string) reason
    (from the node's words or, when they lack it, from the error's data); anything else a
    BadResponse naming the node."""
    from eth_abi import encode

    from chains.errors import BadResponse
    from chains.evm_errors import CallReverted
    from chains.evm_rpc import call_result

    url = "http://node.example"
    assert call_result({"result": "0x00ff"}, url) == b"\x00\xff"
    assert call_result({"result": "0x"}, url) == b""
    reason = "0x08c379a0" + encode(["string"], ["pool: too little out"]).hex()
    bare = {"error": {"code": 3, "message": "execution reverted", "data": reason}}
    with pytest.raises(CallReverted, match="execution reverted: pool: too little out"):
        call_result(bare, url)
    said = {"error": {"code": -32000, "message": "execution reverted: no pool"}}
    with pytest.raises(CallReverted, match="no pool"):
        call_result(said, url)
    for lie in (
        None,
        [],
        {"result": None},
        {"result": "0x0"},
        {"result": "zz"},
        {"result": "0xzz"},
    ):
        with pytest.raises(BadResponse, match=r"node\.example"):
            call_result(lie, url)
    with pytest.raises(BadResponse, match="out of gas"):
        call_result({"error": {"code": -32000, "message": "out of gas"}}, url)
