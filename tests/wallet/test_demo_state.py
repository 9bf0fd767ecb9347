"""The demo's prepared world (wallet/demo_state.py): made by deploy_demo on the first run,
loaded on later runs, and then indistinguishable on chain from a fresh deployment; a damaged
or stale dump is never used."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wallet.demo import start_devnet
from wallet.demo_state import SUBDIR, rpc

pytestmark = pytest.mark.devnet

BALANCE_OF = "0x70a08231"  # balanceOf(address)


def _reads(anvil, deployment, address: str) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """What the demo reads and shows, and the chain's identity: block, its hash and state
    root, code at every contract, the demo account's ether and tokens."""
    url = anvil.rpc_url
    owner = address[2:].lower().rjust(64, "0")
    contracts = [deployment.weth, deployment.factory, deployment.router]
    contracts += [t.address for t in deployment.tokens] + [p.address for p in deployment.pairs]
    block, ether, *rest = rpc(
        url,
        [
            ("eth_getBlockByNumber", ["latest", False]),
            ("eth_getBalance", [address, "latest"]),
            *(("eth_getCode", [c, "latest"]) for c in contracts),
            *(
                ("eth_call", [{"to": t.address, "data": BALANCE_OF + owner}, "latest"])
                for t in deployment.tokens
            ),
        ],
    )
    return {
        "block": (block["number"], block["hash"], block["stateRoot"], block["timestamp"]),
        "ether": ether,
        "rest": rest,
    }


def _next_block(anvil) -> str:  # type: ignore[no-untyped-def]
    rpc(anvil.rpc_url, [("evm_mine", [])])
    (block,) = rpc(anvil.rpc_url, [("eth_getBlockByNumber", ["latest", False])])
    return str(block["timestamp"])


def test_a_loaded_world_answers_as_the_fresh_deployment(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    fresh, deployment, address = start_devnet(tmp_path / "a", cache)
    try:
        dumps = list((cache / SUBDIR).glob("*.json"))
        assert len(dumps) == 1  # made by this run's deployment
        made = dumps[0].stat().st_ino
        loaded, deployment2, address2 = start_devnet(tmp_path / "b", cache)
        try:
            assert dumps[0].stat().st_ino == made  # loaded, not deployed and saved again
            assert address2 == address
            assert rpc(
                loaded.rpc_url, [("eth_getTransactionCount", [deployment.deployer, "latest"])]
            ) != ["0x0"]
            assert deployment2.rpc_url == loaded.rpc_url != deployment.rpc_url
            assert deployment2.model_dump(exclude={"rpc_url"}) == deployment.model_dump(
                exclude={"rpc_url"}
            )
            assert _reads(loaded, deployment2, address) == _reads(fresh, deployment, address)
            # The next block follows the loaded ones as after a deployment (time moves on).
            assert _next_block(loaded) == _next_block(fresh)
        finally:
            loaded.stop()
    finally:
        fresh.stop()


def test_a_damaged_or_stale_dump_means_a_fresh_deployment(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    anvil, deployment, _ = start_devnet(tmp_path / "a", cache)
    anvil.stop()
    (dump,) = (cache / SUBDIR).glob("*.json")
    record = json.loads(dump.read_text())

    # The state changed on disk: its checksum no longer matches. Never loaded.
    dump.write_text(json.dumps({**record, "state": record["state"][:-8] + "00000000"}))
    anvil, again, _ = start_devnet(tmp_path / "b", cache)
    try:
        assert again.model_dump(exclude={"rpc_url"}) == deployment.model_dump(exclude={"rpc_url"})
    finally:
        anvil.stop()

    # A record whose chain does not answer as it says (the block it claims): a fresh anvil.
    record = json.loads(dump.read_text())  # rewritten by the fresh deployment above
    claims = {**record["deployment"], "block_number": record["deployment"]["block_number"] + 1}
    dump.write_text(json.dumps({**record, "deployment": claims}))
    anvil, again, _ = start_devnet(tmp_path / "c", cache)
    try:
        assert again.block_number == deployment.block_number
        (count,) = rpc(anvil.rpc_url, [("eth_blockNumber", [])])
        assert int(count, 16) == deployment.block_number
    finally:
        anvil.stop()
