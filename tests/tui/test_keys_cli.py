"""`termwallet init / accounts / address`: the script contract, with the real keystore KDF."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.cli import run_cli
from tui.cli import main

ABANDON = "abandon " * 11 + "about"
PASSWORD = "correct horse battery"
BIP84_FIRST = "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu"
BIP84_SECOND = "bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g"
BIP86_FIRST = "bc1p5cyxnuxmeuwuvkwfem96lqzszd02n6xdcjrs20cac6yqjjwudpxqkedrcr"


def run(args: list[str], stdin: str = "", capsys: Any = None) -> tuple[int, str, str]:
    return run_cli(args, capsys, stdin)


def test_restore_from_stdin_then_accounts_and_addresses(capsys):
    rc, out, err = run(["init", "--restore", "--json"], f"{ABANDON}\n{PASSWORD}\n", capsys)
    assert rc == 0, err
    result = json.loads(out)
    assert result["restored"] is True
    assert ABANDON not in out + err and PASSWORD not in out + err

    rc, out, _ = run(["accounts", "--json"], capsys=capsys)
    accounts = json.loads(out)
    assert {a["address"] for a in accounts} >= {BIP84_FIRST, BIP86_FIRST}
    assert all(not a["watch_only"] for a in accounts)

    rc, out, _ = run(["address", "btc", "--index", "1", "--json"], capsys=capsys)
    assert json.loads(out)["address"] == BIP84_SECOND
    rc, out, _ = run(["address", "btc", "--type", "p2tr"], capsys=capsys)
    assert out.strip() == BIP86_FIRST
    rc, out, _ = run(["address", "eth"], capsys=capsys)
    assert out.strip() == "0x9858EfFD232B4033E47d90003D41EC34EcaEda94"
    rc, out, _ = run(["address", "ltc"], capsys=capsys)
    assert out.strip() == "ltc1qjmxnz78nmc8nq77wuxh25n2es7rzm5c2rkk4wh"
    rc, out, _ = run(["address", "btc-regtest"], capsys=capsys)
    assert out.strip().startswith("bcrt1q")
    rc, _, err = run(["address", "btc", "--account", "5"], capsys=capsys)
    assert rc == 2 and "account 5" in err

    # A second init refuses to touch the wallet.
    rc, _, err = run(["init", "--restore"], f"{ABANDON}\n{PASSWORD}\n", capsys)
    assert rc == 2 and "already exists" in err


def test_restore_from_files_with_passphrase(tmp_path: Path, capsys):
    (tmp_path / "m").write_text(ABANDON + "\n")
    (tmp_path / "p").write_text(PASSWORD + "\n")
    (tmp_path / "pp").write_text("TREZOR\n")
    rc, _, err = run(
        [
            "init", "--restore",
            "--mnemonic-file", str(tmp_path / "m"),
            "--password-file", str(tmp_path / "p"),
            "--passphrase-file", str(tmp_path / "pp"),
        ],
        capsys=capsys,
    )  # fmt: skip
    assert rc == 0, err
    rc, out, _ = run(["address", "btc"], capsys=capsys)
    assert out.strip() != BIP84_FIRST  # the passphrase makes another wallet


def test_bad_phrase_is_refused_without_echoing_it(capsys, termwallet_home: Path):
    words = ABANDON.split()
    words[2] = "zebraa"
    rc, out, err = run(["init", "--restore"], " ".join(words) + f"\n{PASSWORD}\n", capsys)
    assert rc == 2 and "word 3" in err
    assert "zebraa" not in out + err
    assert not (termwallet_home / "data" / "keystore.json").exists()


def test_secrets_are_not_accepted_as_arguments(capsys):
    for flag in ("--mnemonic", "--password", "--passphrase"):
        with pytest.raises(SystemExit) as info:
            main(["init", "--restore", flag, ABANDON])
        assert info.value.code == 2
        out, err = capsys.readouterr()
        assert "never taken from arguments" in err
        assert "abandon" not in out + err


def test_create_shows_the_new_phrase_once(capsys, termwallet_home: Path):
    rc, out, err = run(["init", "--words", "12"], f"{PASSWORD}\n", capsys)
    assert rc == 0
    phrase = err.strip().splitlines()[-1]
    assert len(phrase.split()) == 12 and phrase not in out
    from wallet.keystore import Keystore

    assert Keystore(termwallet_home / "data" / "keystore.json").unlock(PASSWORD).mnemonic == phrase
    for f in termwallet_home.rglob("*"):
        if f.is_file():
            assert phrase.encode() not in f.read_bytes()


def test_real_process_with_piped_stdin(termwallet_home: Path):
    env = {**os.environ, "TERMWALLET_HOME": str(termwallet_home)}
    cwd = Path(__file__).resolve().parents[2]
    p = subprocess.run(
        [sys.executable, "-m", "tui", "init", "--restore"],
        input=f"{ABANDON}\n{PASSWORD}\n", capture_output=True, text=True, env=env, cwd=cwd,
        timeout=120,
    )  # fmt: skip
    assert p.returncode == 0, p.stderr
    p = subprocess.run(
        [sys.executable, "-m", "tui", "address", "btc", "--json"],
        capture_output=True, text=True, env=env, cwd=cwd, timeout=120,
    )  # fmt: skip
    assert json.loads(p.stdout)["address"] == BIP84_FIRST
