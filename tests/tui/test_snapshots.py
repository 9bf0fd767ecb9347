"""SVG snapshots of every screen, at 80x24, on the real devnet (anvil + demo deployment).

The shots are tui.screenshots.SHOTS: the same list `termwallet screenshots` renders for the
README. Update after a deliberate change with: pytest tests/tui/test_snapshots.py --snapshot-update
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.devnet import Devnet
from tui.screenshots import SHOTS, Shot, app_for, demo_services, drive

pytestmark = pytest.mark.devnet


@pytest.fixture(autouse=True)
def same_machine_everywhere(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Support diagnostics show the OS, Python and terminal: pin them, so a snapshot depends
    on our code, not on the kernel of the machine that runs the test."""
    import wallet.support.diagnostics as diagnostics

    monkeypatch.setattr(diagnostics._platform, "system", lambda: "Linux")
    monkeypatch.setattr(diagnostics._platform, "release", lambda: "6.1.0")
    monkeypatch.setattr(diagnostics._platform, "machine", lambda: "x86_64")
    monkeypatch.setattr(diagnostics._platform, "python_version", lambda: "3.11.7")
    monkeypatch.setenv("TERM", "xterm-256color")
    # The home folder is the demo's (the test's tmp_path): a file the app writes there, such
    # as an exported PSBT, shows as ~/... whatever the machine's temporary folder.
    monkeypatch.setenv("HOME", str(tmp_path))
    # The ticket shots show times, in local time: UTC here, as `termwallet screenshots` has.
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    for var in ("COLORTERM", "TERM_PROGRAM"):
        monkeypatch.delenv(var, raising=False)
    yield
    monkeypatch.undo()  # now, so that tzset reads the zone as it was
    time.tzset()


@pytest.mark.parametrize("shot", SHOTS, ids=[s.name for s in SHOTS])
def test_screen(shot: Shot, fresh_devnet: Devnet, tmp_path: Path, snap_compare) -> None:  # type: ignore[no-untyped-def]
    # A devnet of this module's own: fee estimates on screen must not depend on what other
    # tests mined before (see fresh_devnet). No shot sends anything.
    devnet = fresh_devnet
    # As `termwallet screenshots` has it: the demo's own helpdesk, on a fixed clock with seeded
    # ticket references (the ticket shots show a reply-due time and a reference).
    services = demo_services(devnet.deployment, devnet.demo_address, tmp_path)
    app = app_for(shot, services)

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await drive(pilot, shot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
