"""The demo deployment on a real anvil: balances, pools, determinism, and a real swap."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from chains.devnet.anvil import Anvil
from chains.devnet.artifacts import load_artifact
from chains.devnet.deploy import connect, deploy_demo, pair_for
from chains.devnet.errors import DevnetDeployFailed
from tests.fixtures.devnet import DEMO_ADDRESS, DEMO_DERIVATION_PATH, DEMO_MNEMONIC, Devnet

ETHER = 10**18


def _contract(w3: Any, name: str, address: str) -> Any:
    return w3.eth.contract(address=address, abi=list(load_artifact(name).abi))


def test_demo_address_is_the_test_mnemonics_first_account() -> None:
    from eth_account import Account

    Account.enable_unaudited_hdwallet_features()
    acct = Account.from_mnemonic(DEMO_MNEMONIC, account_path=DEMO_DERIVATION_PATH)
    assert acct.address == DEMO_ADDRESS


@pytest.mark.devnet
def test_demo_address_holds_the_round_amounts(devnet: Devnet) -> None:
    w3 = connect(devnet.rpc_url)
    dep = devnet.deployment
    assert w3.eth.get_balance(DEMO_ADDRESS) == 12_500_000_000_000_000_000
    expected = {"DUSD": ("Demo Dollar", 6, 2_500_000_000), "DGLD": ("Demo Gold", 18, 40 * ETHER)}
    assert {t.symbol for t in dep.tokens} == set(expected)
    for symbol, (name, decimals, amount) in expected.items():
        token = _contract(w3, "DemoToken", dep.token(symbol).address)
        assert token.functions.symbol().call() == symbol
        assert token.functions.name().call() == name
        assert token.functions.decimals().call() == decimals
        balance = token.functions.balanceOf(DEMO_ADDRESS).call()
        assert type(balance) is int and balance == amount
        assert dep.token(symbol).demo_amount == amount
    assert dep.demo_native_wei == 12_500_000_000_000_000_000


@pytest.mark.devnet
def test_pools_exist_where_router02_computes_them(devnet: Devnet) -> None:
    w3 = connect(devnet.rpc_url)
    dep = devnet.deployment
    factory = _contract(w3, "UniswapV2Factory", dep.factory)
    router = _contract(w3, "UniswapV2Router02", dep.router)
    assert router.functions.factory().call() == dep.factory
    assert router.functions.WETH().call() == dep.weth
    dusd, dgld = dep.token("DUSD").address, dep.token("DGLD").address
    for name, a, b in (("WETH/DUSD", dep.weth, dusd), ("DUSD/DGLD", dusd, dgld)):
        on_chain = factory.functions.getPair(a, b).call()
        assert pair_for(dep.factory, a, b, dep.init_code_hash) == on_chain
        assert pair_for(dep.factory, b, a, dep.init_code_hash) == on_chain
        assert dep.pair(name).address == on_chain
        pair = _contract(w3, "UniswapV2Pair", on_chain)
        assert pair.functions.token0().call() == dep.pair(name).token0
        reserve0, reserve1, _ = pair.functions.getReserves().call()
        assert reserve0 > 0 and reserve1 > 0


@pytest.mark.devnet
def test_swap_receives_exactly_the_quoted_amount(devnet_snapshot: Devnet) -> None:
    from eth_account import Account

    Account.enable_unaudited_hdwallet_features()
    signer = Account.from_mnemonic(DEMO_MNEMONIC, account_path=DEMO_DERIVATION_PATH)
    w3 = connect(devnet_snapshot.rpc_url)
    dep = devnet_snapshot.deployment
    router = _contract(w3, "UniswapV2Router02", dep.router)
    dusd = _contract(w3, "DemoToken", dep.token("DUSD").address)
    pair = _contract(w3, "UniswapV2Pair", dep.pair("WETH/DUSD").address)

    amount_in = ETHER // 2
    path = [dep.weth, dusd.address]
    quoted = router.functions.getAmountsOut(amount_in, path).call()[-1]
    # Uniswap V2's constant-product formula with its 0.3% fee, from the reserves.
    r0, r1, _ = pair.functions.getReserves().call()
    r_weth, r_dusd = (r0, r1) if dep.pair("WETH/DUSD").token0 == dep.weth else (r1, r0)
    assert quoted == amount_in * 997 * r_dusd // (r_weth * 1000 + amount_in * 997)

    dusd_before = dusd.functions.balanceOf(DEMO_ADDRESS).call()
    eth_before = w3.eth.get_balance(DEMO_ADDRESS)
    deadline = w3.eth.get_block("latest")["timestamp"] + 600
    tx = router.functions.swapExactETHForTokens(
        quoted, path, DEMO_ADDRESS, deadline
    ).build_transaction(
        {
            "from": DEMO_ADDRESS,
            "value": amount_in,
            "nonce": w3.eth.get_transaction_count(DEMO_ADDRESS),
            "chainId": dep.chain_id,
        }
    )
    receipt = w3.eth.wait_for_transaction_receipt(
        w3.eth.send_raw_transaction(signer.sign_transaction(tx).raw_transaction), timeout=30
    )
    assert receipt["status"] == 1
    assert dusd.functions.balanceOf(DEMO_ADDRESS).call() - dusd_before == quoted
    fee = receipt["gasUsed"] * receipt["effectiveGasPrice"]
    assert eth_before - w3.eth.get_balance(DEMO_ADDRESS) == amount_in + fee


@pytest.mark.devnet
def test_snapshot_restores_chain_state(devnet: Devnet) -> None:
    w3 = connect(devnet.rpc_url)
    before = w3.eth.get_balance(DEMO_ADDRESS)
    with devnet.snapshot():
        devnet.rpc("anvil_setBalance", [DEMO_ADDRESS, hex(1)])
        assert w3.eth.get_balance(DEMO_ADDRESS) == 1
    assert w3.eth.get_balance(DEMO_ADDRESS) == before


@pytest.mark.devnet
def test_a_second_run_on_a_fresh_anvil_gives_the_same_deployment(
    devnet: Devnet, tmp_path: Path
) -> None:
    with Anvil(tmp_path) as node:
        again = deploy_demo(node.rpc_url, DEMO_ADDRESS)
    assert again.rpc_url != devnet.deployment.rpc_url  # really another node
    assert again.model_dump(exclude={"rpc_url"}) == devnet.deployment.model_dump(
        exclude={"rpc_url"}
    )


@pytest.mark.devnet
def test_deploying_twice_on_one_chain_is_refused(devnet: Devnet) -> None:
    with pytest.raises(DevnetDeployFailed, match="fresh devnet") as info:
        deploy_demo(devnet.rpc_url, DEMO_ADDRESS)
    assert info.value.code == "DEVNET_DEPLOY_FAILED"


@pytest.mark.devnet
def test_bad_demo_address_is_refused(devnet: Devnet) -> None:
    with pytest.raises(DevnetDeployFailed, match="not an Ethereum address"):
        deploy_demo(devnet.rpc_url, "0x1234")
