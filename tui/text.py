"""Outside text made safe for a terminal line: names, labels and messages that came from a
device, a node or a file are printed by the CLI through `plain`.

Hand-written rather than a library: the rule is one line (drop every control and format
character: escapes, carriage returns, bidi overrides), and the libraries that strip ANSI
sequences keep a bare carriage return or a bidi override, which rewrite a line as well.
"""

from __future__ import annotations

import unicodedata
from typing import Any, TextIO


def plain(text: str) -> str:
    """`text` with every control (Cc) and format (Cf) character replaced by U+FFFD."""
    return "".join("\ufffd" if unicodedata.category(c) in ("Cc", "Cf") else c for c in text)


_KEPT = frozenset("\n\t")


def plain_lines(text: str) -> str:
    """`plain` for whole output: line breaks and tabs the CLI writes itself stay."""
    return "".join(
        "\ufffd" if c not in _KEPT and unicodedata.category(c) in ("Cc", "Cf") else c for c in text
    )


class PlainStream:
    """A text stream that writes through `plain_lines`: the CLI's stdout and stderr while a
    subcommand runs, so no outside string (a token symbol, a node's error, a ticket reply)
    reaches the terminal with an escape sequence or a carriage return in it, whichever print
    forgot to clean it (issue 14, case 7). Everything else is the wrapped stream's."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(plain_lines(text))
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)
