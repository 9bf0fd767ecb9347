"""Receive on the demo's Ethereum account (the devnet): `r` on the ETH row and on a token row
opens the same address with an EIP-681 QR that names the chain, in en and zh-CN."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable, Static

from tests.fixtures.devnet import Devnet
from tui.app import make_app
from tui.screens.receive import ReceiveScreen
from tui.screenshots import settle
from tui.services import AttachedDemoServices
from wallet.evm_receive import evm_uri
from wallet.settings import Settings

pytestmark = pytest.mark.devnet


async def _rows_loaded(pilot, app) -> None:  # type: ignore[no-untyped-def]
    for _ in range(100):
        table = app.screen.query_one("#assets-table", DataTable)
        if table.row_count:
            return
        await pilot.pause(0.05)
    raise AssertionError("the assets never loaded")


@pytest.mark.parametrize("language", ["en", "zh-CN"])
async def test_r_receives_eth_and_tokens_on_the_account_address(
    devnet: Devnet, tmp_path: Path, language: str
) -> None:
    services = AttachedDemoServices(devnet.deployment, devnet.demo_address, tmp_path)
    app = make_app(Settings(language=language), services)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await _rows_loaded(pilot, app)
        table = app.screen.query_one("#assets-table", DataTable)
        symbols = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
        for symbol in ("ETH", "DUSD"):
            table.move_cursor(row=symbols.index(symbol))
            await pilot.press("r")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, ReceiveScreen), symbol
            info = screen.info
            assert info is not None and info.symbol == symbol
            assert info.address == devnet.demo_address
            assert info.qr.payload == f"ethereum:{devnet.demo_address}@31337"
            assert devnet.demo_address in str(screen.query_one("#receive-address").render())
            title = str(screen.query_one(".title", Static).render())
            assert symbol in title and info.network_name in title
            note = str(screen.query_one("#receive-note", Static).render())
            assert info.uri in note
            assert ("ETH" in note) if language == "en" else ("ETH" in note and "代币" in note)
            await pilot.press("escape")
            await settle(pilot)
            assert not isinstance(app.screen, ReceiveScreen)


def test_evm_uri_names_the_chain_and_refuses_a_network_without_one() -> None:
    from chains.networks import NETWORKS

    addr = "0x9858EfFD232B4033E47d90003D41EC34EcaEda94"
    assert evm_uri(addr, NETWORKS["eth"]) == f"ethereum:{addr}@1"
    assert evm_uri(addr, NETWORKS["polygon"]) == f"ethereum:{addr}@137"
    with pytest.raises(ValueError, match="not an EVM network"):
        evm_uri(addr, NETWORKS["eth"].model_copy(update={"evm_chain_id": None}))


async def test_the_network_note_is_seen_at_80x24_without_scrolling(
    devnet: Devnet, tmp_path: Path
) -> None:
    """Issue 17: below the QR, "send only Devnet assets" needed scrolling at 80x24."""
    services = AttachedDemoServices(devnet.deployment, devnet.demo_address, tmp_path)
    app = make_app(Settings(language="en"), services)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await _rows_loaded(pilot, app)
        await pilot.press("r")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ReceiveScreen)
        note = screen.query_one("#receive-note", Static)
        body = screen.query_one("#receive-body")
        assert "send only Devnet assets" in str(note.render())
        assert body.scroll_y == 0
        # All of the note inside what the body shows (the region on screen, not scrolled).
        assert note.region.height > 0 and body.region.contains_region(note.region)
