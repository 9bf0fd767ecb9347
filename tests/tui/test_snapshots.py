"""SVG snapshots of every screen, at 80x24, on the real devnet (anvil + demo deployment).

The shots are tui.screenshots.SHOTS: the same list `termwallet screenshots` renders for the
README. Update after a deliberate change with: pytest tests/tui/test_snapshots.py --snapshot-update
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.devnet import Devnet
from tui.screenshots import SHOTS, Shot, app_for, drive
from tui.services import AttachedDemoServices

pytestmark = pytest.mark.devnet


@pytest.fixture(autouse=True)
def same_machine_everywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    """Support diagnostics show the OS, Python and terminal: pin them, so a snapshot depends
    on our code, not on the kernel of the machine that runs the test."""
    import wallet.support.diagnostics as diagnostics

    monkeypatch.setattr(diagnostics._platform, "system", lambda: "Linux")
    monkeypatch.setattr(diagnostics._platform, "release", lambda: "6.1.0")
    monkeypatch.setattr(diagnostics._platform, "machine", lambda: "x86_64")
    monkeypatch.setattr(diagnostics._platform, "python_version", lambda: "3.11.7")
    monkeypatch.setenv("TERM", "xterm-256color")
    for var in ("COLORTERM", "TERM_PROGRAM"):
        monkeypatch.delenv(var, raising=False)


@pytest.mark.parametrize("shot", SHOTS, ids=[s.name for s in SHOTS])
def test_screen(shot: Shot, fresh_devnet: Devnet, tmp_path: Path, snap_compare) -> None:  # type: ignore[no-untyped-def]
    # A devnet of this module's own: fee estimates on screen must not depend on what other
    # tests mined before (see fresh_devnet). No shot sends anything.
    devnet = fresh_devnet
    services = AttachedDemoServices(
        devnet.deployment, devnet.demo_address, tmp_path, support=True
    )  # the demo's own helpdesk, as `termwallet demo` and `termwallet screenshots` have it
    app = app_for(shot, services)

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await drive(pilot, shot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
