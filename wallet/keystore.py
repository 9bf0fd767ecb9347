"""The keystore at rest: the recovery phrase (and BIP39 passphrase, TOTP secret, recovery-code
hashes) encrypted with a key stretched from the user's password.

Format (JSON, version 1): Argon2id (RFC 9106) turns password + random salt into a 256-bit key;
AES-256-GCM encrypts the secret payload. The KDF and cipher parameters are stored in the file
so they can be raised later (a file with weaker parameters than today's is re-encrypted on the
next unlock), and the whole header is the AEAD's associated data, so changing any parameter
or byte makes decryption fail instead of quietly weakening anything.

Writes are atomic (temp file in the same directory, fsync, rename, fsync of the directory) and
the file is 0600: a crash leaves the old file or the new one, never half of one.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import secrets
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from said import Said
from wallet.keys import normalize_mnemonic, validate_mnemonic

FORMAT_VERSION = 1


class KeystoreError(Exception):
    code = "KEYSTORE"


class KeystoreMissing(KeystoreError):
    code = "KEYSTORE_MISSING"


class KeystoreExists(KeystoreError):
    code = "KEYSTORE_EXISTS"


class WrongPassword(KeystoreError):
    """AES-GCM cannot tell a wrong password from a changed file; the message says both."""

    code = "WRONG_PASSWORD"


class KeystoreCorrupt(KeystoreError):
    code = "KEYSTORE_CORRUPT"


class WeakPassword(KeystoreError):
    code = "WEAK_PASSWORD"


MIN_PASSWORD_LENGTH = 8
# A keystore is about 1 KB (the phrase, passphrase, TOTP secret and code hashes, encrypted).
MAX_KEYSTORE_BYTES = 1024 * 1024


@dataclass(frozen=True)
class KdfParams:
    """Argon2id parameters. memory_cost is in KiB (RFC 9106's m)."""

    iterations: int = 3
    lanes: int = 4
    memory_cost: int = 256 * 1024  # 256 MiB
    salt_length: int = 16

    # Upper bounds for parameters read from a file: a doctored header must not make unlocking
    # allocate the machine's memory or run for hours.
    MAX_MEMORY = 4 * 1024 * 1024
    MAX_ITERATIONS = 64
    MAX_LANES = 64

    def weaker_than(self, other: KdfParams) -> bool:
        return self.memory_cost < other.memory_cost or self.iterations < other.iterations

    def check_bounds(self) -> None:
        if not (
            8 * self.lanes <= self.memory_cost <= self.MAX_MEMORY
            and 1 <= self.iterations <= self.MAX_ITERATIONS
            and 1 <= self.lanes <= self.MAX_LANES
        ):
            raise KeystoreCorrupt(
                Said(
                    "keystore.keystore_s_key_derivation",
                    "the keystore's key-derivation parameters are out of range",
                )
            )

    @classmethod
    def cheap_for_tests(cls) -> KdfParams:
        """Fast, weak parameters: only for tests, and only ever passed explicitly."""
        return cls(iterations=1, lanes=1, memory_cost=8 * 1024)


DEFAULT_KDF = KdfParams()


@dataclass
class Secrets:
    """What the keystore protects. Never printed: repr hides every field."""

    mnemonic: str
    passphrase: str = ""
    totp_secret: str | None = None
    recovery_code_hashes: list[str] = field(default_factory=list)

    def __repr__(self) -> str:
        return "Secrets(<redacted>)"

    def to_json(self) -> bytes:
        return json.dumps(
            {
                "mnemonic": self.mnemonic,
                "passphrase": self.passphrase,
                "totp_secret": self.totp_secret,
                "recovery_code_hashes": self.recovery_code_hashes,
            }
        ).encode()

    @classmethod
    def from_json(cls, data: bytes) -> Secrets:
        d = json.loads(data)
        return cls(
            mnemonic=d["mnemonic"],
            passphrase=d.get("passphrase", ""),
            totp_secret=d.get("totp_secret"),
            recovery_code_hashes=list(d.get("recovery_code_hashes", [])),
        )


def _b64(b: bytes) -> str:
    return base64.b64encode(b).decode()


def _unb64(s: Any) -> bytes:
    if not isinstance(s, str):
        raise ValueError("not base64 text")
    return base64.b64decode(s, validate=True)


def _derive(password: str, salt: bytes, p: KdfParams) -> bytes:
    from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

    kdf = Argon2id(
        salt=salt, length=32, iterations=p.iterations, lanes=p.lanes, memory_cost=p.memory_cost
    )
    return kdf.derive(password.encode())


def _header_aad(header: dict[str, Any]) -> bytes:
    return json.dumps(header, sort_keys=True, separators=(",", ":")).encode()


def write_private_file(path: Path, data: bytes) -> None:
    """Atomically replace `path` with `data`, mode 0600, durable once this returns."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


class UnlockedWallet:
    """The decrypted secrets, while the wallet is unlocked. `lock()` drops them."""

    def __init__(self, keystore: Keystore, secrets_: Secrets, key: bytes, header: dict[str, Any]):
        self._keystore = keystore
        self._secrets: Secrets | None = secrets_
        self._key = key
        self._header = header
        # The keystore's mode before unlocking tightened it to 0600 (None: it was private).
        self.fixed_mode: int | None = None

    def __repr__(self) -> str:
        state = "locked" if self._secrets is None else "unlocked"
        return f"UnlockedWallet({self._keystore.path.name}, {state})"

    def __reduce__(self) -> Any:
        raise TypeError("an unlocked wallet holds secrets and cannot be pickled")

    @property
    def secrets(self) -> Secrets:
        if self._secrets is None:
            raise KeystoreError(
                Said("keystore.wallet_locked_unlock_again", "the wallet is locked: unlock it again")
            )
        return self._secrets

    @property
    def mnemonic(self) -> str:
        return self.secrets.mnemonic

    @property
    def has_passphrase(self) -> bool:
        return bool(self.secrets.passphrase)

    def signer(self, label: str | None = None) -> Any:
        """A SoftwareSigner for this wallet (devices.emulator); close it when done."""
        from devices.emulator import SoftwareSigner

        s = self.secrets
        return SoftwareSigner.from_mnemonic(s.mnemonic, s.passphrase, label=label or "software")

    def save(self) -> None:
        """Re-encrypt the (changed) secrets under the same password-derived key."""
        self._keystore._write(self.secrets, self._key, self._header)

    def lock(self) -> None:
        self._secrets = None
        self._key = b""


class Keystore:
    def __init__(self, path: Path | str | None = None, *, kdf: KdfParams | None = None) -> None:
        if path is None:
            from wallet.paths import Paths

            path = Paths.default().data_dir / "keystore.json"
        self.path = Path(path)
        # An explicit kdf is used as given (tests pass cheap ones); otherwise today's defaults,
        # and files weaker than them are upgraded on unlock.
        self._kdf = kdf if kdf is not None else DEFAULT_KDF
        self._explicit_kdf = kdf is not None

    def __repr__(self) -> str:
        return f"Keystore({str(self.path)!r})"

    def exists(self) -> bool:
        return self.path.exists()

    def create(
        self, mnemonic: str, password: str, passphrase: str = "", *, overwrite: bool = False
    ) -> UnlockedWallet:
        """Encrypt a validated phrase under `password`. Refuses to replace a keystore unless
        told to (losing the only copy of a phrase loses the money)."""
        if self.exists() and not overwrite:
            raise KeystoreExists(
                Said(
                    "keystore.keystore_already_exists_at",
                    "a keystore already exists at {path}",
                    path=self.path,
                )
            )
        if len(password) < MIN_PASSWORD_LENGTH:
            raise WeakPassword(
                Said(
                    "keystore.use_password_at_least",
                    "use a password of at least {min_length} characters",
                    min_length=MIN_PASSWORD_LENGTH,
                )
            )
        validate_mnemonic(mnemonic)  # MnemonicError says what is wrong
        s = Secrets(mnemonic=normalize_mnemonic(mnemonic), passphrase=passphrase)
        header = self._new_header(self._kdf)
        key = _derive(password, _unb64(header["kdf"]["salt"]), self._kdf)
        self._write(s, key, header)
        return UnlockedWallet(self, s, key, header)

    def _new_header(self, p: KdfParams) -> dict[str, Any]:
        return {
            "version": FORMAT_VERSION,
            "kdf": {
                "name": "argon2id",
                "salt": _b64(secrets.token_bytes(p.salt_length)),
                "iterations": p.iterations,
                "lanes": p.lanes,
                "memory_cost_kib": p.memory_cost,
            },
            "cipher": {"name": "aes-256-gcm"},
        }

    def _write(self, s: Secrets, key: bytes, header: dict[str, Any]) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        nonce = secrets.token_bytes(12)  # fresh for every write under this key
        ct = AESGCM(key).encrypt(nonce, s.to_json(), _header_aad(header))
        doc = dict(header) | {"nonce": _b64(nonce), "ciphertext": _b64(ct)}
        write_private_file(self.path, json.dumps(doc, indent=1).encode())

    def _read(self) -> tuple[dict[str, Any], KdfParams, bytes, bytes]:
        raw = self._read_bytes()
        try:
            doc = json.loads(raw)
            header = {k: doc[k] for k in ("version", "kdf", "cipher")}
            if header["version"] != FORMAT_VERSION:
                raise KeystoreCorrupt(
                    Said(
                        "keystore.keystore_format_not_known",
                        "keystore format {header_version!r} is not known to this termwallet",
                        header_version=header["version"],
                    )
                )
            k = header["kdf"]
            if k["name"] != "argon2id" or header["cipher"]["name"] != "aes-256-gcm":
                raise KeystoreCorrupt(
                    Said(
                        "keystore.keystore_names_unknown_kdf",
                        "the keystore names an unknown KDF or cipher",
                    )
                )
            params = KdfParams(
                iterations=int(k["iterations"]),
                lanes=int(k["lanes"]),
                memory_cost=int(k["memory_cost_kib"]),
                salt_length=len(_unb64(k["salt"])),
            )
            nonce, ct = _unb64(doc["nonce"]), _unb64(doc["ciphertext"])
        except KeystoreCorrupt:
            raise
        except (ValueError, KeyError, TypeError, AttributeError):
            raise KeystoreCorrupt(
                Said(
                    "keystore.damaged_not_termwallet_keystore",
                    "{path} is damaged (not a termwallet keystore); restore it "
                    "from a backup or restore the wallet from its recovery phrase",
                    path=self.path,
                )
            ) from None
        params.check_bounds()
        if params.salt_length < 16 or len(nonce) != 12:
            raise KeystoreCorrupt(
                Said(
                    "keystore.keystore_s_salt_nonce",
                    "the keystore's salt or nonce has the wrong length",
                )
            )
        return header, params, nonce, ct

    def _read_bytes(self) -> bytes:
        """The file's bytes, or KeystoreMissing/KeystoreCorrupt saying why not. Only a regular
        file of sane size is read (a folder, or a link to /dev/zero, would otherwise raise
        deep inside or fill the memory); nothing is ever written here."""
        import stat

        try:
            with self.path.open("rb") as fh:
                if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                    raise KeystoreCorrupt(
                        Said(
                            "keystore.not_regular_file_not",
                            "{path} is not a regular file: not read",
                            path=self.path,
                        )
                    )
                raw = fh.read(MAX_KEYSTORE_BYTES + 1)
        except FileNotFoundError:
            raise KeystoreMissing(
                Said(
                    "keystore.no_keystore_at_create",
                    "no keystore at {path}: create or restore a wallet",
                    path=self.path,
                )
            ) from None
        except IsADirectoryError:
            raise KeystoreCorrupt(
                Said(
                    "keystore.folder_not_keystore_not",
                    "{path} is a folder, not a keystore: not read",
                    path=self.path,
                )
            ) from None
        except OSError as exc:
            raise KeystoreCorrupt(
                Said(
                    "keystore.cannot_read",
                    "cannot read {path}: {strerror}",
                    path=self.path,
                    strerror=exc.strerror,
                )
            ) from None
        if len(raw) > MAX_KEYSTORE_BYTES:
            raise KeystoreCorrupt(
                Said(
                    "keystore.far_larger_than_keystore",
                    "{path} is far larger than a keystore: not read",
                    path=self.path,
                )
            )
        return raw

    def unlock(self, password: str) -> UnlockedWallet:
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        header, params, nonce, ct = self._read()
        key = _derive(password, _unb64(header["kdf"]["salt"]), params)
        try:
            plain = AESGCM(key).decrypt(nonce, ct, _header_aad(header))
        except InvalidTag:
            raise WrongPassword(
                Said(
                    "keystore.wrong_password_keystore_file",
                    "wrong password, or the keystore file was changed since it was written",
                )
            ) from None
        try:
            s = Secrets.from_json(plain)
        except (ValueError, KeyError, TypeError):
            raise KeystoreCorrupt(
                Said(
                    "keystore.keystore_decrypted_but_content",
                    "the keystore decrypted but its content is not understood",
                )
            ) from None
        unlocked = UnlockedWallet(self, s, key, header)
        unlocked.fixed_mode = self._make_private()
        if not self._explicit_kdf and params.weaker_than(DEFAULT_KDF):
            self.change_password(unlocked, password)
        return unlocked

    def _make_private(self) -> int | None:
        """chmod 0600 a keystore others could read (copied with cp, unpacked from a backup);
        returns the mode it had, for the warning. Only after a successful unlock: a file that
        is not ours stays untouched."""
        import logging
        import stat

        mode = stat.S_IMODE(self.path.stat().st_mode)
        if not mode & 0o077:
            return None
        self.path.chmod(0o600)
        logging.getLogger(__name__).warning(
            "the keystore was readable by others (mode %o); it is now 0600", mode
        )
        return mode

    def change_password(self, unlocked: UnlockedWallet, new_password: str) -> None:
        """New salt, today's KDF parameters, new key; the unlocked wallet keeps working."""
        if len(new_password) < MIN_PASSWORD_LENGTH:
            raise WeakPassword(
                Said(
                    "keystore.use_password_at_least",
                    "use a password of at least {min_length} characters",
                    min_length=MIN_PASSWORD_LENGTH,
                )
            )
        header = self._new_header(self._kdf)
        key = _derive(new_password, _unb64(header["kdf"]["salt"]), self._kdf)
        self._write(unlocked.secrets, key, header)
        unlocked._key, unlocked._header = key, header

    def kdf_params(self) -> KdfParams:
        """The parameters the file on disk uses (for diagnostics and the upgrade test)."""
        return self._read()[1]
