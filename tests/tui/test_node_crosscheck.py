"""Several RPC URLs for one EVM network (issue 14): before signing, the wallet compares their
chain id and latest block, refuses when they disagree, and the review names the node(s) its
figures came from. Two real anvils of the same chain id, and anvil + the lying proxy."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fixtures.devnet import Devnet
from tests.fixtures.hostile_node import HostileNode
from tests.tui.test_hostile_node import _nonce, _send, _urls
from tests.wallet.test_pending_crash import home  # noqa: F401 (fixture)

pytestmark = pytest.mark.devnet
TO = "0x00000000000000000000000000000000C0FFEE01"


def _height(d: Devnet) -> int:
    return int(d.rpc("eth_blockNumber"), 16)


def _mine(d: Devnet, n: int) -> None:
    if n > 0:
        d.rpc("anvil_mine", [hex(n)])


def test_two_anvils_must_agree_on_the_latest_block(
    home: Path,  # noqa: F811
    devnet_snapshot: Devnet,
    fresh_devnet: Devnet,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _urls(devnet_snapshot.rpc_url, fresh_devnet.rpc_url)
    # Level: two honest nodes of the same chain a moment apart.
    gap = _height(devnet_snapshot) - _height(fresh_devnet)
    _mine(fresh_devnet, gap)
    _mine(devnet_snapshot, -gap)
    assert abs(_height(devnet_snapshot) - _height(fresh_devnet)) <= 1
    assert _send(home, TO, "0.01", "--dry-run", "--json") == 0
    review = json.loads(capsys.readouterr().out)
    assert review["nodes"] == [devnet_snapshot.rpc_url, fresh_devnet.rpc_url]
    # One of them 20 blocks ahead: a stale (or forked) view; nothing is signed.
    _mine(devnet_snapshot, 20)
    assert _send(home, TO, "0.01", "--yes") == 2
    err = capsys.readouterr().err
    assert "disagree about the latest block" in err
    assert devnet_snapshot.rpc_url in err and fresh_devnet.rpc_url in err
    assert _nonce(devnet_snapshot) == 0


@pytest.mark.parametrize(
    ("method", "lie", "said"),
    [
        ("eth_blockNumber", lambda p, h: hex(int(h, 16) - 50), "latest block"),
        ("eth_chainId", lambda p, h: "0x1", "chain"),
    ],
)
def test_a_lying_second_node_stops_the_send(
    home: Path,  # noqa: F811
    devnet_snapshot: Devnet,
    capsys: pytest.CaptureFixture[str],
    method: str,
    lie: object,
    said: str,
) -> None:
    liar = HostileNode(devnet_snapshot.rpc_url)
    try:
        _urls(devnet_snapshot.rpc_url, liar.url)
        _mine(devnet_snapshot, 60)  # so a node 50 behind still names a block
        liar.lie(method, lie)  # type: ignore[arg-type]
        assert _send(home, TO, "0.01", "--yes") == 2
        err = capsys.readouterr().err
        assert f"disagree about the {said}" in err and liar.url in err
        assert "Traceback" not in err
        assert _nonce(devnet_snapshot) == 0
    finally:
        liar.close()


def test_one_node_is_named_and_not_compared(
    home: Path,  # noqa: F811
    devnet_snapshot: Devnet,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert _send(home, TO, "0.01", "--dry-run") == 0
    assert f"Node:         {devnet_snapshot.rpc_url}" in capsys.readouterr().out
