"""Clipboard guard (wallet/clipboard.py).

No system clipboard runs on this headless machine, so most tests use `MemoryClipboard`, a
complete in-memory clipboard implementing the backend protocol; the CommandClipboard test
runs only where a clipboard tool exists and says so otherwise.
"""

from __future__ import annotations

import shutil
import threading

import pytest

from wallet.clipboard import ClipboardGuard, CommandClipboard, SecretRefused, looks_secret

ABANDON = "abandon " * 11 + "about"


class MemoryClipboard:
    def __init__(self) -> None:
        self.text: str | None = None
        self.changed = threading.Event()

    def set_text(self, text: str) -> None:
        self.text = text
        self.changed.set()

    def get_text(self) -> str | None:
        return self.text


class ManualTimers:
    """Runs scheduled callbacks when told: the clear-after logic without waiting."""

    def __init__(self) -> None:
        self.pending: list[tuple[float, object]] = []

    def __call__(self, delay, fn):
        entry = (delay, fn)
        self.pending.append(entry)
        return lambda: self.pending.remove(entry) if entry in self.pending else None

    def fire(self) -> None:
        for _, fn in list(self.pending):
            self.pending.remove((_, fn))
            fn()


def test_sensitive_copy_is_cleared():
    board, timers = MemoryClipboard(), ManualTimers()
    guard = ClipboardGuard(board, clear_after=20, schedule=timers)
    guard.copy("bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu")
    assert board.text.startswith("bc1q") and timers.pending[0][0] == 20
    timers.fire()
    assert board.text == ""


def test_something_else_copied_meanwhile_is_left_alone():
    board, timers = MemoryClipboard(), ManualTimers()
    guard = ClipboardGuard(board, schedule=timers)
    guard.copy("0x9858EfFD232B4033E47d90003D41EC34EcaEda94")
    board.set_text("the user's own text")
    timers.fire()
    assert board.text == "the user's own text"


def test_plain_copy_is_not_cleared_and_a_new_copy_restarts_the_timer():
    board, timers = MemoryClipboard(), ManualTimers()
    guard = ClipboardGuard(board, schedule=timers)
    guard.copy("first")
    guard.copy("second")
    assert len(timers.pending) == 1
    guard.copy("a txid, not sensitive", sensitive=False)
    assert timers.pending == []


@pytest.mark.parametrize(
    "secret",
    [
        ABANDON,
        "abandon " * 12,  # a phrase with a bad checksum is still someone's phrase
        "4646464646464646464646464646464646464646464646464646464646464646",
        "0x4646464646464646464646464646464646464646464646464646464646464646",
        "xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHi",
        "KyZpNDKnfs94vbrwhJneDi77V6jF64PWPF8x5cdJb8ifgg2DUc9d",
    ],
)
def test_secrets_are_never_copied(secret: str):
    board = MemoryClipboard()
    with pytest.raises(SecretRefused) as info:
        ClipboardGuard(board, schedule=ManualTimers()).copy(secret)
    assert board.text is None
    assert secret not in str(info.value)


def test_addresses_are_not_secrets():
    assert not looks_secret("0x9858EfFD232B4033E47d90003D41EC34EcaEda94")
    assert not looks_secret("bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu")


def test_real_timer_clears():
    board = MemoryClipboard()
    guard = ClipboardGuard(board, clear_after=0.05)
    guard.copy("tb1q6rz28mcfaxtmd6v789l9rrlrusdprr9pqcpvkl")
    board.changed.clear()
    assert board.changed.wait(10), "the clipboard was never cleared"
    assert board.text == ""


def test_system_clipboard_tool():
    if not any(shutil.which(t) for t in ("wl-copy", "xclip", "xsel", "pbcopy")):
        pytest.skip("no clipboard tool (wl-copy, xclip, xsel, pbcopy) on this machine")
    board = CommandClipboard()
    try:
        board.set_text("termwallet clipboard test")
    except Exception as exc:  # a tool without a display server to talk to
        pytest.skip(f"clipboard tool present but unusable here: {type(exc).__name__}")
    assert board.get_text() == "termwallet clipboard test"
