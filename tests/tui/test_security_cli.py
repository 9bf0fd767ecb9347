"""`termwallet totp` and `termwallet watch` through the real CLI: a keystore in TERMWALLET_HOME,
the SQLite store, pyotp codes, and sends on the devnet (anvil) that need the code.

The terminal is played by `_Terminal`: a stdin that answers each prompt in turn, where an
answer may depend on what was printed before it (a person reading the QR code's URI and typing
the app's code), which is how the secret reaches the test without being in argv or a file.
"""

from __future__ import annotations

import io
import json
import re
import time
from collections.abc import Callable
from pathlib import Path

import pyotp
import pytest

from tests.fixtures.devnet import Devnet
from tests.tui.test_send_cli_signers import ADDRESS, _wallet_on
from tui.cli import main
from wallet.lockout import Lockout
from wallet.paths import Paths
from wallet.store import Store

PASSWORD = "the right password"
TO = "0x" + "11" * 20
ZPUB = (  # BIP84 test vector: m/84'/0'/0' of "abandon ... about"
    "zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf"
    "31mGDtKsAYz2oz2AGutZYs"
)
ZPUB_FIRST = "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu"


class _Terminal(io.StringIO):
    """stdin for the CLI: one answer per readline, computed when it is asked for."""

    def __init__(self, *answers: str | Callable[[], str]) -> None:
        super().__init__()
        self._answers = list(answers)

    def isatty(self) -> bool:
        return False

    def readline(self, size: int = -1) -> str:
        if not self._answers:
            return ""
        a = self._answers.pop(0)
        return (a() if callable(a) else a) + "\n"


def _secret_of(shown: str) -> str:
    m = re.search(r"otpauth://totp/\S*secret=([A-Z2-7]+)", shown)
    assert m is not None, "the URI was not shown"
    return m.group(1)


def _enable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *flags: str
) -> tuple[str, list[str], str]:
    """Run `totp enable`, answering the code prompt from what the terminal showed. Returns
    the secret, the recovery codes and everything shown."""
    shown: list[str] = []

    def code_from_screen() -> str:
        out = capsys.readouterr()
        shown.append(out.out + out.err)
        # The step before now: accepted for clock skew, and it leaves the current and next
        # steps unused for the sends below.
        return pyotp.TOTP(_secret_of(shown[0])).at(time.time() - 30)

    monkeypatch.setattr("sys.stdin", _Terminal(PASSWORD, code_from_screen))
    assert main(["totp", "enable", *flags]) == 0
    out = capsys.readouterr()
    shown.append(out.out + out.err)
    text = "".join(shown)
    codes = re.findall(r"^\s+([a-z2-9]{5}-[a-z2-9]{5})$", text, re.M)
    return _secret_of(shown[0]), codes, text


def _nonce(devnet: Devnet) -> int:
    return int(devnet.rpc("eth_getTransactionCount", [ADDRESS, "latest"]), 16)


def _send(*extra: str) -> list[str]:
    return ["send", "devnet", TO, "0.001", "--yes", "--no-wait", *extra]


def _everything_on_disk(home: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(home.rglob("*")) if p.is_file())


@pytest.mark.devnet
def test_totp_for_sending_from_enable_to_disable(
    termwallet_home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    devnet_snapshot: Devnet,
) -> None:
    paths = _wallet_on(devnet_snapshot)
    assert main(["totp", "status", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"enabled": False, "for_sending": False}

    secret, codes, shown = _enable(monkeypatch, capsys, "--for-sending")
    assert "otpauth://totp/" in shown and "THIS IS THE SECRET" in shown
    assert "\u2580" in shown or "\u2584" in shown  # the QR code, drawn in half blocks
    assert len(codes) == 10 and len(set(codes)) == 10

    assert main(["totp", "status", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"enabled": True, "for_sending": True}
    # The secret is only inside the encrypted keystore: not in the store, its WAL, any log.
    assert secret.encode() not in _everything_on_disk(termwallet_home)
    assert b"otpauth" not in _everything_on_disk(termwallet_home)

    pw = tmp_path / "pw.txt"
    pw.write_text(PASSWORD + "\n")
    before = _nonce(devnet_snapshot)

    # No code: refused, and nothing signed.
    monkeypatch.setattr("sys.stdin", _Terminal())
    assert main(_send("--password-file", str(pw))) == 2
    assert "two-factor authentication is on for sending" in capsys.readouterr().err
    assert _nonce(devnet_snapshot) == before

    # A wrong code: refused, counted by the TOTP lockout (not the password's).
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("12345\n")  # never a valid 6-digit code
    assert main(_send("--password-file", str(pw), "--totp-file", str(wrong))) == 2
    assert "wrong or already used" in capsys.readouterr().err
    assert _nonce(devnet_snapshot) == before
    store = Store(paths.database)
    assert Lockout(store, "totp").failures == 1
    assert Lockout(store).failures == 0
    store.close()

    # The right code, on stdin after the password: sent.
    code = pyotp.TOTP(secret).at(time.time())
    monkeypatch.setattr("sys.stdin", _Terminal(PASSWORD, code))
    assert main(_send()) == 0, capsys.readouterr().err
    assert "sent: 0x" in capsys.readouterr().out
    assert _nonce(devnet_snapshot) == before + 1

    # The same code again: already used, refused.
    monkeypatch.setattr("sys.stdin", _Terminal(PASSWORD, code))
    assert main(_send()) == 2
    assert "wrong or already used" in capsys.readouterr().err
    assert _nonce(devnet_snapshot) == before + 1

    # Swap goes through the same check: refused without a code, swapped with the next one.
    dusd = devnet_snapshot.deployment.token("DUSD").address
    swap = ["swap", "ETH", dusd, "0.01", "--network", "devnet", "--yes", "--json"]
    monkeypatch.setattr("sys.stdin", _Terminal(PASSWORD))
    assert main(swap) == 2
    refusal = json.loads(capsys.readouterr().out)["error"]  # --json: the error as JSON
    assert "two-factor authentication is on for sending" in refusal["message"]
    assert _nonce(devnet_snapshot) == before + 1
    next_code = pyotp.TOTP(secret).at(time.time() + 30)  # the next step: one ahead is accepted
    monkeypatch.setattr("sys.stdin", _Terminal(PASSWORD, next_code))
    assert main(swap) == 0, capsys.readouterr().err
    assert '"state": "done"' in capsys.readouterr().out
    assert _nonce(devnet_snapshot) > before + 1
    before = _nonce(devnet_snapshot)

    # Off with a recovery code (a time code would need the clock to move on).
    rc = tmp_path / "rc.txt"
    rc.write_text(codes[0] + "\n")
    assert main(["totp", "disable", "--password-file", str(pw), "--totp-file", str(rc)]) == 0
    assert main(["totp", "status"]) == 0
    assert "off" in capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", _Terminal(PASSWORD))
    assert main(_send()) == 0
    assert _nonce(devnet_snapshot) == before + 1
    assert secret.encode() not in _everything_on_disk(termwallet_home)


def test_enable_refuses_a_wrong_code_and_secrets_in_argv(
    termwallet_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from wallet.accounts import AccountBook
    from wallet.keystore import KdfParams, Keystore

    paths = Paths.default().ensure()
    ks = Keystore(paths.data_dir / "keystore.json", kdf=KdfParams.cheap_for_tests())
    ks.create(
        "legal winner thank year wave sausage worth useful legal winner thank yellow", PASSWORD
    )
    store = Store(paths.database)
    AccountBook(store)  # migrations run
    store.close()

    monkeypatch.setattr("sys.stdin", _Terminal(PASSWORD, "12345"))
    assert main(["totp", "enable"]) == 2
    assert "not turned on" in capsys.readouterr().err
    assert main(["totp", "status", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["enabled"] is False

    with pytest.raises(SystemExit):
        main(["totp", "enable", "--secret", "JBSWY3DPEHPK3PXP"])
    err = capsys.readouterr().err
    assert "never taken from arguments" in err and "JBSWY3DPEHPK3PXP" not in err


def test_watch_add_then_accounts_lists_it(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["watch", "add", "btc", ZPUB, "--label", "Cold storage"]) == 0
    assert ZPUB_FIRST in capsys.readouterr().out
    eth = "0x58A57ed9d8d624cBD12e2C467D34787555bB1b25"
    assert main(["watch", "add", "eth", eth.lower()]) == 0
    capsys.readouterr()

    assert main(["accounts", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["address"], r["watch_only"], r["label"]) for r in rows] == [
        (ZPUB_FIRST, True, "Cold storage"),
        (eth, True, None),  # stored with its checksum
    ]
    assert main(["accounts"]) == 0
    listed = capsys.readouterr().out
    assert ZPUB_FIRST in listed and eth in listed and listed.count("watch-only") == 2

    # Refused: the same key again, a private key (never echoed), an address of another chain.
    assert main(["watch", "add", "btc", ZPUB]) == 2
    assert "already" in capsys.readouterr().err
    xprv = (  # BIP32 test vector 1, m
        "xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LnF5kejMRNNU"
        "3TGtRBeJgk33yuGBxrMPHi"
    )
    assert main(["watch", "add", "btc", xprv]) == 2
    err = capsys.readouterr().err
    assert "private key" in err and xprv not in err
    assert main(["watch", "add", "ltc", ZPUB_FIRST]) == 2
    assert "ltc1" in capsys.readouterr().err


def test_watch_add_refuses_mixed_case_bech32_as_send_does(
    capsys: pytest.CaptureFixture[str],
) -> None:
    mixed = "bc1qCR8te4kr609gcawutmrza0j4xv80jy8z306fyu"
    assert mixed.lower() == ZPUB_FIRST
    assert main(["watch", "add", "btc", mixed]) == 2
    assert "mixes upper and lower case" in capsys.readouterr().err
    assert main(["watch", "add", "btc", ZPUB_FIRST.upper()]) == 0  # all caps is valid (QR)
    assert ZPUB_FIRST in capsys.readouterr().out  # stored as everyone writes it
    assert main(["accounts", "--json"]) == 0
    assert [r["address"] for r in json.loads(capsys.readouterr().out)] == [ZPUB_FIRST]
