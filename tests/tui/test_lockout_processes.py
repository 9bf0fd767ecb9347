"""The unlock lockout across processes: twelve wrong-password CLI runs started at once, on the
real keystore (Argon2id at its real cost), run the KDF only as often as the lockout allows,
and lose no failure."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from wallet.keystore import Keystore
from wallet.lockout import FREE_ATTEMPTS, Lockout
from wallet.paths import Paths
from wallet.store import Store

PHRASE = "legal winner thank year wave sausage worth useful legal winner thank yellow"
RUNS = 12


def test_simultaneous_wrong_passwords_run_the_kdf_at_most_as_often_as_allowed(
    termwallet_home: Path, tmp_path: Path
) -> None:
    paths = Paths.default().ensure()
    Keystore(paths.data_dir / "keystore.json").create(PHRASE, "the right password")
    Store(paths.database).close()  # the schema, before the runs race to create it
    wrong = tmp_path / "wrong"
    wrong.write_text("a wrong password\n")
    cmd = [
        sys.executable,
        "-c",
        "import sys; from tui.cli import main; sys.exit(main())",
        "totp",
        "enable",
        "--password-file",
        str(wrong),
    ]
    env = dict(os.environ, TERMWALLET_LANGUAGE="en")
    procs = [
        subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        for _ in range(RUNS)
    ]
    errors = [p.communicate(timeout=300)[1] for p in procs]
    assert [p.returncode for p in procs] == [2] * RUNS
    # Each "wrong password" is one KDF run; the rest were refused before it.
    kdf_runs = sum("wrong password" in e for e in errors)
    refused = sum("too many wrong attempts" in e for e in errors)
    assert (kdf_runs, refused) == (FREE_ATTEMPTS, RUNS - FREE_ATTEMPTS), errors
    store = Store(paths.database)
    assert Lockout(store).failures == FREE_ATTEMPTS  # every counted attempt is there
    store.close()
