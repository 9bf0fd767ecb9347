"""Turns any exception into a sentence for the user, in their language.

Typed errors (chains, devices, wallet) carry a stable `code` with a catalog entry under
`errors.`; anything else gets a generic sentence naming only the exception's class, because
an unknown exception's text could hold anything, secrets included. An error raised with a
`Said` (said/__init__.py) holds a sentence written for the user: `sentence()` says it in the
current language, as the `{detail}` of its code's template or on its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from said import Said, said_of
from tui.i18n import catalog, language, t

if TYPE_CHECKING:
    from textual.worker import Worker


class _Blank(dict[str, object]):
    def __missing__(self, key: str) -> str:
        return "?"


def error_code(exc: BaseException) -> str | None:
    code = getattr(exc, "code", None)
    return code if isinstance(code, str) else None


def in_language(text: object) -> object:
    """A Said in the current language when its catalog has `said.<key>` (the same values,
    themselves said in that language); anything else as it is."""
    if isinstance(text, Said):
        if f"said.{text.key}" not in catalog(language()):
            return str(text)
        values = {name: in_language(value) for name, value in text.values.items()}
        return t(f"said.{text.key}", **values)
    if isinstance(text, BaseException) and said_of(text) is not None:
        return sentence(text)
    return text


def sentence(exc: BaseException) -> str:
    """The exception's own sentence, in the current language where it was raised with a
    Said that the language's catalog has; otherwise str(exc), its English."""
    first = said_of(exc)
    if first is None or len(exc.args) != 1 or str(exc) != str(first):
        return str(exc)  # a class whose str() is not its first argument alone
    return str(in_language(first))


def user_message(exc: BaseException) -> str:
    code = error_code(exc)
    if code and f"errors.{code}" in catalog("en"):
        values = _Blank(getattr(exc, "details", {}) or {})
        values.setdefault("detail", sentence(exc))
        for attr in ("url", "wanted"):
            if hasattr(exc, attr):
                values[attr] = getattr(exc, attr)
        return t(f"errors.{code}").format_map(values)
    if code and said_of(exc) is not None:  # a typed error's sentence, written for the user
        return sentence(exc)
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
