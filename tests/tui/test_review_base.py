"""tui/screens/review_base.py on its own: the sign guard, the phases, the device prompt and the
failure path that every review (send, UTXO send, swap) gets from it, and the `sign_ways` hook
another way to sign plugs into. The full reviews run against anvil and regtest in test_send.py,
test_utxo_app.py and test_swap.py; here a minimal review in a bare App drives the base alone.
The bare App has no wallet services (so no send code is asked) and a stand-in session: only
`active_signer` is read from it, for the software-signer note."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any, ClassVar

from textual.app import App
from textual.binding import Binding, BindingType
from textual.widgets import Static

from chains.errors import ChainError
from tui.screens.review_base import ReviewScreen, Row, SignWay


class _Review(ReviewScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "sign", "bind.send_sign", priority=True),
        Binding("ctrl+e", "sign('other')", "bind.send_sign", priority=True),
        Binding("escape", "back", "bind.send_back"),
    ]

    def __init__(self, *, warn: str | None = None, refuse: str | None = None) -> None:
        super().__init__()
        self.warn, self.refuse = warn, refuse
        self.signed: list[str] = []
        self.gate = asyncio.Event()  # signing waits here, as a device waits for its button
        self.fail: BaseException | None = None
        self.sent: Any = None

    def rows(self) -> list[Row]:
        return [("To", "0xabc [b]not markup[/b]"), ("Amount", "1 ETH")]

    def device_lines(self) -> list[Row]:
        return [("Amount", "1 ETH")]

    def second_press(self) -> str | None:
        return self.warn

    def refusal(self) -> str | None:
        return self.refuse

    def sign_ways(self) -> dict[str, SignWay]:
        return {**super().sign_ways(), "other": lambda: self._way("other")}

    async def sign_and_send(self) -> object:
        return await self._way("signer")

    async def _way(self, name: str) -> object:
        self.signed.append(name)
        await self.gate.wait()
        if self.fail is not None:
            raise self.fail
        return f"tx-by-{name}"

    def error_text(self, error: BaseException) -> str:
        return f"failed: {error}"

    def after_sent(self, result: Any) -> None:
        self.sent = result
        self.phase = "settled"


class _App(App[None]):
    def __init__(self, review: _Review) -> None:
        super().__init__()
        self.review = review
        self.session = SimpleNamespace(
            active_signer=SimpleNamespace(info=SimpleNamespace(model="software"))
        )
        self.recent_errors: list[str] = []

    def on_mount(self) -> None:
        self.push_screen(self.review)


def _text(review: _Review, part: str) -> str:
    return str(review.query_one(f"#review-{part}", Static).render())


async def test_rows_are_plain_text_and_serious_warnings_ask_twice() -> None:
    review = _Review(warn="Sure? Press ctrl+s again.")
    async with _App(review).run_test() as pilot:
        await pilot.pause()
        assert "0xabc [b]not markup[/b]" in _text(review, "table")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert review.signed == [] and review.phase == "idle"
        assert "Sure?" in _text(review, "status")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert review.signed == ["signer"] and review.phase == "signing"
        assert "Amount: 1 ETH" in _text(review, "device")
        await pilot.press("escape")  # refused while the signer works
        await pilot.pause()
        assert pilot.app.screen is review
        await pilot.press("ctrl+s")  # no second signing
        review.gate.set()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert review.signed == ["signer"] and review.sent == "tx-by-signer"
        assert review.phase == "settled"


async def test_another_way_to_sign_passes_the_same_guard() -> None:
    review = _Review(refuse="The quote expired.")
    async with _App(review).run_test() as pilot:
        await pilot.pause()
        await pilot.press("ctrl+e")
        await pilot.pause()
        assert review.signed == [] and "expired" in _text(review, "status")
        review.refuse = None
        review.action_sign("no-such-way")
        await pilot.pause()
        assert review.signed == [] and review.phase == "idle"
        review.gate.set()
        await pilot.press("ctrl+e")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert review.signed == ["other"] and review.sent == "tx-by-other"


async def test_a_typed_failure_goes_back_to_idle_with_its_words() -> None:
    review = _Review()
    review.fail = ChainError("node said no")
    review.gate.set()
    async with _App(review).run_test() as pilot:
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert review.phase == "idle" and review.sent is None
        assert "failed: node said no" in _text(review, "status")
        assert pilot.app.recent_errors == ["CHAIN"]
        await pilot.press("escape")
        await pilot.pause()
        assert pilot.app.screen is not review
