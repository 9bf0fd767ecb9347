"""Whatever goes wrong in a command, the user reads one `termwallet` line and gets a non-zero
status: never a traceback. Every subcommand is run with broken inputs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.devnet import Devnet
from tests.wallet.test_pending_crash import home  # noqa: F401 (fixture)
from tui.cli import COMMANDS, main

# Right length and checksum, but its key bytes (02 ff..ff) are not a point on the curve: once
# a 57-line traceback from bip_utils.
OFF_CURVE_XPUB = (
    "xpub6CUGRUonZSQ4TWtTMmzXdrXDtypWKiKrhko4egpiMZbpiaQL2jkwSB1icq4BS9wWcq7Xb5bfUrCMgeNcavotK"
    "DWLUTsNfytodNBpPzto9oa"
)
TO = "0x00000000000000000000000000000000C0FFEE01"
MISSING = "/nonexistent/termwallet-test/file"

BROKEN = [
    ["accounts", "--json", "--bogus"],
    ["address", "btc", "--account", "-3"],
    ["address", "btc", "--index", "-1"],
    ["address", "eth", "--device", "nope:1"],
    ["address", "mars"],
    ["agent", "--chains", "mars"],
    ["agent", "--accounts", "-1"],
    ["agent", "--password-file", MISSING],
    ["balance", "--network", "nope"],
    ["devices", "--json", "extra"],
    ["history", "--since", "2020-13-45"],
    ["history", "--until", "yesterday"],
    ["history", "--limit", "many"],
    ["history", "--network", "nope", "--sync"],
    ["init", "--restore", "--mnemonic-file", MISSING, "--password-file", MISSING],
    ["init", "--words", "13"],
    ["message", "sign", "btc", "--message-file", MISSING],
    ["message", "sign", "btc", "--type", "p2tr", "--format", "legacy", "--message", "x"],
    ["message", "sign", "eth", "--format", "legacy", "--message", "x"],
    ["message", "verify", "btc", "bc1qnotanaddress", "AAAA", "--message", "x"],
    ["message", "verify", "eth", TO, "0x1234", "--message", "x"],
    ["screenshots", "--lang", "fr"],
    ["send", "devnet", TO, "1e5", "--dry-run"],
    ["send", "devnet", TO, "-1", "--dry-run"],
    ["send", "devnet", TO, "abc", "--dry-run"],
    ["send", "devnet", TO, "1.2.3", "--dry-run"],
    ["send", "devnet", TO, "0", "--dry-run"],
    ["send", "devnet", TO, "1" + "0" * 90, "--dry-run"],
    ["send", "devnet", TO, "0.0000000000000000001", "--dry-run"],
    ["send", "devnet", "nothex", "1", "--dry-run"],
    ["send", "devnet", TO, "1", "--asset", "NOPE", "--dry-run"],
    ["send", "devnet", TO, "1", "--password-file", MISSING, "--yes"],
    ["send", "mars", TO, "1"],
    ["bump"],
    ["bump", "nothex"],
    ["bump", "ab" * 32, "--fee-rate", "-1"],
    ["bump", "ab" * 32, "--dry-run"],
    ["cpfp", "nothex"],
    ["cpfp", "ab" * 32, "--dry-run"],
    ["coins", "mars"],
    ["coins", "--freeze", "nothex:0"],
    ["coins", "--unfreeze", "ab:x"],
    ["labels"],
    ["labels", "import", MISSING],
    ["labels", "export", "/proc/no/such/dir/labels.jsonl"],
    ["psbt"],
    ["psbt", "sign", "ltc-regtest", MISSING, "--out", MISSING],
    ["psbt", "broadcast", "ltc-regtest", MISSING],
    ["psbt", "create", "ltc-regtest", TO, "1", "--out", MISSING],
    ["psbt", "qr", MISSING],
    ["servers", "accept-cert"],
    ["servers", "accept-cert", "ssl://127.0.0.1:9"],
    ["servers", "accept-cert", "ssl://127.0.0.1:9", "not-a-fingerprint"],
    ["servers", "forget-cert", "ssl://127.0.0.1:9"],
    ["servers", "nope"],
    ["ssh"],
    ["ssh", "--accounts", "x", "somehost"],
    ["swap", "ETH", "DUSD", "abc", "--dry-run"],
    ["swap", "ETH", "DUSD", "-1", "--dry-run"],
    ["swap", "ETH", "NOPE", "1", "--dry-run"],
    ["swap", "ETH", "DUSD", "1", "--slippage", "lots", "--dry-run"],
    ["swap", "ETH", "DUSD", "1", "--network", "nope"],
    ["ticket", "show", "NOPE"],
    ["ticket", "new", "--category", "other", "--subject", "x", "--description-file", MISSING],
    ["ticket", "new", "--category", "nope", "--subject", "x", "--description-file", MISSING],
    ["totp", "enable", "--password-file", MISSING],
    ["totp", "disable", "--totp-file", MISSING],
    ["wallets", "use", "999"],
    ["wallets", "use", "abc"],
    ["wallets", "rename", "999", "x"],
    ["wallets", "bogus"],
    ["watch", "add", "btc", OFF_CURVE_XPUB, "--type", "p2wpkh"],
    ["watch", "add", "btc", OFF_CURVE_XPUB, "--type", "p2tr"],
    ["watch", "add", "btc-testnet", OFF_CURVE_XPUB, "--type", "p2wpkh"],
    ["watch", "add", "btc", "xpub" + "1" * 107],
    ["watch", "add", "eth", "0xZZ"],
    ["watch", "add", "btc", "bc1qnotanaddress"],
    ["watch", "add", "mars", "x"],
]


def _refused(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse: a usage line and a `termwallet CMD: error:` line
        code = exc.code if isinstance(exc.code, int) else 2
    out, err = capsys.readouterr()
    if "--json" in argv:
        # A script asked for JSON: the error is one JSON object on stdout, stderr is quiet.
        import json

        assert err == "", err
        message = json.loads(out)["error"]["message"]
        assert "\n" not in message.strip()
        return code, f"termwallet: {message}"
    return code, err


def test_every_command_is_among_the_broken_inputs() -> None:
    assert {argv[0] for argv in BROKEN} == set(COMMANDS) - {"demo"}  # demo: test_no_terminal


@pytest.mark.devnet
@pytest.mark.parametrize("argv", BROKEN, ids=lambda a: " ".join(a)[:60])
def test_broken_inputs_get_one_line_never_a_traceback(
    argv: list[str],
    home: Path,  # noqa: F811
    devnet_snapshot: Devnet,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, err = _refused(argv, capsys)
    assert code != 0, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert lines and lines[-1].startswith("termwallet"), err
    if ": error: " not in lines[-1]:  # argparse's own is a usage line, then its error
        assert len(lines) == 1, err


@pytest.mark.parametrize("command", sorted(set(COMMANDS) - {"demo", "screenshots"}))
def test_a_corrupt_database_is_named_by_class_and_log_never_a_traceback(
    command: str, termwallet_home: Path
) -> None:
    """An error nobody expected (here: the store is not a SQLite file): one line with its
    class and the log file, which holds the traceback; never the exception's own text."""
    data = termwallet_home / "data"
    data.mkdir(parents=True)
    (data / "termwallet.sqlite3").write_bytes(b"garbage, not a database" * 100)
    args = {
        "address": ["eth"],
        "agent": ["--software"],  # without it the agent reads no store and serves on
        "send": ["devnet", TO, "1", "--dry-run"],
        "swap": ["ETH", "DUSD", "1", "--dry-run"],
        "ticket": ["list", "--offline"],
        "totp": ["status"],
        "watch": ["add", "eth", TO],
        "init": ["--restore", "--mnemonic-file", MISSING],
        "message": ["sign", "btc", "--message", "x"],
        "bump": ["ab" * 32, "--dry-run"],
        "labels": ["export", "labels.jsonl"],
        "cpfp": ["ab" * 32, "--dry-run"],
        "psbt": [
            "create",
            "ltc-regtest",
            "rltc1qkvd9xs9xd584jhznfg24f4eufppnscfetjrxyw",
            "1",
            "--out",
            "unsigned.psbt",
        ],
    }.get(command, [])
    done = subprocess.run(
        [sys.executable, "-m", "tui", command, *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        env=os.environ.copy(),
    )
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    if done.returncode == 0:
        return  # this command does not read the store (devices, history's empty list, ...)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("termwallet: "), done.stderr
    if "DatabaseError" in lines[0]:
        assert "file is not a database" not in lines[0]
        log = termwallet_home / "logs" / "termwallet.log"
        assert str(log) in lines[0]
        assert "sqlite3.DatabaseError" in log.read_text()


def test_the_famous_traceback_is_one_line_now(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tui", "watch", "add", "btc", OFF_CURVE_XPUB, "--type", "p2wpkh"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert done.stderr.strip().splitlines() == [
        "termwallet: not a valid extended public key (its key is not on the curve)"
    ]
