"""Keeping Python's full garbage collections short once the app has started.

By the time the wallet is open, the process holds a few hundred thousand long-lived objects
(Textual, pydantic models, web3 and the device libraries' modules). A full (generation 2)
collection walks all of them: 50-55 ms here, and it lands on whatever runs next, often a
key press or a screen's first paint (bench/history.py showed one inside History's first
frame). gc.freeze() moves the objects alive now out of the collector's view, so later full
collections walk only what was made since. Objects frozen stay until exit; collecting first
means only live ones are frozen.
"""

from __future__ import annotations

import gc


def freeze() -> None:
    gc.collect()
    gc.freeze()
