"""TOTP second factor (wallet/totp.py) with pyotp codes, a real store and keystore."""

from __future__ import annotations

from pathlib import Path

import pyotp
import pytest

from wallet.keystore import KdfParams, Keystore
from wallet.lockout import LockedOut
from wallet.store import Store
from wallet.totp import BadCode, TotpGuard, provisioning_uri

PHRASE = "legal winner thank year wave sausage worth useful legal winner thank yellow"
PASSWORD = "the right password"


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def setup(tmp_path: Path):
    ks = Keystore(tmp_path / "keystore.json", kdf=KdfParams.cheap_for_tests())
    unlocked = ks.create(PHRASE, PASSWORD)
    store = Store(tmp_path / "db.sqlite3")
    clock = Clock()
    return ks, store, clock, TotpGuard(store, unlocked, clock=clock)


def test_setup_verify_replay_and_recovery(setup):
    ks, store, clock, guard = setup
    assert not guard.enabled
    secret = guard.begin_setup()
    assert provisioning_uri(secret).startswith("otpauth://totp/")
    totp = pyotp.TOTP(secret)
    with pytest.raises(BadCode):
        guard.finish_setup(secret, "000000" if totp.at(clock.now) != "000000" else "111111")
    clock.now += 30
    codes = guard.finish_setup(secret, totp.at(clock.now))
    assert guard.enabled and guard.required_for_sending
    assert len(codes) == 10 and len(set(codes)) == 10

    # The secret is in the encrypted keystore, not in clear anywhere on disk.
    assert secret not in ks.path.read_text()
    assert secret.encode() not in (store.path.read_bytes())
    again = TotpGuard(store, ks.unlock(PASSWORD), clock=clock)
    assert again.enabled

    clock.now += 30
    code = totp.at(clock.now)
    again.verify(code)
    with pytest.raises(BadCode):
        again.verify(code)  # a code is good once
    clock.now += 30
    again.verify(totp.at(clock.now - 30 + 30))

    again.verify(codes[3].upper())  # recovery codes: case does not matter...
    with pytest.raises(BadCode):
        again.verify(codes[3])  # ...and each works once
    assert again.recovery_codes_left == 9
    assert TotpGuard(store, ks.unlock(PASSWORD), clock=clock).recovery_codes_left == 9


def test_wrong_codes_lock_out(setup):
    _, _, clock, guard = setup
    secret = guard.begin_setup()
    guard.finish_setup(secret, pyotp.TOTP(secret).at(clock.now))
    for _ in range(3):
        with pytest.raises(BadCode):
            guard.verify("12345")  # never a valid 6-digit code
    with pytest.raises(LockedOut):
        guard.verify(pyotp.TOTP(secret).at(clock.now + 30))
    clock.now += 31
    guard.verify(pyotp.TOTP(secret).at(clock.now))


def test_disable(setup):
    ks, store, clock, guard = setup
    secret = guard.begin_setup()
    guard.finish_setup(secret, pyotp.TOTP(secret).at(clock.now))
    clock.now += 30
    guard.disable(pyotp.TOTP(secret).at(clock.now))
    assert not guard.enabled
    assert not TotpGuard(store, ks.unlock(PASSWORD), clock=clock).enabled
