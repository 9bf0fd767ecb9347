"""Unlock lockout: each wrong password after the first few makes the next attempt wait longer.

The state lives in the SQLite store, so restarting the app does not reset it. It slows down
someone guessing at the unlock screen or the CLI; it cannot stop someone who copied the
keystore file and guesses offline -- that is the KDF's job (docs/security.md).

- An attempt is counted *before* the KDF runs, inside one IMMEDIATE transaction (SQLite's
  write lock, shared by every process on the store): twelve processes started at once get
  their turns one by one, and only those the count allows run the KDF. A right password
  clears the count afterwards.
- Time since the last failure is measured on the boot clock (CLOCK_BOOTTIME: monotonic, and
  counting suspend), stored with the boot's id: moving the wall clock, or faking it for one
  process, changes nothing. After a reboot the time since the last failure is taken as the
  lesser of what the wall clock says and the time since the boot, so a clock moved forward
  before rebooting gains nothing either.
- What it cannot do: whoever can write the data folder can delete these rows (docs/security.md).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from wallet.keystore import KeystoreError

if TYPE_CHECKING:
    from wallet.keystore import Keystore, UnlockedWallet
    from wallet.store import Store

FREE_ATTEMPTS = 3  # failures allowed before the first delay
BASE_DELAY = 30.0  # seconds, after the FREE_ATTEMPTS-th failure; doubles with each further one
MAX_DELAY = 3600.0


def _boot_ticks() -> float:
    clock = getattr(time, "CLOCK_BOOTTIME", None)
    return time.clock_gettime(clock) if clock is not None else time.monotonic()


def _boot_id() -> str:
    """This boot's id (Linux); '' where there is none, which makes every reading 'another boot'
    and so trusts the wall clock only as far as the time since boot."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


class LockedOut(KeystoreError):
    """Too many wrong attempts: wait `seconds` before the next one."""

    code = "LOCKED_OUT"

    def __init__(self, seconds: float) -> None:
        self.seconds = max(1, math.ceil(seconds))
        super().__init__(f"too many wrong attempts: try again in {self.seconds} s")
        self.details = {"seconds": self.seconds}


def delay_after(failures: int) -> float:
    if failures < FREE_ATTEMPTS:
        return 0.0
    return min(BASE_DELAY * 2 ** (failures - FREE_ATTEMPTS), MAX_DELAY)


class Lockout:
    def __init__(
        self,
        store: Store,
        scope: str = "unlock",
        *,
        clock: Callable[[], float] | None = None,
        ticks: Callable[[], float] | None = None,
        boot_id: Callable[[], str] | None = None,
    ) -> None:
        """`clock` is the wall clock, `ticks` the boot clock. Tests inject one fake clock for
        both (and a fixed boot id) unless they give each."""
        self._store = store
        self._db = store.db
        self.scope = scope
        self._clock = clock or time.time
        self._ticks = ticks or (clock if clock is not None else _boot_ticks)
        self._boot = boot_id or ((lambda: "test-boot") if clock is not None else _boot_id)

    def _row(self) -> tuple[int, float]:
        row = self._db.execute(
            "SELECT failures, last_failure_at FROM lockout WHERE scope = ?", (self.scope,)
        ).fetchone()
        return (0, 0.0) if row is None else (int(row[0]), float(row[1] or 0.0))

    @property
    def _ticks_key(self) -> str:
        return f"lockout.{self.scope}.ticks"

    @property
    def failures(self) -> int:
        return self._row()[0]

    def _elapsed(self, last_wall: float) -> float:
        """Seconds since the last failure, by the clock least open to tampering."""
        wall = max(0.0, self._clock() - last_wall)  # a clock set back gives 0, never less
        stored = self._store.get_meta(self._ticks_key)
        now_ticks = self._ticks()
        if stored:
            boot, _, t0 = stored.partition(" ")
            if boot and boot == self._boot():
                return max(0.0, now_ticks - float(t0))
        # Another boot (or no reading): at most the time since this boot.
        return min(wall, max(0.0, now_ticks))

    def check(self) -> float:
        """Seconds to wait before the next attempt is accepted; 0 when it may go ahead."""
        failures, last = self._row()
        wait = delay_after(failures)
        if wait <= 0:
            return 0.0
        return max(0.0, wait - self._elapsed(last))

    def _write(self, failures: int) -> float:
        now = self._clock()
        wait = delay_after(failures)
        self._db.execute(
            "INSERT INTO lockout(scope, failures, locked_until, last_failure_at) "
            "VALUES(?, ?, ?, ?) ON CONFLICT(scope) DO UPDATE SET failures = excluded.failures, "
            "locked_until = excluded.locked_until, last_failure_at = excluded.last_failure_at",
            (self.scope, failures, now + wait, now),
        )
        self._store.set_meta(self._ticks_key, f"{self._boot()} {self._ticks()!r}")
        return wait

    def record_failure(self) -> float:
        """Count a wrong attempt (atomically: no increment is lost to another process);
        returns the seconds the user must now wait."""
        with self._db:
            return self._write(self.failures + 1)

    def begin_attempt(self) -> tuple[int, float, str | None]:
        """Count an attempt before it is made, under the store's write lock: LockedOut while
        the wait lasts. The caller clears the count with record_success if it succeeds, or
        gives the returned state to undo_attempt if no password was judged."""
        with self._db:
            wait = self.check()
            if wait > 0:
                raise LockedOut(wait)
            failures, last = self._row()
            before = (failures, last, self._store.get_meta(self._ticks_key))
            self._write(failures + 1)
            return before

    def undo_attempt(self, before: tuple[int, float, str | None]) -> None:
        """Take back a counted attempt that judged no password: one failure fewer, and the
        wait measured from the failure before it again."""
        failures, last, ticks = before
        with self._db:
            self._db.execute(
                "UPDATE lockout SET failures = MAX(failures - 1, 0), last_failure_at = ?, "
                "locked_until = ? WHERE scope = ?",
                (last, last + delay_after(failures), self.scope),
            )
            if ticks is None:
                self._db.execute("DELETE FROM meta WHERE key = ?", (self._ticks_key,))
            else:
                self._store.set_meta(self._ticks_key, ticks)

    def record_success(self) -> None:
        with self._db:
            self._db.execute("DELETE FROM lockout WHERE scope = ?", (self.scope,))
            self._db.execute("DELETE FROM meta WHERE key = ?", (self._ticks_key,))


def guarded_unlock(keystore: Keystore, lockout: Lockout, password: str) -> UnlockedWallet:
    """Unlock through the lockout: LockedOut while waiting (the KDF is not even run); the
    attempt is counted before the KDF runs (so concurrent attempts cannot all slip in), and
    success clears the count."""
    from wallet.keystore import WrongPassword

    before = lockout.begin_attempt()
    try:
        unlocked = keystore.unlock(password)
    except WrongPassword:
        raise  # already counted
    except BaseException:
        # No password was judged (a missing or damaged keystore, an interrupt): not a guess.
        lockout.undo_attempt(before)
        raise
    lockout.record_success()
    return unlocked


class IdleTimer:
    """Auto-lock: `touch()` on user activity; `expired()` once `minutes` passed without any.
    0 minutes turns auto-lock off (Settings.auto_lock_minutes)."""

    def __init__(self, minutes: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.minutes = minutes
        self._clock = clock
        self._last = clock()

    def touch(self) -> None:
        self._last = self._clock()

    def remaining(self) -> float:
        if self.minutes <= 0:
            return float("inf")
        return max(0.0, self.minutes * 60 - (self._clock() - self._last))

    def expired(self) -> bool:
        return self.remaining() == 0.0
