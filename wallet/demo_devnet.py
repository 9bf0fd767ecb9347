"""The demo's anvil, spawned before the app's first frame. A module of its own because
wallet/demo.py imports the session's models (pydantic, about 0.2 s), which the first frame
must not wait for; this one imports only chains/devnet/anvil.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def spawn_demo_devnet(home: Path) -> Any:
    """The demo's anvil process, started before the app's first frame (a fork and an exec:
    milliseconds) so that it is up by the time the session opens: anvil needs about 0.25 s to
    answer, which the demo's first balances waited for. None when it cannot be spawned: the
    session's own start then says why, in the app."""
    from chains.devnet.anvil import Anvil
    from chains.devnet.errors import DevnetError

    anvil = Anvil(log_dir=home / "logs")
    try:
        anvil.spawn()
    except (DevnetError, OSError):
        return None
    return anvil
