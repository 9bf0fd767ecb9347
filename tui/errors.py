"""Turns any exception into a sentence for the user, in their language.

Typed errors (chains, devices, wallet) carry a stable `code` with a catalog entry under
`errors.`; anything else gets a generic sentence naming only the exception's class, because
an unknown exception's text could hold anything, secrets included.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui.i18n import catalog, t

if TYPE_CHECKING:
    from textual.worker import Worker


class _Blank(dict[str, object]):
    def __missing__(self, key: str) -> str:
        return "?"


def error_code(exc: BaseException) -> str | None:
    code = getattr(exc, "code", None)
    return code if isinstance(code, str) else None


def user_message(exc: BaseException) -> str:
    code = error_code(exc)
    if code and f"errors.{code}" in catalog("en"):
        values = _Blank(getattr(exc, "details", {}) or {})
        values.setdefault("detail", str(exc))
        for attr in ("url", "wanted"):
            if hasattr(exc, attr):
                values[attr] = getattr(exc, attr)
        return t(f"errors.{code}").format_map(values)
    return t("errors.unexpected", kind=type(exc).__name__)


class ReportsFailures:
    """Put first among a screen's (or widget's) bases: its workers' failures go to the app's
    one handler (tui/app.py report_failure). Textual tells only the node that started a
    worker, and an error nobody is told of leaves the screen waiting, silently: a revoke
    that failed said nothing."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        report = getattr(self.app, "report_failure", None)  # type: ignore[attr-defined]
        if report is not None:
            report(event)
