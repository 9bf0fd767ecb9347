"""The demo's anvil is spawned before the app's first frame (wallet/demo_devnet.py): without
the libraries the first frame must not wait for, and the session then waits for that very
process instead of starting another."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from wallet.demo_devnet import spawn_demo_devnet

CHECK = """
import json, sys, tempfile
from pathlib import Path
from wallet.demo_devnet import spawn_demo_devnet
anvil = spawn_demo_devnet(Path(tempfile.mkdtemp()))
heavy = [m for m in ("pydantic", "web3", "eth_abi", "eth_account", "bip_utils") if m in sys.modules]
print(json.dumps({"spawned": anvil is not None and anvil.running, "heavy": heavy}))
anvil.stop()
"""


def test_spawning_anvil_imports_nothing_heavy() -> None:
    done = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"spawned": True, "heavy": []}


def test_the_session_waits_for_the_spawned_process(tmp_path: Path) -> None:
    from wallet.demo import start_devnet

    spawned = spawn_demo_devnet(tmp_path)
    assert spawned is not None
    pid = spawned.pid
    anvil, deployment, _ = start_devnet(tmp_path, spawned=spawned)
    try:
        assert anvil is spawned and anvil.pid == pid  # no second anvil
        assert int(anvil.request("eth_chainId"), 16) == 31337
        assert anvil.request("eth_getCode", [deployment.weth, "latest"]) not in ("0x", None)
        assert deployment.rpc_url == anvil.rpc_url
    finally:
        anvil.stop()
    assert not spawned.running
