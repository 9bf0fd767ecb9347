"""The keystore at rest (wallet/keystore.py): real Argon2id and AES-GCM on real files."""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path

import pytest

from wallet.keys import MnemonicError
from wallet.keystore import (
    DEFAULT_KDF,
    KdfParams,
    Keystore,
    KeystoreCorrupt,
    KeystoreExists,
    KeystoreMissing,
    WeakPassword,
    WrongPassword,
)

PHRASE = "legal winner thank year wave sausage worth useful legal winner thank yellow"
PASSWORD = "correct horse battery"
CHEAP = KdfParams.cheap_for_tests()


@pytest.fixture
def ks(tmp_path: Path) -> Keystore:
    return Keystore(tmp_path / "data" / "keystore.json", kdf=CHEAP)


def test_create_and_unlock(ks: Keystore):
    assert not ks.exists()
    ks.create(PHRASE, PASSWORD, passphrase="extra words")
    assert ks.exists()
    unlocked = Keystore(ks.path, kdf=CHEAP).unlock(PASSWORD)
    assert unlocked.mnemonic == PHRASE
    assert unlocked.secrets.passphrase == "extra words"
    assert PHRASE not in repr(unlocked) and PHRASE not in repr(unlocked.secrets)
    signer = unlocked.signer()
    assert signer.get_address("eth", "m/44'/60'/0'/0/0").startswith("0x")
    unlocked.lock()
    with pytest.raises(Exception, match="locked"):
        _ = unlocked.mnemonic


def test_file_is_private_and_holds_no_secret(ks: Keystore):
    ks.create(PHRASE, PASSWORD)
    assert stat.S_IMODE(ks.path.stat().st_mode) == 0o600
    raw = ks.path.read_text()
    for word in set(PHRASE.split()) | {PASSWORD}:
        assert word not in raw
    doc = json.loads(raw)
    assert doc["kdf"]["name"] == "argon2id" and doc["cipher"]["name"] == "aes-256-gcm"
    assert [p.name for p in ks.path.parent.iterdir()] == ["keystore.json"]  # no temp files


def test_wrong_password(ks: Keystore):
    ks.create(PHRASE, PASSWORD)
    with pytest.raises(WrongPassword) as info:
        ks.unlock("correct horse battery!")
    assert info.value.code == "WRONG_PASSWORD"
    assert "correct horse" not in str(info.value)
    assert info.value.__cause__ is None and info.value.__suppress_context__


def _edit(path: Path, fn) -> None:
    doc = json.loads(path.read_text())
    fn(doc)
    path.write_text(json.dumps(doc))


def test_tampered_ciphertext_or_header_is_refused(ks: Keystore):
    ks.create(PHRASE, PASSWORD)
    original = ks.path.read_text()

    def flip(doc):
        ct = bytearray(base64.b64decode(doc["ciphertext"]))
        ct[3] ^= 1
        doc["ciphertext"] = base64.b64encode(bytes(ct)).decode()

    _edit(ks.path, flip)
    with pytest.raises(WrongPassword):
        ks.unlock(PASSWORD)
    ks.path.write_text(original)
    # Parameters are authenticated: a lowered (or raised) cost is noticed.
    _edit(ks.path, lambda d: d["kdf"].update(iterations=2))
    with pytest.raises(WrongPassword):
        ks.unlock(PASSWORD)
    ks.path.write_text(original)
    assert ks.unlock(PASSWORD).mnemonic == PHRASE


@pytest.mark.parametrize(
    "damage",
    [
        lambda p: p.write_text("{not json"),
        lambda p: p.write_text(p.read_text()[:40]),
        lambda p: p.write_bytes(b"\x00\xff" * 10),
        lambda p: _edit(p, lambda d: d.pop("nonce")),
        lambda p: _edit(p, lambda d: d.update(version=99)),
        lambda p: _edit(p, lambda d: d["kdf"].update(name="pbkdf2")),
        lambda p: _edit(p, lambda d: d["kdf"].update(memory_cost_kib=2**40)),
        lambda p: _edit(p, lambda d: d.update(nonce="!!!")),
    ],
    ids=["syntax", "truncated", "binary", "no-nonce", "version", "kdf-name", "huge-memory", "b64"],
)
def test_damaged_file_gives_a_clear_error(ks: Keystore, damage):
    ks.create(PHRASE, PASSWORD)
    damage(ks.path)
    with pytest.raises(KeystoreCorrupt) as info:
        ks.unlock(PASSWORD)
    assert info.value.code == "KEYSTORE_CORRUPT"


def test_missing_and_existing(ks: Keystore):
    with pytest.raises(KeystoreMissing):
        ks.unlock(PASSWORD)
    ks.create(PHRASE, PASSWORD)
    with pytest.raises(KeystoreExists):
        ks.create(PHRASE, PASSWORD)


def test_refuses_bad_input_without_writing(ks: Keystore):
    with pytest.raises(WeakPassword):
        ks.create(PHRASE, "short")
    with pytest.raises(MnemonicError):
        ks.create("abandon " * 12, PASSWORD)  # checksum fails
    assert not ks.exists()


def test_crash_during_write_keeps_the_old_file(ks: Keystore, monkeypatch: pytest.MonkeyPatch):
    ks.create(PHRASE, PASSWORD)
    before = ks.path.read_bytes()
    unlocked = ks.unlock(PASSWORD)

    def fail(*_a, **_k):  # the rename is where a crash would land between old and new
        raise OSError("disk gone")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError):
        ks.change_password(unlocked, "a new password")
    monkeypatch.undo()
    assert ks.path.read_bytes() == before
    assert [p.name for p in ks.path.parent.iterdir()] == ["keystore.json"]
    assert ks.unlock(PASSWORD).mnemonic == PHRASE


def test_change_password(ks: Keystore):
    unlocked = ks.create(PHRASE, PASSWORD)
    ks.change_password(unlocked, "another password")
    with pytest.raises(WrongPassword):
        ks.unlock(PASSWORD)
    assert ks.unlock("another password").mnemonic == PHRASE


def test_production_parameters_and_upgrade(tmp_path: Path):
    """Defaults are at least RFC 9106's second recommendation; a file written with weaker
    parameters is re-encrypted with the defaults on its next unlock."""
    assert DEFAULT_KDF.memory_cost >= 64 * 1024 and DEFAULT_KDF.iterations >= 3
    path = tmp_path / "keystore.json"
    Keystore(path, kdf=CHEAP).create(PHRASE, PASSWORD)
    assert Keystore(path).kdf_params().memory_cost == CHEAP.memory_cost
    assert Keystore(path).unlock(PASSWORD).mnemonic == PHRASE  # default parameters: upgrades
    upgraded = Keystore(path).kdf_params()
    assert (upgraded.memory_cost, upgraded.iterations, upgraded.lanes) == (
        DEFAULT_KDF.memory_cost,
        DEFAULT_KDF.iterations,
        DEFAULT_KDF.lanes,
    )
    assert Keystore(path).unlock(PASSWORD).mnemonic == PHRASE


def test_default_location_is_the_data_dir(termwallet_home: Path):
    assert Keystore().path == termwallet_home / "data" / "keystore.json"


def test_a_keystore_others_can_read_is_made_private_on_unlock(
    ks: Keystore, caplog: pytest.LogCaptureFixture
):
    ks.create(PHRASE, PASSWORD)
    ks.path.chmod(0o644)
    with pytest.raises(WrongPassword):
        Keystore(ks.path, kdf=CHEAP).unlock("not the password")
    assert stat.S_IMODE(ks.path.stat().st_mode) == 0o644  # not ours until it decrypts
    unlocked = Keystore(ks.path, kdf=CHEAP).unlock(PASSWORD)
    assert unlocked.fixed_mode == 0o644
    assert stat.S_IMODE(ks.path.stat().st_mode) == 0o600
    assert "readable by others" in caplog.text and PASSWORD not in caplog.text
    assert Keystore(ks.path, kdf=CHEAP).unlock(PASSWORD).fixed_mode is None
