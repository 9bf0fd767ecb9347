"""Copying to the clipboard: sensitive text is cleared again after a timeout, and secrets
(recovery phrases, private keys) are refused outright.

The wallet layer does not know how to reach the clipboard: the TUI passes a backend (Textual's
OSC 52 `copy_to_clipboard`, or a system command). `CommandClipboard` drives wl-copy, xclip,
xsel or pbcopy when one is installed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
from collections.abc import Callable
from typing import Protocol

from said import Said

DEFAULT_CLEAR_AFTER = 30.0  # seconds


class ClipboardError(Exception):
    code = "CLIPBOARD"


class SecretRefused(ClipboardError):
    code = "CLIPBOARD_SECRET"


class ClipboardBackend(Protocol):
    def set_text(self, text: str) -> None: ...

    def get_text(self) -> str | None:
        """The clipboard's text, or None when it cannot be read (OSC 52 cannot)."""
        ...


_HEX_KEY = re.compile(r"(0x)?[0-9a-fA-F]{64}")
_EXT_PRIVATE = re.compile(r"[xtyzuv]prv[1-9A-HJ-NP-Za-km-z]{100,}")
_WIF = re.compile(r"[5KLc9][1-9A-HJ-NP-Za-km-z]{50,51}")


def looks_secret(text: str) -> bool:
    """A recovery phrase (any of our wordlists, valid checksum), a raw private key, an
    extended private key or a WIF key."""
    stripped = text.strip()
    if _HEX_KEY.fullmatch(stripped) or _EXT_PRIVATE.fullmatch(stripped) or _WIF.fullmatch(stripped):
        return True
    words = stripped.split()
    if len(words) >= 12:
        from wallet.keys import MnemonicError, validate_mnemonic

        try:
            validate_mnemonic(stripped)
        except MnemonicError as exc:
            # A phrase with a typo is still someone's phrase.
            return exc.reason in ("checksum", "word_count") and len(words) in (12, 15, 18, 21, 24)
        return True
    return False


def _timer(delay: float, fn: Callable[[], None]) -> Callable[[], None]:
    t = threading.Timer(delay, fn)
    t.daemon = True
    t.start()
    return t.cancel


class ClipboardGuard:
    def __init__(
        self,
        backend: ClipboardBackend,
        *,
        clear_after: float = DEFAULT_CLEAR_AFTER,
        schedule: Callable[[float, Callable[[], None]], Callable[[], None]] = _timer,
    ) -> None:
        self._backend = backend
        self.clear_after = clear_after
        self._schedule = schedule
        self._cancel: Callable[[], None] | None = None
        self._copied: str | None = None
        self._lock = threading.Lock()

    def copy(self, text: str, *, sensitive: bool = True) -> None:
        """Put `text` on the clipboard; when `sensitive`, clear it after `clear_after`."""
        if looks_secret(text):
            raise SecretRefused("recovery phrases and private keys are never copied")
        with self._lock:
            if self._cancel is not None:
                self._cancel()
                self._cancel = None
            self._backend.set_text(text)
            self._copied = text if sensitive else None
            if sensitive:
                self._cancel = self._schedule(self.clear_after, self.clear)

    def clear(self) -> None:
        """Empty the clipboard if it still holds what we put there (or if we cannot tell)."""
        with self._lock:
            if self._copied is None:
                return
            current = self._backend.get_text()
            if current is None or current == self._copied:
                self._backend.set_text("")
            self._copied = None
            self._cancel = None


class CommandClipboard:
    """The system clipboard through a command-line tool."""

    _TOOLS: tuple[tuple[list[str], list[str]], ...] = (
        (["wl-copy"], ["wl-paste", "--no-newline"]),
        (["xclip", "-selection", "clipboard"], ["xclip", "-selection", "clipboard", "-o"]),
        (["xsel", "--clipboard", "--input"], ["xsel", "--clipboard", "--output"]),
        (["pbcopy"], ["pbpaste"]),
    )

    def __init__(self) -> None:
        for copy, paste in self._TOOLS:
            if shutil.which(copy[0]):
                self._copy, self._paste = copy, paste
                return
        raise ClipboardError(
            Said(
                "clipboard.no_clipboard_tool_found",
                "no clipboard tool found (wl-copy, xclip, xsel or pbcopy)",
            )
        )

    def set_text(self, text: str) -> None:
        subprocess.run(self._copy, input=text.encode(), check=True, timeout=5)

    def get_text(self) -> str | None:
        try:
            out = subprocess.run(self._paste, capture_output=True, check=True, timeout=5)
        except (subprocess.SubprocessError, OSError):
            return None
        return out.stdout.decode(errors="replace")
