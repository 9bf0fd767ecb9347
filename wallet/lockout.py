"""Unlock lockout: each wrong password after the first few makes the next attempt wait longer.

The state lives in the SQLite store, so restarting the app does not reset it. It slows down
someone guessing at the unlock screen; it cannot stop someone who copied the keystore file
and guesses offline -- that is the KDF's job (docs/security.md).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from wallet.keystore import KeystoreError

if TYPE_CHECKING:
    from wallet.keystore import Keystore, UnlockedWallet
    from wallet.store import Store

FREE_ATTEMPTS = 3  # failures allowed before the first delay
BASE_DELAY = 30.0  # seconds, after the FREE_ATTEMPTS-th failure; doubles with each further one
MAX_DELAY = 3600.0


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
        self, store: Store, scope: str = "unlock", *, clock: Callable[[], float] = time.time
    ) -> None:
        self._db = store.db
        self.scope = scope
        self._clock = clock

    def _row(self) -> tuple[int, float]:
        row = self._db.execute(
            "SELECT failures, locked_until FROM lockout WHERE scope = ?", (self.scope,)
        ).fetchone()
        return (0, 0.0) if row is None else (int(row[0]), float(row[1]))

    @property
    def failures(self) -> int:
        return self._row()[0]

    def check(self) -> float:
        """Seconds to wait before the next attempt is accepted; 0 when it may go ahead."""
        failures, until = self._row()
        # A clock set back must not stretch the wait beyond what the failures earned.
        return max(0.0, min(until - self._clock(), delay_after(failures)))

    def record_failure(self) -> float:
        """Count a wrong attempt; returns the seconds the user must now wait."""
        now = self._clock()
        failures = self.failures + 1
        wait = delay_after(failures)
        self._db.execute(
            "INSERT INTO lockout(scope, failures, locked_until, last_failure_at) "
            "VALUES(?, ?, ?, ?) ON CONFLICT(scope) DO UPDATE SET failures = excluded.failures, "
            "locked_until = excluded.locked_until, last_failure_at = excluded.last_failure_at",
            (self.scope, failures, now + wait, now),
        )
        return wait

    def record_success(self) -> None:
        self._db.execute("DELETE FROM lockout WHERE scope = ?", (self.scope,))


def guarded_unlock(keystore: Keystore, lockout: Lockout, password: str) -> UnlockedWallet:
    """Unlock through the lockout: LockedOut while waiting (the KDF is not even run),
    WrongPassword counted as a failure, success clears the count."""
    from wallet.keystore import WrongPassword

    wait = lockout.check()
    if wait > 0:
        raise LockedOut(wait)
    try:
        unlocked = keystore.unlock(password)
    except WrongPassword:
        lockout.record_failure()
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
