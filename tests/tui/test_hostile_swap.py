"""`termwallet swap` against a node that lies (issue 14, the swap path): anvil and Uniswap V2
behind the lying proxy (tests/fixtures/hostile_node.py). Each test failed on the code before
the swap got the payment's checks: a known token's decimals against the node's, the fee
bound and its own flag, and the comparison of several configured nodes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.cli import one_document
from tests.fixtures.devnet import Devnet
from tests.fixtures.hostile_node import DECIMALS_SELECTOR, HostileNode, on_call, word
from tests.tui.test_hostile_node import _fee_history_of, _nonce, _urls
from tests.wallet.test_pending_crash import home  # noqa: F401 (fixture)
from tui.cli import main

pytestmark = pytest.mark.devnet


@pytest.fixture
def liar(home: Path, devnet_snapshot: Devnet) -> Iterator[HostileNode]:  # noqa: F811
    node = HostileNode(devnet_snapshot.rpc_url)
    _urls(node.url)
    yield node
    node.close()


def _swap(home: Path, *args: str) -> int:  # noqa: F811
    return main(["swap", *args, "--password-file", str(home / "pw")])


def _result(out: str) -> dict[str, object]:
    return one_document(out)[1]


def test_a_swap_keeps_the_decimals_a_token_was_confirmed_with(
    home: Path,  # noqa: F811
    liar: HostileNode,
    devnet_snapshot: Devnet,
    capsys: pytest.CaptureFixture[str],
) -> None:
    dusd = devnet_snapshot.deployment.token("DUSD")
    # First use by contract address: the review says where the decimals came from.
    assert _swap(home, "ETH", dusd.address, "0.01", "--yes") == 0
    out = capsys.readouterr().out
    assert f"DUSD: {dusd.decimals} decimals, from the contract" in out
    assert _nonce(devnet_snapshot) == 1
    # Later the node answers 12 decimals for it: selling or buying it stops, nothing signed.
    liar.lie("eth_call", on_call(DECIMALS_SELECTOR, word(dusd.decimals + 6), dusd.address))
    for args in (("DUSD", "ETH", "1"), ("ETH", "DUSD", "0.01"), ("ETH", dusd.address, "0.01")):
        assert _swap(home, *args, "--yes") == 2
        err = capsys.readouterr().err
        assert "decimals" in err and "Nothing was signed" in err and "Traceback" not in err
    assert _nonce(devnet_snapshot) == 1
    # A second honest swap is no first use any more.
    liar.honest()
    assert _swap(home, "ETH", "DUSD", "0.01", "--dry-run") == 0
    assert "First use" not in capsys.readouterr().out


def test_a_swap_fee_far_above_the_evidence_needs_its_own_flag(
    home: Path,  # noqa: F811
    liar: HostileNode,
    devnet_snapshot: Devnet,
    capsys: pytest.CaptureFixture[str],
) -> None:
    dusd = devnet_snapshot.deployment.token("DUSD").address
    # 5,000 gwei: five times the devnet's ceiling and far above its blocks' base fee.
    liar.lie("eth_feeHistory", _fee_history_of(5 * 10**12))  # type: ignore[arg-type]
    assert _swap(home, "ETH", dusd, "0.01", "--yes") == 2
    err = capsys.readouterr().err
    assert "WARNING: THE NETWORK FEE IS FAR ABOVE" in err and "--accept-high-fee" in err
    assert _nonce(devnet_snapshot) == 0
    assert _swap(home, "ETH", dusd, "0.01", "--dry-run", "--json") == 0
    review = json.loads(capsys.readouterr().out)
    assert review["high_fee"] is True and "fee_above_amount" in review["fee_concerns"]
    # The user's explicit word: then it goes, at the reviewed fee.
    assert _swap(home, "ETH", dusd, "0.01", "--yes", "--accept-high-fee", "--json") == 0
    assert _result(capsys.readouterr().out)["state"] == "done"
    assert _nonce(devnet_snapshot) == 1


@pytest.mark.parametrize(
    ("lie", "said"),
    [
        (("eth_blockNumber", lambda p, h: hex(int(h, 16) + 100)), "latest block"),
        (("eth_chainId", lambda p, h: "0x1"), "chain"),
    ],
)
def test_two_nodes_that_disagree_stop_the_swap(
    home: Path,  # noqa: F811
    liar: HostileNode,
    devnet_snapshot: Devnet,
    capsys: pytest.CaptureFixture[str],
    lie: tuple[str, object],
    said: str,
) -> None:
    dusd = devnet_snapshot.deployment.token("DUSD").address
    _urls(devnet_snapshot.rpc_url, liar.url)
    assert _swap(home, "ETH", dusd, "0.01", "--dry-run", "--json") == 0
    review = json.loads(capsys.readouterr().out)
    assert review["nodes"] == [devnet_snapshot.rpc_url, liar.url]
    liar.lie(*lie)  # type: ignore[arg-type]
    assert _swap(home, "ETH", dusd, "0.01", "--yes") == 2
    err = capsys.readouterr().err
    assert f"disagree about the {said}" in err and liar.url in err and "Traceback" not in err
    assert _nonce(devnet_snapshot) == 0
