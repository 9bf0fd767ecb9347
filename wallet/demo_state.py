"""The demo's world, prepared once: what deploy_demo builds on a fresh anvil (tokens, Uniswap,
pools, the demo account's funds), saved as anvil's own state dump the first time the demo
runs, and loaded into anvil on later runs instead of deploying it again (about 0.2 s of
transactions and a web3 client that the first frame would wait for).

Honest about what it is: the dump is made by this project's code (deploy_demo on a fresh
anvil, wallet/demo.py) on the user's machine, never shipped. It is used only when it was made
by the same code and the same anvil: its name is a fingerprint of the deploying sources, the
contract artifacts, the anvil binary and the demo account. After loading, the chain is
checked against the saved deployment (block number, code at every contract, the demo
account's ether) and anything off means a fresh deployment instead. Deleting the folder is
always safe. tests/wallet/test_demo_state.py checks that a loaded dump answers as the fresh
deployment it was made from does.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

SUBDIR = "demo-devnet"
_SOURCES = ("chains/devnet/deploy.py", "chains/devnet/anvil.py", "wallet/demo.py")


def fingerprint() -> str:
    """What the dump depends on: the code that deploys, the contracts, the anvil binary (path,
    size, modification time) and the demo account (in wallet/demo.py)."""
    from chains.devnet.artifacts import NPM_ARTIFACTS, OWN_ARTIFACTS, anvil_path, artifact_path

    root = Path(__file__).resolve().parent.parent
    h = hashlib.sha256(b"termwallet demo state v1\n")
    for rel in _SOURCES:
        h.update(rel.encode() + b"\n" + (root / rel).read_bytes())
    for name in sorted({*NPM_ARTIFACTS, *OWN_ARTIFACTS}):
        h.update(name.encode() + b"\n" + artifact_path(name).read_bytes())
    anvil = anvil_path()
    st = anvil.stat()
    h.update(f"{anvil.resolve()}\n{st.st_size}\n{st.st_mtime_ns}".encode())
    return h.hexdigest()[:32]


def _file(folder: Path) -> Path:
    return folder / SUBDIR / f"{fingerprint()}.json"


def save(anvil: Any, folder: Path, deployment: Any, address: str) -> Path | None:
    """Dump the freshly deployed chain next to its deployment. Best effort: a cache folder
    that cannot be written only means the next run deploys again."""
    (state,) = rpc(anvil.rpc_url, [("anvil_dumpState", [])])
    record = {
        "address": address,
        "deployment": deployment.model_dump(mode="json"),
        "state_sha256": hashlib.sha256(state.encode()).hexdigest(),
        "state": state,
    }
    try:
        path = _file(folder)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        for old in path.parent.glob("*.json"):  # dumps of older code or another anvil
            if old != path:
                old.unlink(missing_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "w") as fh:
            json.dump(record, fh)
        os.replace(tmp, path)
    except OSError:
        return None
    return path


def restore(anvil: Any, folder: Path) -> tuple[Any, str] | None:
    """Load the prepared world into `anvil` (just started, empty) and check it. None when there
    is none for this code and anvil, or its file is damaged (anvil is still empty then); raises
    StaleDemoState, after deleting the file, when the loaded chain does not check out (anvil
    then holds it: the caller starts a fresh one)."""
    from chains.devnet.deploy import DevnetDeployment

    path = _file(folder)
    try:
        record = json.loads(path.read_text())
        state = record["state"]
        if hashlib.sha256(state.encode()).hexdigest() != record["state_sha256"]:
            raise ValueError("state does not match its checksum")
        deployment = DevnetDeployment.model_validate(
            {**record["deployment"], "rpc_url": anvil.rpc_url}
        )
        address = str(record["address"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        path.unlink(missing_ok=True)
        return None
    rpc(anvil.rpc_url, [("anvil_loadState", [state])])
    problems = check(anvil.rpc_url, deployment, address)
    if problems:
        path.unlink(missing_ok=True)
        raise StaleDemoState("; ".join(problems))
    # anvil's timestamp step restarts from genesis after a load: the next block follows the
    # last loaded one by the step, as it does after a fresh deployment.
    from chains.devnet.anvil import BLOCK_TIME_STEP

    (latest,) = rpc(anvil.rpc_url, [("eth_getBlockByNumber", ["latest", False])])
    rpc(
        anvil.rpc_url,
        [("evm_setNextBlockTimestamp", [int(latest["timestamp"], 16) + BLOCK_TIME_STEP])],
    )
    return deployment, address


class StaleDemoState(Exception):
    """The prepared world loaded, but the chain does not answer as the deployment says."""


def check(rpc_url: str, deployment: Any, address: str) -> list[str]:
    """What differs between the chain and the deployment record; [] when it all matches."""
    contracts = {
        "WETH": deployment.weth,
        "factory": deployment.factory,
        "router": deployment.router,
        **{t.symbol: t.address for t in deployment.tokens},
        **{p.name: p.address for p in deployment.pairs},
    }
    block, ether, *codes = rpc(
        rpc_url,
        [
            ("eth_blockNumber", []),
            ("eth_getBalance", [address, "latest"]),
            *(("eth_getCode", [where, "latest"]) for where in contracts.values()),
        ],
    )
    problems = []
    if int(block, 16) != deployment.block_number:
        problems.append(f"block {int(block, 16)}, expected {deployment.block_number}")
    if int(ether, 16) != deployment.demo_native_wei:
        problems.append(
            f"demo account holds {int(ether, 16)} wei, not {deployment.demo_native_wei}"
        )
    for (name, where), code in zip(contracts.items(), codes, strict=True):
        if code in ("0x", "", None):
            problems.append(f"no code at {name} {where}")
    return problems


def rpc(url: str, calls: list[tuple[str, list[Any]]], timeout: float = 10.0) -> list[Any]:
    """One JSON-RPC batch to the loopback devnet. The standard library's client: httpx would
    build a TLS context (about 20 ms) for a plain-HTTP call to 127.0.0.1. No proxy, ever."""
    import urllib.request

    if not url.startswith("http://127.0.0.1:"):  # the devnet's loopback URL (chains/devnet)
        raise ValueError(f"not the local devnet: {url}")
    body = json.dumps(
        [{"jsonrpc": "2.0", "id": i, "method": m, "params": p} for i, (m, p) in enumerate(calls)]
    ).encode()
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})  # noqa: S310
    with opener.open(request, timeout=timeout) as reply:
        answers = {a["id"]: a for a in json.loads(reply.read())}
    out = []
    for i, (method, _) in enumerate(calls):
        answer = answers.get(i, {})
        if "result" not in answer:
            raise StaleDemoState(f"{method}: {answer.get('error', 'no answer')}")
        out.append(answer["result"])
    return out
