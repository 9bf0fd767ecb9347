"""The History screen driven with keys (App.run_test + Pilot) over real parts: the demo
devnet (anvil), SQLite on disk, and for the prefilled ticket the local Zendesk-shaped
helpdesk of tests/wallet/support/conftest.py on 127.0.0.1."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from pydantic import SecretStr

from tests.chains.test_evm_history import MAX, erc20, impersonate, send
from tests.fixtures.devnet import Devnet
from tests.tui.helpers import run_palette_command, settle_keep_toasts
from tests.tui.helpers import until as _until
from tests.wallet.support.conftest import (  # noqa: F401 (helpdesk is a fixture)
    HELPDESK_EMAIL,
    HELPDESK_TOKEN,
    Helpdesk,
    helpdesk,
)
from tui.app import TermwalletApp, make_app
from tui.screens.history import HistoryScreen
from tui.screens.history_details import HistoryDetailsScreen
from tui.screens.history_what import HistoryWhatScreen
from tui.screens.support_review import ReviewTicketScreen
from tui.screenshots import settle
from tui.services import AttachedDemoServices
from tui.widgets.history_table import HistoryTable
from wallet.settings import Settings
from wallet.support.config import OfficialChannel, OfficialKind, SupportSettings

pytestmark = pytest.mark.devnet


class Services(AttachedDemoServices):
    def __init__(self, devnet: Devnet, home: Path, support: SupportSettings | None = None):
        super().__init__(devnet.deployment, devnet.demo_address, home)
        self.settings = Settings(support=support or SupportSettings())


def _app(devnet: Devnet, home: Path, support: SupportSettings | None = None) -> TermwalletApp:
    return make_app(Settings(language="en"), Services(devnet, home, support))


def _text(app: TermwalletApp) -> str:
    svg = app.export_screenshot()
    body = svg[svg.find('<g class="terminal-') :]
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", body)).replace("\xa0", " "))


def _table(app: TermwalletApp) -> HistoryTable:
    return app.screen.query_one("#history-table", HistoryTable)


ACCOUNT = "0x9858EfFD232B4033E47d90003D41EC34EcaEda94"


def _saved_history(tmp_path: Path, rows: int, rpc_url: str | None = None) -> TermwalletApp:
    """An app over `rows` saved rows (bench/history.py's fill) for a watch-only account whose
    node does not answer (or is `rpc_url`): what is shown comes from the store."""
    from bench.history import _Services, fill
    from wallet.store import Store

    path = tmp_path / "w.sqlite3"
    store = Store(path)
    fill(store, rows, ACCOUNT)
    store.close()
    services = _Services(path, ACCOUNT) if rpc_url is None else _Services(path, ACCOUNT, rpc_url)
    return make_app(Settings(language="en"), services)  # type: ignore[arg-type]


async def test_rows_filters_search_details_and_labels(devnet: Devnet, tmp_path: Path) -> None:
    app = _app(devnet, tmp_path)
    dusd = devnet.deployment.token("DUSD")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        assert isinstance(app.screen, HistoryScreen)
        table = _table(app)
        assert table.row_count == 2
        text = _text(app)
        assert "2 transactions · 0 flagged" in text
        squashed = text.replace(" ", "")  # cells are separate SVG runs: compare without spaces
        assert "+2,500DUSD" in squashed and "+40DGLD" in squashed, text
        await pilot.press("d")  # in
        assert table.row_count == 2
        await pilot.press("d")  # out
        assert table.row_count == 0 and "No transactions match these filters." in _text(app)
        await pilot.press("d", "d")  # self, then all again
        assert table.row_count == 2
        await pilot.press("a")  # the first asset in the menu
        assert table.row_count == 1
        await pilot.press("a", "a")
        assert table.row_count == 2
        row = table.current
        assert row is not None
        await pilot.press("slash", *row.tx_hash[:12])
        assert table.row_count == 1 and table.current.tx_hash == row.tx_hash  # type: ignore[union-attr]
        await pilot.press("enter")  # back to the table
        await pilot.press("enter")  # details
        await pilot.pause()
        assert isinstance(app.screen, HistoryDetailsScreen)
        text = _text(app)
        assert row.tx_hash in text and "Confirmations" in text
        assert devnet.deployment.deployer in text
        app.screen.query_one("#details-label").value = "Airdrop from deployer"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        assert "Saved." in _text(app)
        await pilot.press("escape")
        await pilot.pause()
        search = app.screen.query_one("#history-search")
        search.value = "airdrop"  # type: ignore[attr-defined]
        await pilot.pause()
        assert table.row_count == 1 and table.current.label == "Airdrop from deployer"  # type: ignore[union-attr]
        assert "Airdrop from de" in _text(app)
        search.value = ""  # type: ignore[attr-defined]
        await pilot.pause()
        app.screen.query_one("#history-since").value = "2099-01-01"  # type: ignore[attr-defined]
        await pilot.pause()
        assert table.row_count == 0
        app.screen.query_one("#history-since").value = ""  # type: ignore[attr-defined]
        await pilot.pause()
        assert table.row_count == 2
        await pilot.press("escape", "e")  # export what is shown
        await settle(pilot)
        exports = list((tmp_path / "data" / "exports").glob("history-*.csv"))
        assert len(exports) == 1
        body = exports[0].read_text()
        assert body.splitlines()[0].startswith("time_utc,network,account,tx_hash")
        assert str(dusd.demo_amount) in body and "Airdrop from deployer" in body


async def test_flagged_approval_notifies_and_what_to_do_sends_a_prefilled_ticket(
    devnet_snapshot: Devnet,
    tmp_path: Path,
    helpdesk: Helpdesk,  # noqa: F811
) -> None:
    d = devnet_snapshot
    impersonate(d, d.demo_address)
    h = send(d, d.demo_address, d.deployment.token("DGLD").address,
             data=erc20("0x095ea7b3", d.deployment.router, MAX))  # fmt: skip
    d.rpc("anvil_stopImpersonatingAccount", [d.demo_address])
    support = SupportSettings(
        official_channels=(
            OfficialChannel(kind=OfficialKind.WEB, label="Web",
                            address="https://termwallet.example"),
        ),
        helpdesk_url=helpdesk.url, helpdesk_email=HELPDESK_EMAIL,
        helpdesk_token=SecretStr(HELPDESK_TOKEN),
    )  # fmt: skip
    app = _app(d, tmp_path, support)
    async with app.run_test(size=(100, 30)) as pilot:
        # The app reads the history when the wallet opens and announces the flagged row
        # before the user visits History.
        for _ in range(3):
            await pilot.pause()
            await app.workers.wait_for_complete()
        notes = [n.message for n in app._notifications]
        assert any("1 transaction needs your attention" in m for m in notes), notes
        await settle(pilot)
        await pilot.press("2")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        table = _table(app)
        assert table.row_count == 3
        await pilot.press("x")
        assert table.row_count == 1 and table.current.tx_hash == h  # type: ignore[union-attr]
        assert "unlimited" in _text(app) and "⚠" in _text(app)
        await pilot.press("w")
        await pilot.pause()
        assert isinstance(app.screen, HistoryWhatScreen)
        text = _text(app)
        assert "unlimited approval" in text and "[r] Revoke the approval" in text
        await pilot.press("r")  # says what it will sign
        assert f"approve({d.deployment.router}, 0)" in _text(app)
        await pilot.press("r")  # signs it (the demo's software signer), through the outbox
        await _until(pilot, lambda: "Revoke sent" in _text(app))
        dgld = d.deployment.token("DGLD").address
        allowance = d.rpc("eth_call", [{"to": dgld, "data": "0xdd62ed3e"
                          + d.demo_address[2:].lower().rjust(64, "0")
                          + d.deployment.router[2:].lower().rjust(64, "0")}, "latest"])  # fmt: skip
        assert int(allowance, 16) == 0
        await pilot.press("t")
        await _until(pilot, lambda: isinstance(app.screen, ReviewTicketScreen))
        body = app.screen.prepared.body  # type: ignore[attr-defined]
        assert h in body and "unlimited approval" in body and "abnormal_transaction" in body
        await pilot.press("ctrl+s")
        await _until(pilot, lambda: helpdesk.requests != {})
        (sent,) = helpdesk.requests.values()
        assert h in str(sent)
        await _until(pilot, lambda: "sent." in _text(app))
        await pilot.press("k")  # dealt with: clear the flag
        await pilot.pause()
        assert isinstance(app.screen, HistoryScreen)
        assert table.row_count == 0  # still "flagged only", and nothing is flagged now
        await pilot.press("x", "ctrl+r")
        await _until(pilot, lambda: table.row_count == 4)
        rows = [table.row_at(i) for i in range(4)]
        revoke = next(r for r in rows if r is not None and r.tx_hash != h and r.kind == "approval")
        assert (revoke.amount, revoke.made_here, int(revoke.flags)) == (0, True, 0)


async def test_one_hundred_thousand_rows_reads_only_what_is_on_screen(tmp_path: Path) -> None:
    """Not a timing test: it counts what the table asks the store for. The session's node does
    not answer (bench/history.py's services), so the saved rows are what is shown."""
    app = _saved_history(tmp_path, 100_000)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        table = _table(app)
        assert table.row_count == 100_000
        first = table.queries
        assert first <= 2  # the first frame's page (and the sync's redraw of it)
        assert "not current" in _text(app).lower()  # the sync failed and says so, in full:
        assert "in settings. Showing what was read before." in _text(app)
        await pilot.press("end")
        await pilot.pause()
        assert table.cursor == 99_999 and table.current is not None
        assert table.queries == first + 1  # one page at the far end, nothing in between
        assert len(table._pages) <= 16


async def test_a_search_matching_many_rows_shows_the_newest_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Typing a hash starts with "0", "0x": those match every row. The table then holds the
    newest SEARCH_ROWS matches (here 50 of 400) and the filter line says so; a narrower search
    is counted exactly. Row for row the same as the store's own search (tests/wallet)."""
    from wallet.history.model import HistoryQuery
    from wallet.history.store import HistoryStore
    from wallet.store import Store

    monkeypatch.setattr("tui.screens.history.SEARCH_ROWS", 50)
    app = _saved_history(tmp_path, 400)
    store = Store(tmp_path / "w.sqlite3")
    newest = HistoryStore(store).page(HistoryQuery(search="0x"), 0, 50)
    store.close()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        assert _table(app).row_count == 400
        await pilot.press("slash", "0", "x")
        await pilot.pause()
        table = _table(app)
        assert table.row_count == 50
        assert [table.row_at(i).id for i in range(50)] == [r.id for r in newest]  # type: ignore[union-attr]
        assert "More than 50 match: showing the newest 50" in _text(app)
        await pilot.press("ctrl+u", *"label 1")
        await pilot.pause()
        assert table.row_count == 1 and table.current is not None
        assert table.current.label == "label 100"
        assert "newest" not in _text(app) and "not current" in _text(app)  # the sync's note
        await pilot.press("ctrl+u")
        await pilot.pause()
        assert table.row_count == 400


async def test_saved_rows_show_while_the_sync_still_waits_for_the_node(tmp_path: Path) -> None:
    """A node that accepts the connection and never answers (a socket that listens and never
    accepts): the sync hangs, and the saved history is on screen all the same."""
    import socket

    with socket.create_server(("127.0.0.1", 0), backlog=16) as silent:
        app = _saved_history(tmp_path, 30, f"http://127.0.0.1:{silent.getsockname()[1]}")
        async with app.run_test(size=(100, 30)) as pilot:
            await _until(pilot, lambda: app.session is not None)
            await pilot.press("2")
            await _until(pilot, lambda: isinstance(app.screen, HistoryScreen))
            await pilot.pause(0.3)
            syncing = [w for w in app.workers if w.group == "history-sync" and w.is_running]
            assert syncing, "the sync should still be waiting for the silent node"
            assert _table(app).row_count == 30
            assert "Reading history" in _text(app)
            assert _table(app).current is not None
            assert _table(app).current.tx_hash in _text(app)  # the summary of the first row


async def test_a_token_symbol_is_shown_as_text_never_read_as_markup(tmp_path: Path) -> None:
    """Tokens nobody listed are named by their own contracts, so a symbol is the sender's
    text: "[/]" once closed the app (MarkupError) when picked on the filter line."""
    from bench.history import _Services
    from wallet.history.model import HistoryItem
    from wallet.history.store import HistoryStore
    from wallet.store import Store

    account = ACCOUNT
    path = tmp_path / "w.sqlite3"
    store = Store(path)
    HistoryStore(store).insert([
        HistoryItem(network="devnet", account=account, tx_hash=f"0x{n:064x}", log_index=n,
                    kind="transfer", direction="in", asset="devnet:0x" + "ab" * 20,
                    symbol="[/]", decimals=0, amount=n, counterparty="0x" + "cd" * 20,
                    status="confirmed", block=n, ts=1_767_225_600 + n)
        for n in range(1, 4)
    ])  # fmt: skip
    store.close()
    app = make_app(Settings(language="en"), _Services(path, account))  # type: ignore[arg-type]
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("a")
        await pilot.pause()
        assert app.is_running
        assert "a Asset: [/]" in _text(app)
        assert _table(app).row_count == 3


async def test_an_export_that_cannot_be_written_says_why_and_what_to_do(tmp_path: Path) -> None:
    app = _saved_history(tmp_path, 20)
    (tmp_path / "exports").write_text("a file where the exports folder would go")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("e")
        await settle_keep_toasts(pilot)
        messages = [n.message for n in app._notifications]
        assert any("Could not write" in m and "press e again" in m for m in messages), messages


async def test_an_unexpected_failure_in_a_screen_worker_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Textual tells only the screen that started a worker; MainScreen hands failures to the
    app's one handler. Before, Assets waited on "Loading" forever and nobody was told."""
    from wallet.session import WalletSession

    async def broken(self: WalletSession) -> None:
        raise RuntimeError("not for the user's eyes: 0xdeadbeef")

    monkeypatch.setattr(WalletSession, "portfolio", broken)
    app = _saved_history(tmp_path, 1)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle_keep_toasts(pilot)
        messages = [n.message for n in app._notifications]
        assert any("RuntimeError" in m for m in messages), messages
        assert not any("deadbeef" in m for m in messages)  # an unknown error's text stays out
        assert "RuntimeError" in app.recent_errors


async def test_a_failure_in_a_dialogs_worker_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Dialogs hand their workers' failures to the app too (tui/errors.py ReportsFailures):
    "what to do" preparing a ticket, here made to fail, said nothing before."""

    def broken(app: object) -> None:
        raise RuntimeError("not for the user's eyes")

    monkeypatch.setattr("tui.screens.support.support_settings_for", broken)
    app = _saved_history(tmp_path, 50)  # its oldest row is a flagged approval
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("end", "w")
        await settle(pilot)
        assert isinstance(app.screen, HistoryWhatScreen)
        await pilot.press("t")
        await settle_keep_toasts(pilot)
        messages = [n.message for n in app._notifications]
        assert any("RuntimeError" in m for m in messages), messages
        assert not any("user's eyes" in m for m in messages)


@pytest.mark.parametrize("language", ["en", "zh-CN"])
async def test_the_footer_fits_80_columns(tmp_path: Path, language: str) -> None:
    """Every key History's footer shows is drawn whole within 80 columns (issue 21: with What
    to do and Export in it, Quit and the language key fell off the right edge)."""
    from textual.widgets._footer import FooterKey

    from tui.i18n import set_language

    app = _saved_history(tmp_path, 20)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        if language != "en":
            await pilot.press("f2")
            await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        assert isinstance(app.screen, HistoryScreen)
        keys = list(app.screen.query(FooterKey))
        shown = {k.key for k in keys}
        assert {"slash", "ctrl+r", "f2", "q"} <= shown and not {"w", "e"} & shown, shown
        for key in keys:
            region = key.region
            assert region.width > 0 and region.right <= 80, (key.key, region)
    set_language("en")


async def test_the_actions_not_in_the_footer_are_in_the_palette(tmp_path: Path) -> None:
    app = _saved_history(tmp_path, 20)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, HistoryScreen)
        titles = {c.title for c in app.get_system_commands(screen)}
        for name in ("What to do", "Export CSV", "Flagged", "Direction", "Asset", "Account"):
            assert f"History: {name}" in titles, titles
        await run_palette_command(pilot, "export csv")
        await settle_keep_toasts(pilot)
        exported = list((tmp_path / "exports").glob("history-*.csv"))
        assert len(exported) == 1 and exported[0].read_text().count("\n") == 21
        await pilot.press("1")  # the palette offers History's actions on History only
        await settle(pilot)
        assert not any(c.title.startswith("History:") for c in app.get_system_commands(app.screen))


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_details_values_line_up_in_terminal_cells(language: str) -> None:
    """Issue 17: in zh-CN the labels are CJK (two cells a character) and padding them by
    characters left every value at another column."""
    from rich.cells import cell_len

    from tui.i18n import set_language
    from tui.screens.history_details import details_text
    from wallet.activity import Flag
    from wallet.history.model import HistoryRow

    row = HistoryRow(
        id=1, network="devnet", account="0x" + "a" * 40, tx_hash="0x" + "1" * 64, log_index=-1,
        kind="transfer", direction="out", asset="devnet:native", symbol="ETH", decimals=18,
        amount=10**18, counterparty="0x" + "b" * 40, status="confirmed", block=5, ts=1_700_000_000,
        fee=21_000 * 10**9, nonce=3, method="transfer", made_here=True, flags=Flag(0),
        dismissed=False, label="", note="",
    )  # fmt: skip
    set_language(language)
    try:
        text = details_text([row], row, 9, None).plain
    finally:
        set_language("en")
    values = ["0x" + "1" * 64, "0x" + "a" * 40, "5", "3"]  # hash, account, block, nonce
    columns = set()
    for line in text.splitlines():
        for v in values:
            if line.endswith(" " + v):
                columns.add(cell_len(line[: -len(v)]))
    assert len(columns) == 1, (columns, text)
