"""A program on a real pseudo-terminal, driven with keys and timed by what it writes.

The benches time what a user sees: the moment bytes holding a frame reach the terminal, not
a test harness's idea of "idle" (Textual's Pilot.pause() waits in 20 ms slices, so it rounds
every figure up to the next slice or two). What the bytes show is read back with pyte, a
terminal emulator, so "shown" means the characters on screen reached their final state.
"""

from __future__ import annotations

import fcntl
import os
import pty
import resource
import select
import signal
import struct
import subprocess
import termios
import time
from dataclasses import dataclass

import pyte


@dataclass(frozen=True)
class Reaction:
    """What the terminal got after keys were written (seconds from the write)."""

    shown: float | None  # when the characters on screen reached their final state; None: no change
    settled: float | None  # the last bytes before the output went quiet; None: nothing came
    frames: int  # reads that brought bytes


class Terminal:
    def __init__(self, argv: list[str], env: dict[str, str], *, rows: int = 24, cols: int = 80):
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            argv,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            start_new_session=True,
            close_fds=True,
        )
        os.close(slave)
        self.output = b""  # everything written so far, for markers that span reads
        self.rusage: resource.struct_rusage | None = None
        self.screen = pyte.Screen(cols, rows)
        self._stream = pyte.ByteStream(self.screen)
        self._fed = 0  # bytes of output given to the emulator so far

    def _read(self, wait: float) -> tuple[float, bytes] | None:
        r, _, _ = select.select([self.master], [], [], wait)
        if not r:
            return None
        try:
            chunk = os.read(self.master, 65536)
        except OSError:  # the program has gone
            return None
        now = time.perf_counter()
        self.output += chunk
        return now, chunk

    def press(self, keys: bytes) -> float:
        """Write keys as typed; returns the time they were written."""
        os.write(self.master, keys)
        return time.perf_counter()

    def until(self, marker: bytes, since: int = 0, timeout: float = 30.0) -> float | None:
        """Time of the read that brought `marker` (looked for after byte `since`)."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            got = self._read(0.05)
            if got and marker in self.output[since:]:
                return got[0]
        return None

    def text(self) -> tuple[str, ...]:
        """The characters on screen now, as the emulator draws all output so far."""
        self._stream.feed(self.output[self._fed :])
        self._fed = len(self.output)
        return tuple(self.screen.display)

    def react(self, keys: bytes, gap: float = 0.3) -> Reaction:
        """Write keys, read until the output is quiet for `gap` seconds, then replay what came
        through the emulator (after the reading: emulating is slow and would delay the reads
        and so their times)."""
        before = self.text()
        sent = self.press(keys)
        reads: list[tuple[float, int]] = []  # (time, end offset in self.output)
        deadline = time.perf_counter() + 30.0
        while time.perf_counter() < deadline:
            got = self._read(gap)
            if got is None:
                break
            reads.append((got[0], len(self.output)))
        if not reads:
            return Reaction(shown=None, settled=None, frames=0)
        screens = []
        for _, end in reads:
            self._stream.feed(self.output[self._fed : end])
            self._fed = end
            screens.append(tuple(self.screen.display))
        final = screens[-1]
        shown = None
        if final != before:
            # From the last read after which the screen no longer changed.
            first = len(screens) - 1
            while first > 0 and screens[first - 1] == final:
                first -= 1
            shown = reads[first][0] - sent
        return Reaction(shown=shown, settled=reads[-1][0] - sent, frames=len(reads))

    def quiet(self, gap: float = 0.3, timeout: float = 30.0) -> float | None:
        """Read until nothing comes for `gap` seconds; the time of the last read, or None if
        nothing came at all."""
        last = None
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            got = self._read(gap)
            if got is None:
                return last
            last = got[0]
        return last

    def close(self, quit_keys: bytes = b"q") -> resource.struct_rusage:
        """Quit with `quit_keys` (killed after 10 s); the program's resource usage."""
        try:
            os.write(self.master, quit_keys)
        except OSError:
            pass
        end = time.perf_counter() + 10
        # Reaped with wait4 here (not Popen.poll) to get the child's resource usage.
        while time.perf_counter() < end and self.rusage is None:
            self._read(0.1)
            pid, _, ru = os.wait4(self.proc.pid, os.WNOHANG)
            if pid:
                self.rusage = ru
        if self.rusage is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            _, _, self.rusage = os.wait4(self.proc.pid, 0)
        self.proc.returncode = 0  # reaped above; keep Popen from waiting again
        os.close(self.master)
        return self.rusage
