"""The app against a node that lies (issue 14): the swap review flags a fee far above the
evidence and signs it only on a second ctrl+s; the send and swap reviews say when a token is
used for the first time (its decimals, and where they came from) and which node the figures
came from. The demo on anvil, its only RPC URL the lying proxy."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Static

from chains.models import Asset
from tests.fixtures.devnet import Devnet
from tests.fixtures.hostile_node import HostileNode
from tests.tui.test_hostile_node import _fee_history_of, _nonce
from tui.app import make_app
from tui.screenshots import settle
from tui.services import AttachedDemoServices
from wallet.settings import Settings

pytestmark = pytest.mark.devnet
TO = "0x00000000000000000000000000000000C0FFEE01"


@pytest.fixture
def liar(devnet_snapshot: Devnet) -> Iterator[HostileNode]:
    node = HostileNode(devnet_snapshot.rpc_url)
    yield node
    node.close()


def _app(devnet: Devnet, liar: HostileNode, tmp_path: Path) -> object:
    deployment = devnet.deployment.model_copy(update={"rpc_url": liar.url})
    services = AttachedDemoServices(deployment, devnet.demo_address, tmp_path)
    return make_app(Settings(language="en"), services)


def _text(app: object, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())  # type: ignore[attr-defined]


async def test_the_swap_review_flags_a_lying_fee_and_asks_twice(
    devnet_snapshot: Devnet, liar: HostileNode, tmp_path: Path
) -> None:
    liar.lie("eth_feeHistory", _fee_history_of(5 * 10**12))  # type: ignore[arg-type]
    app = _app(devnet_snapshot, liar, tmp_path)
    async with app.run_test(size=(100, 50)) as pilot:  # type: ignore[attr-defined]
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("tab", "tab", "1", "enter")  # 1 ETH -> DUSD
        await settle(pilot)
        review = app.screen.review  # type: ignore[attr-defined]
        assert review.high_fee
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "FAR ABOVE" in _text(app, "#swap-review-high-fee")
        notes = " ".join(str(s.render()) for s in app.screen.query(".swap-review-first-use"))  # type: ignore[attr-defined]
        assert "First use of DUSD: 6 decimals, from the contract" in notes
        # Where the figures came from: the demo names its own devnet (its port changes).
        assert "Data from: the demo's own local devnet" in _text(app, "#swap-review-table")
        await pilot.press("ctrl+s")  # the first press only warns
        await settle(pilot)
        assert "Press ctrl+s again to pay it anyway" in _text(app, "#swap-review-status")
        assert _nonce(devnet_snapshot) == 0
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert _text(app, "#swap-review-status").startswith("Done: received")
        assert _nonce(devnet_snapshot) == 1


async def test_the_send_review_says_a_tokens_first_use_once(
    devnet_snapshot: Devnet, liar: HostileNode, tmp_path: Path
) -> None:
    from tui.screens.send_review import SendReviewScreen
    from wallet.send import SendDraft

    t = devnet_snapshot.deployment.token("DUSD")
    dusd = Asset(network="devnet", symbol="DUSD", name=t.name, decimals=t.decimals,
                 contract=t.address)  # fmt: skip
    app = _app(devnet_snapshot, liar, tmp_path)
    async with app.run_test(size=(100, 50)) as pilot:  # type: ignore[attr-defined]
        await settle(pilot)
        session = app.session  # type: ignore[attr-defined]
        sender, address = session.sender(), devnet_snapshot.demo_address
        path = session.path_of(address)
        review = await sender.prepare(SendDraft(TO, 10**6, dusd), address, path)
        app.push_screen(SendReviewScreen(review))  # type: ignore[attr-defined]
        await settle(pilot)
        assert "First use of DUSD: 6 decimals, from the contract" in _text(app, "#review-first-use")
        assert "Data from: the demo's own local devnet" in _text(app, "#review-table")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert _nonce(devnet_snapshot) == 1
        # Signed as reviewed: from now on 6 is DUSD's truth, and no review says first use.
        again = await sender.prepare(SendDraft(TO, 10**6, dusd), address, path)
        assert again.first_use is None


def test_a_review_names_nodes_without_their_path() -> None:
    """A provider's API key is in its URL's path or user part: the review shows scheme, host
    and port only (it is read over shoulders and captured in screenshots)."""
    from tui.token_text import nodes_text

    urls = ["https://mainnet.infura.io/v3/0123456789abcdef", "http://user:pw@10.0.0.2:8545/x"]
    assert nodes_text(urls) == "https://mainnet.infura.io, http://10.0.0.2:8545"
