"""`termwallet message sign|verify`: the script contract, with the real keystore KDF. Signatures
are checked by eth-account (EVM) and by the BIP-vector-tested verifier (Bitcoin/Litecoin)."""

from __future__ import annotations

import json
from typing import Any

from eth_account import Account
from eth_account.messages import encode_defunct

from tests.fixtures.cli import run_cli

ABANDON = "abandon " * 11 + "about"
PASSWORD = "correct horse battery"
BIP84_FIRST = "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu"
BIP86_FIRST = "bc1p5cyxnuxmeuwuvkwfem96lqzszd02n6xdcjrs20cac6yqjjwudpxqkedrcr"
ETH_FIRST = "0x9858EfFD232B4033E47d90003D41EC34EcaEda94"


def run(args: list[str], capsys: Any, stdin: str = "") -> tuple[int, str, str]:
    return run_cli(args, capsys, stdin)


def test_sign_and_verify_every_format(capsys, tmp_path):
    rc, _, err = run(["init", "--restore"], capsys, f"{ABANDON}\n{PASSWORD}\n")
    assert rc == 0, err
    pw = tmp_path / "pw"
    pw.write_text(PASSWORD + "\n")
    base = ["--password-file", str(pw), "--json"]

    rc, out, err = run(["message", "sign", "btc", "--message", "I own this", *base], capsys)
    assert rc == 0, err
    got = json.loads(out)
    assert got["address"] == BIP84_FIRST and got["format"] == "bip322"
    assert got["path"] == "m/84'/0'/0'/0/0"
    rc, out, _ = run(
        ["message", "verify", "btc", BIP84_FIRST, got["signature"], "--message", "I own this"],
        capsys,
    )
    assert rc == 0 and "valid" in out
    rc, out, _ = run(
        ["message", "verify", "btc", BIP84_FIRST, got["signature"], "--message", "I own that"],
        capsys,
    )
    assert rc == 1 and "not valid" in out

    rc, out, err = run(
        ["message", "sign", "btc", "--type", "p2tr", "--message", "taproot", *base], capsys
    )
    assert rc == 0, err
    tap = json.loads(out)
    assert tap["address"] == BIP86_FIRST
    rc, out, _ = run(
        ["message", "verify", "btc", BIP86_FIRST, tap["signature"], "--message", "taproot",
         "--json"],
        capsys,
    )  # fmt: skip
    assert rc == 0 and json.loads(out) == {"valid": True, "format": "bip322"}

    rc, out, err = run(
        ["message", "sign", "ltc", "--format", "legacy", "--message", "hi", *base], capsys
    )
    assert rc == 0, err
    legacy = json.loads(out)
    assert legacy["format"] == "legacy" and legacy["address"].startswith("ltc1q")
    rc, out, _ = run(
        ["message", "verify", "ltc", legacy["address"], legacy["signature"], "--message", "hi"],
        capsys,
    )
    assert rc == 0

    rc, out, err = run(["message", "sign", "eth", "--message", "hello", *base], capsys)
    assert rc == 0, err
    evm = json.loads(out)
    assert evm["address"] == ETH_FIRST and evm["format"] == "eip191"
    signature = bytes.fromhex(evm["signature"][2:])
    assert Account.recover_message(encode_defunct(text="hello"), signature=signature) == ETH_FIRST
    rc, out, _ = run(
        ["message", "verify", "eth", ETH_FIRST, evm["signature"], "--message", "hello"], capsys
    )
    assert rc == 0

    # By address: found among the wallet's accounts (here the second receiving address).
    second = "bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g"
    rc, out, err = run(
        ["message", "sign", "btc", "--address", second, "--message", "m", *base], capsys
    )
    assert rc == 0, err
    found = json.loads(out)
    assert found["address"] == second and found["path"] == "m/84'/0'/0'/0/1"
    rc, out, err = run(
        ["message", "sign", "eth", "--address", ETH_FIRST.lower(), "--message", "m", *base],
        capsys,
    )
    assert rc == 0 and json.loads(out)["path"] == "m/44'/60'/0'/0/0", err
    rc, out, _ = run(["message", "sign", "btc", "--address", ADDR, "--message", "m", *base], capsys)
    # With --json a refusal is a JSON error object on stdout (issue 17: scripts read one).
    assert rc == 2 and "not one of this wallet's" in json.loads(out)["error"]["message"]
    # An address a sync recorded is found in the store, beyond the derivation search.
    rc, out, _ = run(["address", "btc", "--index", "500"], capsys)
    far = out.strip()
    from wallet.paths import Paths
    from wallet.store import Store

    store = Store(Paths.default().database)
    try:
        (acct,) = store.db.execute(
            "SELECT id FROM accounts WHERE network = 'btc' AND script = 'p2wpkh'"
        ).fetchone()
        store.db.execute(
            "INSERT INTO utxo_addresses(account_id, network, change, idx, address, used) "
            "VALUES(?, 'btc', 0, 500, ?, 1)",
            (acct, far),
        )
        store.db.commit()
    finally:
        store.close()
    rc, out, err = run(
        ["message", "sign", "btc", "--address", far, "--message", "m", *base], capsys
    )
    assert rc == 0 and json.loads(out)["path"] == "m/84'/0'/0'/0/500", err

    # Taproot has no legacy form: refused with what to do instead.
    rc, out, err = run(
        ["message", "sign", "btc", "--type", "p2tr", "--format", "legacy", "--message", "x",
         *base],
        capsys,
    )  # fmt: skip
    assert rc != 0 and "BIP322" in json.loads(out)["error"]["message"]
    assert PASSWORD not in out + err


def test_verify_needs_no_wallet_and_reads_a_file(capsys, tmp_path):
    """The BIP's own vector, checked with no wallet in the data folder."""
    message = tmp_path / "m.txt"
    message.write_text("Hello World")  # no newline: the file's bytes are the message
    sig = (
        "AkcwRAIgZRfIY3p7/DoVTty6YZbWS71bc5Vct9p9Fia83eRmw2QCICK/ENGfwLtptFluMGs2KsqoNSk89pO7F29z"
        "JLUx9a/sASECx/EgAxlkQpQ9hYjgGu6EBCPMVPwVIVJqO4XCsMvViHI="
    )
    addr = "bc1q9vza2e8x573nczrlzms0wvx3gsqjx7vavgkx0l"
    rc, out, err = run(
        ["message", "verify", "btc", addr, sig, "--message-file", str(message)], capsys
    )
    assert rc == 0 and "valid" in out, err


ADDR = "bc1q9vza2e8x573nczrlzms0wvx3gsqjx7vavgkx0l"


def test_bad_input_is_one_line(capsys):
    rc, _, err = run(
        ["message", "verify", "btc", "bc1qnotanaddress", "AAAA", "--message", "x"], capsys
    )
    assert rc == 2 and err.startswith("termwallet: ") and err.count("\n") == 1
    rc, _, err = run(["message", "verify", "eth", "0x12", "0x00", "--message", "x"], capsys)
    assert rc == 2 and "40 hex" in err
    rc, _, err = run(
        [
            "message",
            "verify",
            "btc",
            "bc1q9vza2e8x573nczrlzms0wvx3gsqjx7vavgkx0l",
            "%%%",
            "--message",
            "x",
        ],
        capsys,
    )
    assert rc == 2 and "base64" in err
    rc, _, err = run(
        ["message", "verify", "btc", "bc1q9vza2e8x573nczrlzms0wvx3gsqjx7vavgkx0l", "AAAA"], capsys
    )
    assert rc == 2 and "--message" in err
    rc, _, err = run(["message", "verify", "btc", ADDR, "A" * 100_000, "--message", "x"], capsys)
    assert rc == 2 and "too long" in err
