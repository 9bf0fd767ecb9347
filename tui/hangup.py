"""Whether the terminal is gone. A terminal can disappear without a SIGHUP reaching the app
(it is not the terminal's controlling process: started with setsid, by a service or from
some multiplexers). Textual then reads end-of-file in a loop on its input thread at 100 % of
a core, and once its writer thread has died on the dead terminal, the event loop blocks on
the writer's full queue, where not even SIGTERM ends it. Polling for the hang-up lets the app
end before that, as on SIGHUP (tui/app.py). Upstream: Textualize/textual pull request 6690
(open when this was written: it stops the input thread on end-of-file, seen after SSH
connections dropped without SIGHUP); util-linux's `more` ends on POLLHUP the same way."""

from __future__ import annotations

import os
import select
import sys

GONE = select.POLLHUP | select.POLLERR | select.POLLNVAL


def terminal_fd() -> int | None:
    """The terminal Textual reads keys from (its LinuxDriver reads sys.__stdin__), if any."""
    stdin = sys.__stdin__
    if stdin is None:
        return None
    try:
        fd = stdin.fileno()
    except (OSError, ValueError):
        return None
    return fd if os.isatty(fd) else None


def hung_up(fd: int) -> bool:
    """True once the terminal on `fd` has hung up. Registered for no event: poll reports a
    hang-up and errors anyway, and no key the user types is taken from Textual."""
    poller = select.poll()
    poller.register(fd, 0)
    return any(events & GONE for _, events in poller.poll(0))
