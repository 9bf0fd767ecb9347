"""CJK terminals that draw East Asian ambiguous characters (─ ━ ▁ ▔ · — … ●) two cells wide:
with ambiguous_width = wide (or a zh/ja/ko locale), every screen is drawn in a terminal
emulator (pyte) whose width function says so, and no row may run past the terminal's edge
and wrap onto the next. Seen before: the tab underline, input borders and "1·Assets" pushed
rows over by one or more cells."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pyte
import pytest
from wcwidth import wcwidth

from tests.fixtures.devnet import Devnet
from tests.tui.terminal import encoded_lines
from tests.tui.test_early_unlock import wallet_home  # noqa: F401 (a fixture)
from tui.ambiguous import symbols, table
from tui.app import make_app
from tui.screenshots import Shot, drive
from tui.services import AttachedDemoServices
from wallet.settings import Settings
from wallet.startup import ambiguous_wide

pytestmark = pytest.mark.devnet


def wide_ambiguous(char: str) -> int:
    """pyte's width of a character in a terminal set to draw ambiguous ones wide."""
    if unicodedata.east_asian_width(char) == "A" and wcwidth(char) == 1:
        return 2
    return wcwidth(char)


@pytest.fixture
def cjk_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    import pyte.screens

    monkeypatch.setattr(pyte.screens, "wcwidth", wide_ambiguous)
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_CTYPE", raising=False)
    monkeypatch.delenv("TERMWALLET_AMBIGUOUS_WIDTH", raising=False)


def wrapped_rows(app) -> list[str]:  # type: ignore[no-untyped-def]
    """Each row drawn alone at the top of a two-row terminal: anything on the second row is
    what ran past the edge."""
    width, _ = app.size
    out = []
    for y, line in enumerate(encoded_lines(app)):
        screen = pyte.Screen(width, 2)
        pyte.Stream(screen).feed(line)
        if screen.display[1].strip() or screen.cursor.y > 0:
            out.append(f"row {y}: {screen.display[0]!r} + {screen.display[1].rstrip()!r}")
    return out


SHOTS = [
    Shot("assets"),
    Shot("assets-zh-CN", "zh-CN"),
    Shot("send", keys=("s",)),
    Shot("history-zh-CN", "zh-CN", keys=("2",)),
    Shot("history-details", keys=("2", "enter")),
    Shot("swap-zh-CN", "zh-CN", keys=("3", "tab", "tab", "1", "enter")),
    Shot("swap-review", keys=("3", "tab", "tab", "1", "enter", "ctrl+s")),
    Shot("support-zh-CN", "zh-CN", keys=("4",)),
    Shot("support-new-ticket", keys=("4", "n")),
    Shot("command-palette", keys=("ctrl+p",)),
]


@pytest.mark.parametrize("shot", SHOTS, ids=[s.name for s in SHOTS])
async def test_no_row_wraps_where_ambiguous_characters_are_wide(
    shot: Shot, cjk_terminal: None, devnet: Devnet, tmp_path: Path
) -> None:
    # The locale decides (LANG=zh_CN.UTF-8, ambiguous_width = "auto" by default).
    app = make_app(
        Settings(language=shot.language),
        AttachedDemoServices(devnet.deployment, devnet.demo_address, tmp_path),
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await drive(pilot, shot)
        rows = encoded_lines(app)
        assert any(r.strip() for r in rows)
        wrapped = wrapped_rows(app)
        assert not wrapped, "\n".join(wrapped)
        # Still readable: the screen's words are there (a stand-in never eats text).
        text = "\n".join(pyte_text(app))
        assert "termwallet" in text or shot.name.startswith(
            ("send", "swap-review", "history-d", "support-new", "command")
        )


def pyte_text(app) -> list[str]:  # type: ignore[no-untyped-def]
    width, _ = app.size
    out = []
    for line in encoded_lines(app):
        screen = pyte.Screen(width * 2, 1)
        pyte.Stream(screen).feed(line)
        out.append(screen.display[0])
    return out


@pytest.mark.parametrize(
    ("env", "config", "lang", "wide"),
    [
        (None, None, "zh_CN.UTF-8", True),
        (None, None, "zh_TW.UTF-8", True),
        (None, None, "ja_JP.UTF-8", True),
        (None, None, "ko_KR.UTF-8", True),
        (None, None, "en_US.UTF-8", False),
        (None, None, None, False),
        (None, 'ambiguous_width = "narrow"\n', "zh_CN.UTF-8", False),
        (None, 'ambiguous_width = "wide"\n', "en_US.UTF-8", True),
        ("narrow", 'ambiguous_width = "wide"\n', "en_US.UTF-8", False),
        ("wide", None, "C", True),
    ],
)
def test_the_setting_and_the_locale(
    env: str | None,
    config: str | None,
    lang: str | None,
    wide: bool,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    for var in ("LC_ALL", "LC_CTYPE", "LANG", "TERMWALLET_AMBIGUOUS_WIDTH"):
        monkeypatch.delenv(var, raising=False)
    if lang:
        monkeypatch.setenv("LANG", lang)
    if env:
        monkeypatch.setenv("TERMWALLET_AMBIGUOUS_WIDTH", env)
    f = tmp_path / "config.toml"
    if config:
        f.write_text(config)
    assert ambiguous_wide(f) is wide


def test_the_stand_ins_cover_every_ambiguous_symbol_and_are_narrow() -> None:
    everywhere = symbols(range(0xA0, 0x10000))
    assert everywhere == {k: v for k, v in table().items() if k in everywhere}
    for code, stand_in in table().items():
        assert len(stand_in) == 1 and unicodedata.east_asian_width(stand_in) == "Na", chr(code)


@pytest.mark.parametrize("language", ["en", "zh-CN"])
async def test_the_unlock_screen_does_not_wrap_either(
    language: str,
    cjk_terminal: None,
    wallet_home: Path,  # noqa: F811 (the fixture of tests/tui/test_early_unlock.py)
) -> None:
    from tui.screens.unlock import UnlockScreen
    from tui.services import UserServices

    app = make_app(services=UserServices(wallet_home), language=language)
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(5):
            await pilot.pause()
        assert isinstance(app.screen, UnlockScreen)
        wrapped = wrapped_rows(app)
        assert not wrapped, "\n".join(wrapped)
