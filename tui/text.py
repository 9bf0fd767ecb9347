"""Outside text made safe for a terminal line: names, labels and messages that came from a
device, a node or a file are printed by the CLI through `plain`.

Hand-written rather than a library: the rule is one line (drop every control and format
character: escapes, carriage returns, bidi overrides), and the libraries that strip ANSI
sequences keep a bare carriage return or a bidi override, which rewrite a line as well.
"""

from __future__ import annotations

import unicodedata


def plain(text: str) -> str:
    """`text` with every control (Cc) and format (Cf) character replaced by U+FFFD."""
    return "".join("\ufffd" if unicodedata.category(c) in ("Cc", "Cf") else c for c in text)
