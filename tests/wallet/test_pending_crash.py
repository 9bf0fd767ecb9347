"""kill -9 at every step of a send, then start again: the app reconciles and the chain shows
exactly one transfer, the right nonce, and no transaction lost.

The send runs as the real CLI (`python -m tui send ...`) in a subprocess that wallet/send.py
SIGKILLs at the step TERMWALLET_TEST_KILL_AT names; a fresh `python -m tui balance` is the
next start, which reconciles. The chain is the shared anvil devnet, reverted afterwards.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.devnet import DEMO_MNEMONIC, Devnet
from wallet.send import KILL_AT_ENV

pytestmark = pytest.mark.devnet
ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"
AMOUNT_WEI = 250_000_000_000_000_000  # 0.25 ETH


@pytest.fixture
def home(termwallet_home: Path, devnet_snapshot: Devnet) -> Path:
    """A user wallet restored from the demo mnemonic, with the devnet as its network."""
    from wallet.accounts import AccountBook
    from wallet.keystore import KdfParams, Keystore
    from wallet.paths import Paths
    from wallet.store import Store

    paths = Paths.default().ensure()
    # Cheap KDF for the test; the CLI's first unlock upgrades the file to the real parameters.
    unlocked = Keystore(paths.data_dir / "keystore.json", kdf=KdfParams.cheap_for_tests()).create(
        DEMO_MNEMONIC, PASSWORD, ""
    )
    signer = unlocked.signer()
    store = Store(paths.database)
    book = AccountBook(store)
    book.add_default_accounts(signer, book.software_wallet())
    signer.close()
    unlocked.lock()
    store.close()
    paths.config_file.write_text(
        f'network = "devnet"\nutxo_networks = []\n'
        f'[rpc_urls]\ndevnet = ["{devnet_snapshot.rpc_url}"]\n',
        "utf-8",
    )
    (termwallet_home / "pw").write_text(PASSWORD, "utf-8")
    return termwallet_home


def _cli(home: Path, *args: str, kill_at: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != KILL_AT_ENV}
    env["TERMWALLET_HOME"] = str(home)
    if kill_at is not None:
        env[KILL_AT_ENV] = kill_at
    return subprocess.run(
        [sys.executable, "-m", "tui", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _send(home: Path, to: str, kill_at: str | None = None) -> subprocess.CompletedProcess[str]:
    """Waits for the receipt unless it is to be killed (the kill comes before the wait)."""
    return _cli(
        home,
        "send",
        "devnet",
        to,
        "0.25",
        "--yes",
        "--password-file",
        str(home / "pw"),
        kill_at=kill_at,
    )


def _outbox(home: Path) -> list[tuple[int, str]]:
    import sqlite3

    from wallet.paths import Paths

    db = sqlite3.connect(Paths.default().database)
    try:
        return [(int(n), str(s)) for n, s in db.execute("SELECT nonce, state FROM outbox")]
    finally:
        db.close()


def _chain(devnet: Devnet, to: str) -> tuple[int, int]:
    """(recipient balance in wei, the demo account's mined nonce)."""
    bal = int(devnet.rpc("eth_getBalance", [to, "latest"]), 16)
    nonce = int(devnet.rpc("eth_getTransactionCount", [devnet.demo_address, "latest"]), 16)
    return bal, nonce


def _recipient(n: int) -> str:
    from eth_utils import to_checksum_address

    return to_checksum_address(f"0x{0xDEAD0000 + n:040x}")


def _killed(proc: subprocess.CompletedProcess[str]) -> None:
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]


@pytest.mark.parametrize("step", ["stored", "broadcast", "marked"])
def test_killed_after_storing_lands_exactly_once(
    home: Path, devnet_snapshot: Devnet, step: str
) -> None:
    to = _recipient({"stored": 1, "broadcast": 2, "marked": 3}[step])
    _killed(_send(home, to, kill_at=step))
    assert _outbox(home) == [(0, "signed" if step != "marked" else "broadcast")]
    # "stored": the node never saw it; the others: anvil mined it at once (automine).
    assert _chain(devnet_snapshot, to) == ((0, 0) if step == "stored" else (AMOUNT_WEI, 1))

    start = _cli(home, "balance", "--json")
    assert start.returncode == 0, start.stderr
    assert json.loads(start.stdout)["stale"] is False
    assert _outbox(home) == [(0, "mined")]
    assert _chain(devnet_snapshot, to) == (AMOUNT_WEI, 1)

    # Starting again changes nothing, and the next payment takes the next nonce.
    assert _cli(home, "balance", "--json").returncode == 0
    assert _chain(devnet_snapshot, to) == (AMOUNT_WEI, 1)
    again = _send(home, to)
    assert again.returncode == 0, again.stderr
    assert _chain(devnet_snapshot, to) == (2 * AMOUNT_WEI, 2)
    assert sorted(_outbox(home)) == [(0, "mined"), (1, "mined")]


def test_killed_before_storing_sends_nothing_and_frees_the_nonce(
    home: Path, devnet_snapshot: Devnet
) -> None:
    to = _recipient(4)
    _killed(_send(home, to, kill_at="signed"))
    assert _outbox(home) == []
    assert _chain(devnet_snapshot, to) == (0, 0)
    assert _cli(home, "balance", "--json").returncode == 0
    assert _chain(devnet_snapshot, to) == (0, 0)  # nothing to re-send: it was never stored
    again = _send(home, to)
    assert again.returncode == 0, again.stderr
    assert _chain(devnet_snapshot, to) == (AMOUNT_WEI, 1)
    assert _outbox(home) == [(0, "mined")]


def test_a_node_that_forgot_the_pending_transaction_gets_it_again(
    home: Path, devnet_snapshot: Devnet
) -> None:
    """Killed after the broadcast while the transaction waits in the pool, then the node drops
    its pool (a restart): the next start re-broadcasts the stored bytes, once."""
    to = _recipient(5)
    devnet_snapshot.rpc("evm_setAutomine", [False])
    try:
        _killed(_send(home, to, kill_at="marked"))
        assert _outbox(home) == [(0, "broadcast")]
        devnet_snapshot.rpc("anvil_dropAllTransactions")
        devnet_snapshot.rpc("evm_mine")
        assert _chain(devnet_snapshot, to) == (0, 0)  # gone from the node
        start = _cli(home, "balance", "--json")
        assert start.returncode == 0, start.stderr
        assert json.loads(start.stdout)["settled"]["rebroadcast"]
        devnet_snapshot.rpc("evm_mine")
        devnet_snapshot.rpc("evm_mine")
        assert _cli(home, "balance", "--json").returncode == 0
        assert _outbox(home) == [(0, "mined")]
        assert _chain(devnet_snapshot, to) == (AMOUNT_WEI, 1)
    finally:
        devnet_snapshot.rpc("evm_setAutomine", [True])
