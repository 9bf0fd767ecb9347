"""Unlock lockout (wallet/lockout.py), on a real SQLite store and an injected clock."""

from __future__ import annotations

from pathlib import Path

import pytest

from wallet.keystore import KdfParams, Keystore, WrongPassword
from wallet.lockout import BASE_DELAY, MAX_DELAY, LockedOut, Lockout, delay_after, guarded_unlock
from wallet.store import Store

PHRASE = "legal winner thank year wave sausage worth useful legal winner thank yellow"


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_delays_grow():
    assert [delay_after(n) for n in range(1, 7)] == [0, 0, BASE_DELAY, 60, 120, 240]
    assert delay_after(50) == MAX_DELAY


def test_state_survives_a_restart(tmp_path: Path):
    clock = Clock()
    store = Store(tmp_path / "db.sqlite3")
    lock = Lockout(store, clock=clock)
    for _ in range(3):
        lock.record_failure()
    assert lock.check() == BASE_DELAY
    store.close()
    again = Lockout(Store(tmp_path / "db.sqlite3"), clock=clock)
    assert again.failures == 3
    clock.now += 10
    assert again.check() == BASE_DELAY - 10
    clock.now += 25
    assert again.check() == 0
    assert again.record_failure() == 60
    again.record_success()
    assert again.check() == 0 and again.failures == 0


def test_clock_set_back_does_not_stretch_the_wait(tmp_path: Path):
    clock = Clock()
    lock = Lockout(Store(tmp_path / "db.sqlite3"), clock=clock)
    for _ in range(3):
        lock.record_failure()
    clock.now -= 10**6
    assert lock.check() == BASE_DELAY


def test_guarded_unlock(tmp_path: Path):
    clock = Clock()
    ks = Keystore(tmp_path / "keystore.json", kdf=KdfParams.cheap_for_tests())
    ks.create(PHRASE, "the right password")
    lock = Lockout(Store(tmp_path / "db.sqlite3"), clock=clock)
    for _ in range(3):
        with pytest.raises(WrongPassword):
            guarded_unlock(ks, lock, "wrong password")
    # Now even the right password waits: no guess is checked during the delay.
    with pytest.raises(LockedOut) as info:
        guarded_unlock(ks, lock, "the right password")
    assert info.value.seconds == 30 and info.value.code == "LOCKED_OUT"
    assert "30" in str(info.value)
    clock.now += 30
    assert guarded_unlock(ks, lock, "the right password").mnemonic == PHRASE
    assert lock.failures == 0


def test_idle_timer():
    from wallet.lockout import IdleTimer

    clock = Clock()
    idle = IdleTimer(10, clock=clock)
    clock.now += 9 * 60
    assert not idle.expired()
    idle.touch()
    clock.now += 9 * 60
    assert not idle.expired() and idle.remaining() == 60
    clock.now += 60
    assert idle.expired()
    assert not IdleTimer(0, clock=clock).expired()  # 0: auto-lock is off


def _locked(tmp_path: Path, **clocks: object) -> Lockout:
    lock = Lockout(Store(tmp_path / "db.sqlite3"), **clocks)  # type: ignore[arg-type]
    for _ in range(3):
        lock.record_failure()
    return lock


def test_wall_clock_moved_either_way_changes_nothing(tmp_path: Path):
    wall, ticks = Clock(), Clock()
    lock = _locked(tmp_path, clock=wall, ticks=ticks, boot_id=lambda: "boot-1")
    wall.now += 3600  # the process's clock jumped an hour: no guess for free
    assert lock.check() == BASE_DELAY
    wall.now -= 7200
    assert lock.check() == BASE_DELAY
    ticks.now += 30  # the boot clock says the wait is over
    assert lock.check() == 0


def test_after_a_reboot_the_wall_clock_counts_only_up_to_the_time_since_boot(tmp_path: Path):
    wall, ticks = Clock(), Clock()
    boot = ["boot-1"]
    lock = _locked(tmp_path, clock=wall, ticks=ticks, boot_id=lambda: boot[0])
    boot[0], ticks.now = "boot-2", 5.0  # rebooted 5 s ago, clock moved an hour on
    wall.now += 3600
    assert lock.check() == BASE_DELAY - 5
    wall.now -= 3598  # a wall clock saying less (2 s) than the boot clock allows: believed
    assert lock.check() == BASE_DELAY - 2


class _Spy(Keystore):
    """The real keystore, noting how many failures were counted when the KDF started."""

    seen: list[int]
    lockout: Lockout

    def unlock(self, password: str):  # type: ignore[no-untyped-def]
        self.seen.append(self.lockout.failures)
        return super().unlock(password)


def test_the_attempt_is_counted_before_the_kdf_runs(tmp_path: Path):
    ks = _Spy(tmp_path / "keystore.json", kdf=KdfParams.cheap_for_tests())
    ks.create(PHRASE, "the right password")
    ks.lockout, ks.seen = Lockout(Store(tmp_path / "db.sqlite3"), clock=Clock()), []
    with pytest.raises(WrongPassword):
        guarded_unlock(ks, ks.lockout, "wrong password")
    guarded_unlock(ks, ks.lockout, "the right password")
    assert ks.seen == [1, 2] and ks.lockout.failures == 0


def test_a_missing_keystore_is_not_a_guess(tmp_path: Path):
    from wallet.keystore import KeystoreMissing

    lock = Lockout(Store(tmp_path / "db.sqlite3"), clock=Clock())
    for _ in range(5):
        with pytest.raises(KeystoreMissing):
            guarded_unlock(Keystore(tmp_path / "none.json"), lock, "whatever password")
    assert lock.failures == 0 and lock.check() == 0
