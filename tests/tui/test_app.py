"""The app driven as a user would, with keys only (App.run_test + Pilot)."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from textual.widgets import DataTable, Static

from chains.errors import NodeUnreachable
from tests.fixtures.devnet import Devnet
from tests.fixtures.rpc_proxy import Proxy
from tests.tui.helpers import run_palette_command
from tui.app import TermwalletApp, make_app
from tui.i18n import catalog
from tui.screenshots import settle
from tui.services import AttachedDemoServices, UserServices
from wallet.paths import Paths
from wallet.session import WalletSession
from wallet.settings import Settings


def _text(app: TermwalletApp) -> str:
    """The screen as plain text: the SVG export with markup and escapes removed."""
    svg = app.export_screenshot()
    body = svg[svg.find('<g class="terminal-') :]
    return html.unescape(re.sub(r"<[^>]+>", "", body)).replace("\xa0", " ")


def _footer_keys(app: TermwalletApp) -> dict[str, str]:
    return {
        b.key: b.description
        for (_node, b, _enabled, _tip) in app.screen.active_bindings.values()
        if b.show
    }


async def test_keys_reach_all_four_screens_and_the_palette(devnet: Devnet, tmp_path: Path) -> None:
    services = AttachedDemoServices(devnet.deployment, devnet.demo_address, tmp_path)
    app = make_app(Settings(), services)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.current_mode == "assets"
        for key, mode in (("2", "history"), ("3", "swap"), ("4", "support"), ("1", "assets")):
            await pilot.press(key)
            await pilot.pause()
            assert app.current_mode == mode
        await run_palette_command(pilot, "go to swap")
        await settle(pilot)
        assert app.current_mode == "swap"


async def test_footer_shows_translated_bindings_not_catalog_keys(
    devnet: Devnet, tmp_path: Path
) -> None:
    services = AttachedDemoServices(devnet.deployment, devnet.demo_address, tmp_path)
    app = make_app(Settings(), services)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        keys = _footer_keys(app)
        assert keys["ctrl+r"] == "Refresh" and keys["q"] == "Quit"
        assert not any(d.startswith("bind.") for d in keys.values())
        await pilot.press("f2")
        await settle(pilot)
        keys = _footer_keys(app)
        assert keys["ctrl+r"] == "刷新"
        assert "资产" in _text(app)


async def test_a_new_user_is_offered_create_or_restore_and_sees_no_fake_balances() -> None:
    app = make_app(Settings(), UserServices(Paths.default()))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert type(app.screen).__name__ == "OnboardingScreen"
        assert app.status is not None and app.status.signer == "no_wallet"
        assert app.status.locked is None
        app.pop_screen()  # under it: the Assets screen, honest about having nothing
        await settle(pilot)
        text = _text(app)
        assert "No accounts yet" in text
        assert "Unlocked" not in text


async def test_demo_shows_balances_read_from_the_chain(devnet: Devnet, tmp_path: Path) -> None:
    app = make_app(
        Settings(), AttachedDemoServices(devnet.deployment, devnet.demo_address, tmp_path)
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#assets-table", DataTable)
        rows = {
            str(table.get_row_at(i)[0]): str(table.get_row_at(i)[2]) for i in range(table.row_count)
        }
        # Expected figures come from the deployment record, not from this test's imagination.
        expected = {"ETH": devnet.deployment.demo_native_wei}
        for tok in devnet.deployment.tokens:
            expected[tok.symbol] = tok.demo_amount
        assert set(rows) == set(expected)
        assert rows["ETH"] == "12.5" and expected["ETH"] == 12_500_000_000_000_000_000
        assert rows["DUSD"] == "2,500"
        assert devnet.demo_address in _text(app)
        assert "DEMO" in _text(app)


async def test_node_down_shows_the_last_balances_marked_stale(
    devnet: Devnet, tmp_path: Path
) -> None:
    proxy = Proxy(devnet.rpc_url)
    deployment = devnet.deployment.model_copy(update={"rpc_url": proxy.url})
    app = make_app(Settings(), AttachedDemoServices(deployment, devnet.demo_address, tmp_path))
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            table = app.screen.query_one("#assets-table", DataTable)
            assert table.row_count == 3
            proxy.close()  # the node goes away
            await pilot.press("ctrl+r")
            await settle(pilot)
            note = str(app.screen.query_one("#assets-note", Static).render())
            assert "Not current" in note and proxy.url in note
            assert table.row_count == 3  # the saved balances, still there
            assert "12.5" in _text(app)
    finally:
        proxy.close()


async def test_a_failed_worker_becomes_a_clear_message(tmp_path: Path) -> None:
    class Broken(UserServices):
        async def open_session(self) -> WalletSession:
            raise NodeUnreachable("http://127.0.0.1:1", "refused")

    app = make_app(Settings(), Broken(Paths.default()))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert any("Cannot reach the node at http://127.0.0.1:1" in m for m in messages)
        assert list(app.recent_errors) == ["NODE_UNREACHABLE"]


def test_every_error_code_has_a_message() -> None:
    """Every typed error below the UI, in any module, has a sentence in the catalogs (the app's
    one error handler looks them up by code)."""
    import importlib
    import inspect
    import pkgutil

    import chains
    import devices
    import wallet

    codes = {}
    for pkg in (chains, devices, wallet):
        for info in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
            if ".migrations." in info.name:
                continue
            mod = importlib.import_module(info.name)
            for name, cls in vars(mod).items():
                code = getattr(cls, "code", None)
                if inspect.isclass(cls) and issubclass(cls, Exception) and isinstance(code, str):
                    codes.setdefault(code, f"{mod.__name__}.{name}")
    assert len(codes) > 50
    missing = {c: where for c, where in codes.items() if f"errors.{c}" not in catalog("en")}
    assert not missing


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_usable_at_small_and_large_sizes(
    size: tuple[int, int], devnet: Devnet, tmp_path: Path
) -> None:
    app = make_app(
        Settings(), AttachedDemoServices(devnet.deployment, devnet.demo_address, tmp_path)
    )
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        text = _text(app)
        for word in ("Network", "Signer", "Assets", "History", "Swap", "Support", "Quit"):
            assert word in text, word


async def test_a_broken_config_file_is_reported_in_the_app(termwallet_home: Path) -> None:
    paths = Paths.default().ensure()
    paths.config_file.write_text('network = "eth"\nauto_lock_minutes = "soon"\n')
    app = make_app(services=UserServices(paths), language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert any("auto_lock_minutes" in m and str(paths.config_file) in m for m in messages)
        assert app.recent_errors[-1] == "BAD_SETTINGS"


async def test_number_keys_switch_screens_after_leaving_a_text_field(
    devnet: Devnet, tmp_path: Path
) -> None:
    services = AttachedDemoServices(devnet.deployment, devnet.demo_address, tmp_path)
    app = make_app(Settings(), services)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("tab", "tab")  # into the amount field: digits are typing now
        await pilot.press("2")
        await pilot.pause()
        assert app.current_mode == "swap"
        await pilot.press("escape", "2")
        await settle(pilot)
        assert app.current_mode == "history"


async def test_a_first_visit_restyles_only_the_new_screen_and_builds_the_footer_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What keeps History's first paint fast (bench/history.py): no whole-app CSS refresh
    (tui/screens/base.py sets a private Textual attribute for it: this fails if Textual
    changes), and the footer composed once, with translated texts. The screen's own styles
    (tui/styles/history.tcss) still apply."""
    from textual.app import App
    from textual.css.stylesheet import Stylesheet

    from bench.history import _Services, fill
    from tui.widgets.footer import WalletFooter
    from wallet.store import Store

    account = "0x9858EfFD232B4033E47d90003D41EC34EcaEda94"
    store = Store(tmp_path / "w.sqlite3")
    fill(store, 50, account)
    store.close()
    calls: list[str] = []
    for cls, name in ((App, "refresh_css"), (Stylesheet, "reparse"), (WalletFooter, "recompose")):
        original = getattr(cls, name)

        def spy(*args, _original=original, _name=name, **kwargs):  # type: ignore[no-untyped-def]
            calls.append(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(cls, name, spy)
    app = make_app(Settings(language="en"), _Services(tmp_path / "w.sqlite3", account))  # type: ignore[arg-type]
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        calls.clear()
        await pilot.press("2")
        await settle(pilot)
        assert type(app.screen).__name__ == "HistoryScreen"
        assert calls.count("refresh_css") == 0 and calls.count("reparse") == 0, calls
        assert calls.count("recompose") == 1, calls
        header = app.screen.query_one("#history-header")
        assert header.styles.height is not None and header.styles.height.value == 1
        assert header.styles.text_style.bold
        assert "Search" in _text(app) and "bind." not in _text(app)


async def test_switching_language_keeps_what_is_shown_and_typed(
    devnet: Devnet, tmp_path: Path
) -> None:
    """F2 rebuilds a screen in the other language. The balances read stay on Assets (they
    were gone until the next refresh), and on Swap the typed amount, the picks and the quote
    stay (the amount was emptied)."""
    from textual.widgets import Input, Select

    services = AttachedDemoServices(devnet.deployment, devnet.demo_address, tmp_path)
    app = make_app(Settings(language="en"), services)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        table = app.screen.query_one("#assets-table", DataTable)
        assert table.row_count == 1 + len(devnet.deployment.tokens)
        assert "12.5" in _text(app) and "资产" in _text(app)
        assert catalog("zh-CN")["assets.waiting"] not in _text(app)

        await pilot.press("3")
        await settle(pilot)
        for key in ("tab", "tab", "1", "enter"):  # past the two pickers into the amount
            await pilot.press(key)
        await settle(pilot)
        screen = app.screen
        review = screen.review  # type: ignore[attr-defined]
        assert review is not None
        picks = [screen.query_one(i, Select).value for i in ("#swap-sell", "#swap-buy")]
        zh_panel = str(screen.query_one("#swap-quote", Static).render())
        await pilot.press("f2")
        await settle(pilot)
        assert screen.query_one("#swap-amount", Input).value == "1"
        assert [screen.query_one(i, Select).value for i in ("#swap-sell", "#swap-buy")] == picks
        assert screen.review is review  # type: ignore[attr-defined]
        en_panel = str(screen.query_one("#swap-quote", Static).render())
        assert "Minimum received" in en_panel and en_panel != zh_panel


async def test_the_heap_is_frozen_once_when_the_open_wallet_is_idle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """tui/heap.py: once, after the session's first reads, with no dialog open; never again
    (objects frozen are never collected, so later screens and dialogs must not be)."""
    import gc

    from bench.history import _Services

    frozen: list[int] = []
    monkeypatch.setattr("tui.heap.freeze", lambda: frozen.append(gc.get_freeze_count()))
    services = _Services(tmp_path / "w.sqlite3", "0x9858EfFD232B4033E47d90003D41EC34EcaEda94")
    app = make_app(Settings(language="en"), services)  # type: ignore[arg-type]
    async with app.run_test(size=(100, 30)) as pilot:
        for _ in range(100):  # the check runs each second
            await pilot.pause(0.1)
            if frozen:
                break
        assert app.session is not None and len(frozen) == 1
        await pilot.press("2")  # History: a sync worker starts and ends
        await settle(pilot)
        await pilot.press("ctrl+r")
        await settle(pilot)
        await pilot.pause(2.5)
        assert len(frozen) == 1
