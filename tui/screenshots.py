"""The app's pictures of itself: the same shots feed screenshots/*.svg (the README's) and the
snapshot tests, so what the README shows is what the tests check."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from textual.pilot import Pilot

from tui.app import TermwalletApp, make_app
from tui.services import AttachedDemoServices, Services
from wallet.demo_utxo import DEMO_PAYEE
from wallet.settings import Settings


@dataclass(frozen=True)
class Shot:
    name: str
    language: str = "en"
    keys: tuple[str, ...] = ()


# The support desk's "now" in the pictures, and the seed of its ticket references: a ticket's
# reply-due time and reference are then the same on every run (the ticket shots below).
SHOT_TIME = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)
SHOT_REFERENCE_SEED = 17

# The demo's ticket flow: a ticket written, reviewed, sent to the demo's helpdesk, and a
# follow-up, which the demo helpdesk answers at once with its labelled demo reply.
_TICKET = ("4", "n", *"Swap not in history", "tab", *"I swapped DUSD for ETH an hour ago.")
_FOLLOW_UP = ("ctrl+s", "ctrl+s", "enter", "f", *"Any news?", "ctrl+s")

# The demo's Litecoin account (wallet/demo_utxo.py): its row on Assets is the fourth, after
# ETH and the two demo tokens; its pending payment is History's second row (the first is
# the incoming one), above the confirmed ones.
_LTC_ROW = ("down", "down", "down")
_LTC_SEND = (*_LTC_ROW, "s", *DEMO_PAYEE, "tab", "tab", "0", "full_stop", "1", "ctrl+r")
_EVM_HISTORY_ROW = ("down",) * 7  # below the demo's seven Litecoin rows

SHOTS: tuple[Shot, ...] = (
    Shot("assets"),
    Shot("assets-zh-CN", language="zh-CN"),
    Shot("send", keys=("s",)),
    Shot("receive", keys=("r",)),
    Shot("history", keys=("2",)),
    Shot("history-zh-CN", language="zh-CN", keys=("2",)),
    Shot("history-details", keys=("2", *_EVM_HISTORY_ROW, "enter")),
    Shot("swap", keys=("3", "tab", "tab", "1", "enter")),
    Shot("swap-review", keys=("3", "tab", "tab", "1", "enter", "ctrl+s")),
    Shot("swap-zh-CN", language="zh-CN", keys=("3", "tab", "tab", "1", "enter")),
    Shot("support", keys=("4",)),
    Shot("support-zh-CN", language="zh-CN", keys=("4",)),
    Shot("support-new-ticket", keys=("4", "n")),
    Shot("support-ticket-filled", keys=_TICKET),
    Shot("support-ticket-review", keys=(*_TICKET, "ctrl+s")),
    Shot("support-ticket-reply", keys=(*_TICKET, *_FOLLOW_UP)),
    Shot("command-palette", keys=("ctrl+p",)),
    Shot("message", keys=("ctrl+p", *"sign or verify", "enter")),
    Shot("message-zh-CN", language="zh-CN", keys=("ctrl+p", *"签署或验证消息", "enter")),
    # A coin chosen (space) and another frozen (f), as coin control shows them.
    Shot("coins", keys=(*_LTC_ROW, "c", "space", "down", "down", "f")),
    Shot("coins-zh-CN", language="zh-CN", keys=(*_LTC_ROW, "c")),
    Shot("bump-rbf", keys=("2", "down", "enter", "u")),
    Shot("bump-cpfp", keys=("2", "enter", "c")),
    # The PSBT exported: its file shown below the home folder (~/...), which the shots set to
    # the demo's folder (tests/tui/test_snapshots.py, `termwallet screenshots`): the same path
    # on every run.
    Shot("psbt-export", keys=(*_LTC_SEND, "ctrl+e")),
)


async def settle(pilot: Pilot[int]) -> None:
    """Wait until the session is open and every worker has finished, then drop the toasts
    (their timing is not part of the picture)."""
    app = pilot.app
    for _ in range(3):
        await pilot.pause()
        await app.workers.wait_for_complete()
    app.clear_notifications()
    await pilot.pause()


async def drive(pilot: Pilot[int], shot: Shot) -> None:
    await settle(pilot)
    for key in shot.keys:
        await pilot.press(key)
        await settle(pilot)


def demo_services(deployment: object, address: str, home: Path) -> AttachedDemoServices:
    """The demo as the shots see it: with its own helpdesk and its Litecoin account on its
    own Electrum server (as `termwallet demo` has them), on the fixed clock and seeded
    references (new for each app, so each shot starts alike)."""
    from wallet.support.tickets import seeded_references

    return AttachedDemoServices(
        deployment,
        address,
        home,
        support=True,
        utxo=True,
        clock=lambda: SHOT_TIME,
        ticket_references=seeded_references(SHOT_REFERENCE_SEED),
    )


def app_for(shot: Shot, services: Services) -> TermwalletApp:
    return make_app(Settings(language=shot.language), services)  # type: ignore[arg-type]


async def capture(
    out_dir: Path,
    services_for: Callable[[], Services],
    shots: Sequence[Shot] = SHOTS,
    size: tuple[int, int] = (100, 30),
) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for shot in shots:
        app = app_for(shot, services_for())
        async with app.run_test(size=size) as pilot:
            await drive(pilot, shot)
            path = out_dir / f"{shot.name}.svg"
            path.write_text(app.export_screenshot(title=f"termwallet: {shot.name}"), "utf-8")
            written.append(path)
    return written
