"""Textual's keys panel in zh-CN (its key texts translated: tui/widgets/keys_panel.py) and
the header line that must stay whole beside it (issue 17: "签名: 软    解锁")."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
import textual.app
import textual.screen
import textual.widgets as w
from textual.containers import ScrollableContainer
from textual.widgets._radio_set import RadioSet

from tests.fixtures.devnet import Devnet
from tui.app import TermwalletApp, make_app
from tui.i18n import catalog
from tui.screenshots import settle
from tui.services import AttachedDemoServices
from wallet.settings import Settings

# Every Textual class whose bindings can show in the panel: the widgets the app uses, with
# what they inherit.
_USED = (w.Input, w.DataTable, w.Select, w.Checkbox, w.RadioButton, RadioSet, w.TextArea,
         w.Button, w.OptionList, textual.screen.Screen, textual.app.App,
         ScrollableContainer)  # fmt: skip


def _textual_texts() -> set[str]:
    out: set[str] = set()
    for cls in _USED:
        for klass in cls.__mro__:
            if klass.__module__.startswith("tui."):
                continue
            if getattr(klass, "BINDING_GROUP_TITLE", None):
                out.add(klass.BINDING_GROUP_TITLE)
            for b in klass.__dict__.get("BINDINGS", []):
                desc, tip = (b[2] if len(b) > 2 else "", "") if isinstance(b, tuple) else (
                    b.description, b.tooltip)  # fmt: skip
                out |= {x for x in (desc, tip) if x}
    return out


def test_every_textual_key_text_is_in_the_catalogs() -> None:
    """A Textual upgrade that adds or rewords a key text of a widget the app uses fails here,
    not silently in English in the keys panel (tui/widgets/keys_panel.py)."""
    english = {k.removeprefix("textual.") for k in catalog("en") if k.startswith("textual.")}
    assert _textual_texts() - english == set()
    assert english <= {k.removeprefix("textual.") for k in catalog("zh-CN")}


def _lines(app: TermwalletApp) -> list[str]:
    svg = app.export_screenshot()
    body = svg[svg.find('<g class="terminal-') :]
    text = html.unescape(re.sub(r"<[^>]+>", "", body)).replace("\xa0", " ")
    return [line for line in text.splitlines() if line.strip()]


@pytest.mark.devnet
async def test_keys_panel_in_chinese_beside_a_whole_header(devnet: Devnet, tmp_path: Path) -> None:
    services = AttachedDemoServices(devnet.deployment, devnet.demo_address, tmp_path)
    app = make_app(Settings(language="zh-CN"), services)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.action_show_help_panel()
        await settle(pilot)
        lines = _lines(app)
        header = lines[0]
        assert "软件" in header and "已解锁" in header, header
        assert "Devnet" in header
        screen = "\n".join(lines)
        for english in ("Focus Next", "Cursor down", "Quit the app"):
            assert english not in screen, english
        await pilot.press("s")  # Send: a text field is focused, its keys are listed
        await settle(pilot)
        app.action_show_help_panel()
        await settle(pilot)
        screen = "\n".join(_lines(app))
        for english in ("Move cursor", "Scroll Up", "Submit", "Input"):
            assert english not in screen, english
        await pilot.press("escape")
        await settle(pilot)
        # The panel closes: the header is whole again, with its labels.
        app.action_hide_help_panel()
        await settle(pilot)
        header = _lines(app)[0]
        assert "网络: Devnet" in header and "签名: 软件" in header, header
