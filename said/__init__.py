"""Sentences the lower layers (wallet, chains, devices) say to the user, with what a
translation needs to say them again.

Those layers cannot call tui's `t()` (arrows point down), and logs and English users read
`str(exc)`. So a raise site keeps its English sentence in the code and hands it over as a
`Said`: a `str` equal to that sentence that also carries a catalog key and the values that
filled it. tui/errors.py `sentence()` looks the key up as `said.<key>` in the current language
(tui/i18n/<lang>/said.toml) and fills it with the same values; a language without the key,
and English, read the sentence as it is.

Its own top-level package, the lowest layer (pyproject.toml's import-linter contracts), so
wallet, chains and devices share one class without importing each other. It imports nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self


class Said(str):
    """`Said("accounts.no_account", "no {script} account {index}", script=s, index=i)` is the
    str "no p2wpkh account 0", remembering its key, template and values.

    Values are data (names, numbers, a node's answer): a translation places them, never
    parses them. A value may be a Said or an exception itself, which is then said in the
    same language too."""

    key: str
    template: str
    values: Mapping[str, Any]

    def __new__(cls, key: str, template: str, /, **values: Any) -> Self:
        said = super().__new__(cls, template.format(**values))
        said.key = key
        said.template = template
        said.values = values
        return said

    def __reduce__(self) -> tuple[Any, ...]:
        # str's own pickling would call Said(text) alone; exceptions are pickled with their
        # args (multiprocessing, copy), and the key must survive that.
        return (_said, (self.key, self.template, dict(self.values)))


def _said(key: str, template: str, values: dict[str, Any]) -> Said:
    return Said(key, template, **values)


def said_of(exc: BaseException) -> Said | None:
    """The Said an exception was raised with (its first argument), if any."""
    first = exc.args[0] if exc.args else None
    return first if isinstance(first, Said) else None
