"""The demo's start imports, on one thread, the packages its threads then import: Python's
import locks deadlock (`_DeadlockError`) when one thread imports a submodule of a package whose
`__init__` imports its submodules (chains.devnet) while another thread imports that package.
Seen in about 1 demo start in 25 before the fix ("The demo could not start: ... _DeadlockError").
A deadlock itself depends on timing; this test checks the order that prevents it, in a fresh
interpreter (so nothing was imported before)."""

from __future__ import annotations

import json
import subprocess
import sys

CHECK = """
import asyncio, json, sys, tempfile
from pathlib import Path
import wallet.demo, wallet.demo_support, wallet.demo_utxo

seen = {}

def record(name):
    def start():
        seen[name] = [m for m in ("chains.devnet", "chains.devnet.electrum_server",
                                  "wallet.store") if m not in sys.modules]
        raise RuntimeError("stop here")
    return start

wallet.demo_support.start_demo_support = record("support")
wallet.demo_utxo.start_demo_electrum = record("electrum")
wallet.demo._open_demo = lambda *args: (_ for _ in ()).throw(RuntimeError("stop"))
try:
    asyncio.run(wallet.demo.open_demo(Path(tempfile.mkdtemp()), None))
except RuntimeError:
    pass
print(json.dumps(seen))
"""


def test_the_demo_imports_shared_packages_before_its_threads_start() -> None:
    done = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    # Both threads started, and neither found a shared package still to be imported.
    assert seen == {"support": [], "electrum": []}
