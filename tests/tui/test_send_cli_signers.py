"""How `termwallet send` gets its signer: the keystore through the same lockout as the app (a
script guessing passwords waits out the growing delay too), or a hardware wallet (--device)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.devnet import Devnet
from tui.cli import main
from wallet.accounts import AccountBook
from wallet.keystore import KdfParams, Keystore
from wallet.lockout import Lockout
from wallet.paths import Paths
from wallet.store import Store

PHRASE = "legal winner thank year wave sausage worth useful legal winner thank yellow"
ADDRESS = "0x58A57ed9d8d624cBD12e2C467D34787555bB1b25"  # PHRASE at m/44'/60'/0'/0/0


def _wallet_on(devnet: Devnet) -> Paths:
    """A restored wallet whose account 0 has 1 ETH on the devnet."""
    paths = Paths.default().ensure()
    paths.config_file.write_text(
        f'network = "devnet"\nutxo_networks = []\nrpc_urls = {{ devnet = ["{devnet.rpc_url}"] }}\n'
    )
    devnet.rpc("anvil_setBalance", [ADDRESS, hex(10**18)])
    # The keystore is created with cheap KDF parameters, passed explicitly (test-only); the CLI
    # then unlocks it as it would any keystore (the parameters are stored in the file).
    ks = Keystore(paths.data_dir / "keystore.json", kdf=KdfParams.cheap_for_tests())
    unlocked = ks.create(PHRASE, "the right password")
    store = Store(paths.database)
    book = AccountBook(store)
    book.add_default_accounts(unlocked.signer(), book.software_wallet())
    unlocked.lock()
    store.close()
    return paths


@pytest.mark.devnet
def test_wrong_passwords_on_the_cli_lock_out(
    termwallet_home: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    devnet_snapshot: Devnet,
) -> None:
    paths = _wallet_on(devnet_snapshot)
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("not the password\n")
    for _ in range(3):
        code = main(
            ["send", "devnet", "0x" + "11" * 20, "0.001", "--yes", "--password-file", str(wrong)]
        )
        assert code == 2
    err = capsys.readouterr().err
    assert "wrong password" in err.lower() or "password" in err.lower()
    store = Store(paths.database)
    assert Lockout(store).failures == 3
    assert Lockout(store).check() > 0
    # The fourth try is refused without running the KDF, and says how long to wait.
    code = main(
        ["send", "devnet", "0x" + "11" * 20, "0.001", "--yes", "--password-file", str(wrong)]
    )
    assert code == 2
    assert "try again in" in capsys.readouterr().err


@pytest.mark.devnet
def test_send_on_a_missing_device_says_so_and_signs_nothing(
    termwallet_home: Path,
    capsys: pytest.CaptureFixture[str],
    devnet_snapshot: Devnet,
) -> None:
    _wallet_on(devnet_snapshot)
    nonce = devnet_snapshot.rpc("eth_getTransactionCount", [ADDRESS, "latest"])
    code = main(["send", "devnet", "0x" + "11" * 20, "0.001", "--yes", "--device", "trezor"])
    assert code == 2
    err = capsys.readouterr().err
    assert "trezor" in err.lower()
    assert devnet_snapshot.rpc("eth_getTransactionCount", [ADDRESS, "latest"]) == nonce
