"""In Chinese, every text on screen is Chinese: ours, and what Textual draws (the command
palette's placeholder, the ctrl+c notice, the keys panel). What may stay in Latin letters:
names of things (tickers, networks, termwallet), keys, numbers, addresses, hashes and URLs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.fixtures.devnet import Devnet
from tests.tui.helpers import screen_text, settle_keep_toasts
from tui.screenshots import Shot, app_for, drive
from tui.services import AttachedDemoServices

pytestmark = pytest.mark.devnet

# Words that are names, not sentences: they read the same in a Chinese interface.
NAMES = {
    "termwallet", "Devnet", "ETH", "DUSD", "DGLD", "WETH", "Ether", "Demo", "Dollar", "Gold",
    "Uniswap", "V2", "BTC", "LTC", "Bitcoin", "Litecoin", "Ethereum", "ERC", "Trezor", "Ledger",
    "ctrl", "esc", "enter", "tab", "space", "shift", "home", "end", "pageup", "pagedown",
    "delete", "backspace", "pgup", "pgdn", "alt", "super", "del", "up", "down", "left", "right",
    "UTC", "RPC", "URL", "TOTP", "PIN",
    "OSC", "SSH", "DEMO", "EVM", "http", "https", "Electrum", "Esplora", "USD", "CSV",
    "English",  # F2 names the other language in its own words
    "gwei", "gas", "Nonce",  # units and the Ethereum term, as Chinese wallets show them
    "max",  # what to type in the amount field for "all of it"
    "YYYY",  # the date format the filter takes
    "transfer",  # a contract's method name, as the chain has it
    "BIP", "EIP",  # standards' names (BIP322, EIP-191), as Chinese wallets print them
}  # fmt: skip
HEX_OR_ADDRESS = re.compile(
    r"0x[0-9a-fA-F…]+|[0-9a-fA-F]{16,}|\b[13mn2][a-km-zA-HJ-NP-Z1-9]{25,}\b"
)
WORD = re.compile(r"[A-Za-z][A-Za-z']{2,}")


def english(text: str) -> list[str]:
    # Commands to type (`termwallet ticket new`) and the diagnostics a ticket sends, which
    # are for the support desk and sent as shown (wallet/support/diagnostics.py).
    text = re.sub(r"`[^`]*`", " ", text.replace("\n", " \n"))
    text = re.sub(r"\[[a-z_.]+\]", " ", text)  # a config file's section, as typed: [support]
    text = re.sub(r"(?m)^(App|OS|Python|Terminal|Signer|Networks): .*$", " ", text)
    text = HEX_OR_ADDRESS.sub(" ", text)
    text = re.sub(r"https?://\S+|\S+\.(?:svg|csv|toml|json|log)\b", " ", text)
    return sorted({w for w in WORD.findall(text) if w not in NAMES and w.lower() not in NAMES})


SHOTS = [
    Shot("assets", "zh-CN"),
    Shot("send", "zh-CN", keys=("s",)),
    Shot("history", "zh-CN", keys=("2",)),
    Shot("history-details", "zh-CN", keys=("2", "enter")),
    Shot("swap", "zh-CN", keys=("3", "tab", "tab", "1", "enter")),
    Shot("support", "zh-CN", keys=("4",)),
    Shot("support-new-ticket", "zh-CN", keys=("4", "n")),
    Shot("command-palette", "zh-CN", keys=("ctrl+p",)),
    Shot("keys-panel", "zh-CN"),  # the palette's "按键" (keys) command, below
    Shot("keys-panel-send", "zh-CN", keys=("s",)),  # an Input has the focus
]


@pytest.mark.parametrize("shot", SHOTS, ids=[s.name for s in SHOTS])
async def test_every_text_on_screen_is_chinese(shot: Shot, devnet: Devnet, tmp_path: Path) -> None:
    app = app_for(shot, AttachedDemoServices(devnet.deployment, devnet.demo_address, tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        await drive(pilot, shot)
        if shot.name.startswith("keys-panel"):
            await pilot.press("ctrl+p")
            await pilot.pause()
            palette = app.screen
            palette.query_one("CommandInput").value = "按键"
            await pilot.pause(0.3)
            await pilot.press("enter")
            await pilot.pause(0.3)
            assert app.screen.query("HelpPanel")
        text = screen_text(app)
        assert english(text) == [], text


async def test_ctrl_c_says_how_to_quit_in_chinese(devnet: Devnet, tmp_path: Path) -> None:
    app = app_for(
        Shot("assets", "zh-CN"),
        AttachedDemoServices(devnet.deployment, devnet.demo_address, tmp_path),
    )
    async with app.run_test(size=(100, 30)) as pilot:
        await drive(pilot, Shot("assets", "zh-CN"))
        await pilot.press("ctrl+c")
        await settle_keep_toasts(pilot)
        text = screen_text(app)
        assert "q" in text and english(text) == []
        assert app._notifications and all(
            english(n.message + " " + n.title) == [] for n in app._notifications
        )
