"""Optional second factor (RFC 6238 TOTP, pyotp) for unlocking and for sending, with one-time
recovery codes.

The TOTP secret and the recovery-code hashes live inside the encrypted keystore, so the file
alone does not reveal them. The store keeps only the last accepted time step (a code is good
once) and whether the factor is on; wrong codes go through their own Lockout scope.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from said import Said
from wallet.keystore import KeystoreError
from wallet.lockout import LockedOut, Lockout

if TYPE_CHECKING:
    from wallet.keystore import UnlockedWallet
    from wallet.store import Store

RECOVERY_CODES = 10
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read aloud and typed by hand


class TotpError(KeystoreError):
    code = "TOTP"


class BadCode(TotpError):
    code = "TOTP_BAD_CODE"


class CodeRequired(TotpError):
    """A send was asked for without the code that two-factor authentication requires."""

    code = "TOTP_REQUIRED"


def new_secret() -> str:
    import pyotp

    return str(pyotp.random_base32())


def provisioning_uri(secret: str, account: str = "termwallet") -> str:
    """The otpauth:// URI an authenticator app scans (shown once, as a QR or text)."""
    import pyotp

    return str(pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name="termwallet"))


def setup_qr(secret: str, account: str = "termwallet") -> tuple[str, str]:
    """The provisioning URI and its QR code as terminal text. Both ARE the secret: show them
    on the screen only, never log or store them."""
    from wallet.qr import qr_text

    uri = provisioning_uri(secret, account)
    return uri, str(qr_text(uri))


def _hash_code(code: str) -> str:
    # Recovery codes carry ~50 bits from a CSPRNG and are stored encrypted: a plain hash is
    # enough; it only keeps the codes themselves out of memory dumps of the secrets.
    return hashlib.sha256(code.replace("-", "").strip().lower().encode()).hexdigest()


def new_recovery_codes(n: int = RECOVERY_CODES) -> list[str]:
    return [
        "-".join("".join(secrets.choice(_ALPHABET) for _ in range(5)) for _ in range(2))
        for _ in range(n)
    ]


class TotpGuard:
    def __init__(
        self,
        store: Store,
        unlocked: UnlockedWallet,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._db = store.db
        self._unlocked = unlocked
        self._clock = clock
        self.lockout = Lockout(store, "totp", clock=clock)

    def _state(self) -> tuple[bool, bool, int]:
        row = self._db.execute(
            "SELECT enabled, for_sending, last_step FROM totp_state WHERE id = 1"
        ).fetchone()
        return (False, False, 0) if row is None else (bool(row[0]), bool(row[1]), int(row[2]))

    @property
    def enabled(self) -> bool:
        return self._state()[0] and self._unlocked.secrets.totp_secret is not None

    @property
    def required_for_sending(self) -> bool:
        return self.enabled and self._state()[1]

    def begin_setup(self) -> str:
        """A new secret to show to the user; nothing is saved until `finish_setup`."""
        return new_secret()

    def finish_setup(self, secret: str, code: str, *, for_sending: bool = True) -> list[str]:
        """Turn the factor on once the user proves their app has the secret. Returns the
        recovery codes, to be shown once and never stored in clear."""
        step = self._matching_step(secret, code, last_step=0)
        if step is None:
            raise BadCode(
                Said(
                    "totp.code_does_not_match",
                    "that code does not match: check the authenticator app's clock",
                )
            )
        codes = new_recovery_codes()
        s = self._unlocked.secrets
        s.totp_secret = secret
        s.recovery_code_hashes = [_hash_code(c) for c in codes]
        self._unlocked.save()
        self._db.execute(
            "INSERT INTO totp_state(id, enabled, for_sending, last_step) VALUES(1, 1, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET enabled = 1, for_sending = excluded.for_sending, "
            "last_step = excluded.last_step",
            (int(for_sending), step),
        )
        return codes

    def disable(self, code: str) -> None:
        self.verify(code)
        s = self._unlocked.secrets
        s.totp_secret, s.recovery_code_hashes = None, []
        self._unlocked.save()
        self._db.execute("UPDATE totp_state SET enabled = 0 WHERE id = 1")

    def _matching_step(self, secret: str, code: str, *, last_step: int) -> int | None:
        import pyotp

        totp = pyotp.TOTP(secret)
        now = self._clock()
        code = code.strip().replace(" ", "")
        for drift in (0, -1, 1):  # one step either way for clock skew
            step = totp.timecode(now) + drift
            if step > last_step and hmac.compare_digest(totp.generate_otp(step), code):
                return step
        return None

    def verify(self, code: str) -> None:
        """Accept a current TOTP code (once) or an unused recovery code; BadCode otherwise.
        LockedOut while wrong codes have earned a wait."""
        wait = self.lockout.check()
        if wait > 0:
            raise LockedOut(wait)
        s = self._unlocked.secrets
        if s.totp_secret is None:
            raise TotpError(
                Said(
                    "totp.two_factor_authentication_not", "two-factor authentication is not set up"
                )
            )
        step = self._matching_step(s.totp_secret, code, last_step=self._state()[2])
        if step is not None:
            self._db.execute("UPDATE totp_state SET last_step = ? WHERE id = 1", (step,))
            self.lockout.record_success()
            return
        h = _hash_code(code)
        for stored in s.recovery_code_hashes:
            if hmac.compare_digest(stored, h):
                s.recovery_code_hashes = [x for x in s.recovery_code_hashes if x != stored]
                self._unlocked.save()
                self.lockout.record_success()
                return
        self.lockout.record_failure()
        raise BadCode(Said("totp.wrong_already_used_code", "wrong or already used code"))

    @property
    def recovery_codes_left(self) -> int:
        return len(self._unlocked.secrets.recovery_code_hashes)


@dataclass(frozen=True)
class TotpStatus:
    """What the store says without the keystore: enough for `totp status` and for knowing,
    before anything is unlocked, that a send will need a code."""

    enabled: bool
    for_sending: bool


def totp_status(store: Store) -> TotpStatus:
    row = store.db.execute("SELECT enabled, for_sending FROM totp_state WHERE id = 1").fetchone()
    if row is None:
        return TotpStatus(False, False)
    return TotpStatus(bool(row[0]), bool(row[0]) and bool(row[1]))


def authorize_send(
    store: Store,
    unlocked: UnlockedWallet | None,
    code: str | None,
    *,
    clock: Callable[[], float] = time.time,
) -> None:
    """The one check every send and swap makes before signing (app and CLI alike): nothing
    when the factor is not required for sending; otherwise the code must verify (counted by
    TotpGuard's own lockout). Fails closed: the store saying a code is needed while no
    unlocked keystore is at hand to check it is a refusal, not a pass."""
    if not totp_status(store).for_sending:
        return
    if unlocked is None:
        raise CodeRequired(
            Said("totp.unlock_wallet_check_two", "unlock the wallet to check the two-factor code")
        )
    guard = TotpGuard(store, unlocked, clock=clock)
    if not guard.required_for_sending:
        return
    if code is None or not code.strip():
        raise CodeRequired(
            Said(
                "totp.sending_needs_code_from", "sending needs the code from your authenticator app"
            )
        )
    guard.verify(code)
