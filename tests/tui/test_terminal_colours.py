"""16-colour terminals (TERM=linux, vt100, xterm-16color) and NO_COLOR: every character on
every screen keeps a readable contrast once the app's colours are reduced to the 16 a terminal
has, in xterm's palette and in the Linux console's. Seen before: the title and the footer's
keys in bright red on grey, contrast about 1:1 in xterm's palette."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pyte
import pytest
from textual.geometry import Region
from textual.screen import ModalScreen

from tests.fixtures.devnet import Devnet
from tests.tui.terminal import pyte_screen
from tests.tui.test_early_unlock import wallet_home  # noqa: F401 (a fixture)
from tui.screenshots import SHOTS, Shot, app_for, drive
from tui.services import AttachedDemoServices

pytestmark = pytest.mark.devnet

NAMES = ["black", "red", "green", "brown", "blue", "magenta", "cyan", "white"]
# xterm's defaults (XTerm-col.ad / charproc.c): colour 0-15.
XTERM = [
    (0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0),
    (0, 0, 238), (205, 0, 205), (0, 205, 205), (229, 229, 229),
    (127, 127, 127), (255, 0, 0), (0, 255, 0), (255, 255, 0),
    (92, 92, 255), (255, 0, 255), (0, 255, 255), (255, 255, 255),
]  # fmt: skip
# The Linux console's defaults (drivers/tty/vt/vt.c default_red/grn/blu): TERM=linux.
LINUX = [
    (0, 0, 0), (170, 0, 0), (0, 170, 0), (170, 85, 0),
    (0, 0, 170), (170, 0, 170), (0, 170, 170), (170, 170, 170),
    (85, 85, 85), (255, 85, 85), (85, 255, 85), (255, 255, 85),
    (85, 85, 255), (255, 85, 255), (85, 255, 255), (255, 255, 255),
]  # fmt: skip
PALETTES = {"xterm": XTERM, "linux console": LINUX}
MINIMUM = 4.5  # WCAG 2 AA for ordinary text


def _index(name: str, default: int) -> int:
    """pyte's colour name as a palette index; anything but the 16 is a failure here."""
    if name == "default":
        return default
    bright = name.startswith("bright")
    base = name.removeprefix("bright")
    assert base in NAMES, f"not one of the 16 colours: {name}"
    return NAMES.index(base) + (8 if bright else 0)


def _luminance(rgb: tuple[int, int, int]) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _is_text(char: str) -> bool:
    """Characters someone reads: not blanks, not box drawing or block shapes (rules, bars)."""
    return bool(char.strip()) and not ("\u2500" <= char <= "\u259f") and char != "\u2581"


def low_contrast(screen: pyte.Screen, region: Region | None = None) -> list[str]:
    """Every run of text below MINIMUM in either palette, as 'row: text (fg on bg, ratio)';
    only inside `region` when given (a dialog: what it dims behind it is not for reading)."""
    region = region or Region(0, 0, screen.columns, screen.lines)
    found: list[str] = []
    for y in range(region.y, region.bottom):
        row = screen.buffer[y]
        runs: dict[tuple[str, str, str], str] = {}
        for x in range(region.x, region.right):
            cell = row[x]
            if not _is_text(cell.data) or unicodedata.category(cell.data[0]) == "Zs":
                continue
            fg, bg = _index(cell.fg, 7), _index(cell.bg, 0)
            if cell.reverse:
                fg, bg = bg, fg
            for palette, colours in PALETTES.items():
                ratio = contrast(colours[fg], colours[bg])
                if ratio < MINIMUM:
                    key = (palette, cell.fg, cell.bg)
                    runs[key] = runs.get(key, "") + cell.data
                    break
        for (palette, fg, bg), text in runs.items():
            ratio = contrast(PALETTES[palette][_index(fg, 7)], PALETTES[palette][_index(bg, 0)])
            found.append(f"row {y}: {text!r} {fg} on {bg} in {palette}: {ratio:.2f}")
    return found


def chromatic(screen: pyte.Screen) -> list[str]:
    greys = {"default", "black", "white", "brightblack", "brightwhite"}
    out = []
    for y in range(screen.lines):
        for x in range(screen.columns):
            cell = screen.buffer[y][x]
            for colour in (cell.fg, cell.bg):
                if colour not in greys and not _grey_hex(colour):
                    out.append(f"row {y} col {x}: {cell.data!r} {colour}")
    return out


def _grey_hex(colour: str) -> bool:
    return len(colour) == 6 and colour[0:2] == colour[2:4] == colour[4:6]


@pytest.fixture
def sixteen_colours(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Linux console's TERM: Rich (Textual's console) then reduces colours to 16."""
    monkeypatch.setenv("TERM", "linux")
    for var in ("COLORTERM", "NO_COLOR", "TEXTUAL_COLOR_SYSTEM"):
        monkeypatch.delenv(var, raising=False)


SCREENS = [
    s
    for s in SHOTS
    if s.name
    in ("assets", "send", "history", "swap-review", "support-new-ticket", "command-palette")
]


@pytest.mark.parametrize("shot", SCREENS, ids=[s.name for s in SCREENS])
async def test_sixteen_colours_keep_text_readable(
    shot: Shot, sixteen_colours: None, devnet: Devnet, tmp_path: Path
) -> None:
    app = app_for(shot, AttachedDemoServices(devnet.deployment, devnet.demo_address, tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.console.color_system == "standard"
        await drive(pilot, shot)
        screen = pyte_screen(app)
        assert any(line.strip() for line in screen.display)
        top = app.screen
        region = None
        if isinstance(top, ModalScreen):  # what it covers is dimmed on purpose: not for reading
            region = Region.from_union([w.region for w in top.walk_children() if w.region.area])
        found = low_contrast(screen, region)
        assert not found, "\n".join(found)


@pytest.mark.parametrize("term", ["linux", "xterm-256color"])
async def test_no_color_is_honoured(
    term: str, monkeypatch: pytest.MonkeyPatch, devnet: Devnet, tmp_path: Path
) -> None:
    """NO_COLOR (no-color.org): no colour but greys, and still readable."""
    monkeypatch.setenv("TERM", term)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("COLORTERM", raising=False)
    shot = SHOTS[0]
    app = app_for(shot, AttachedDemoServices(devnet.deployment, devnet.demo_address, tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await drive(pilot, shot)
        screen = pyte_screen(app)
        assert "termwallet" in screen.display[0]
        assert chromatic(screen) == []
        if term == "linux":
            found = low_contrast(screen)
            assert not found, "\n".join(found)


async def test_sixteen_colours_on_the_unlock_screen(
    sixteen_colours: None,
    wallet_home: Path,  # noqa: F811 (the fixture of tests/tui/test_early_unlock.py)
) -> None:
    from tui.app import make_app
    from tui.screens.unlock import UnlockScreen
    from tui.services import UserServices

    app = make_app(services=UserServices(wallet_home), language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(5):
            await pilot.pause()
        assert isinstance(app.screen, UnlockScreen)
        await pilot.press(*"wrong", "enter")  # the status line in its error colour
        for _ in range(100):
            await pilot.pause(0.05)
            if "wrong" in "".join(pyte_screen(app).display).lower():
                break
        screen = pyte_screen(app)
        found = low_contrast(screen)
        assert not found, "\n".join(found)
