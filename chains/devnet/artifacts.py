"""Where the devnet's parts live on disk: the anvil binary and the compiled contracts.

anvil and Uniswap V2 come from npm (package.json at the repository root, installed with
`npm ci`); our DemoToken artifact is committed beside its source in contracts/. Nothing here
downloads anything: a missing part is a DevnetMissing that says which command installs it.
"""

from __future__ import annotations

import functools
import json
import os
import platform
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from chains.devnet.errors import DevnetMissing

if TYPE_CHECKING:
    from chains.devnet.artifact import Artifact

ENV_NODE_MODULES = "TERMWALLET_NODE_MODULES"
ANVIL_PACKAGE = "@foundry-rs/anvil-linux-amd64"
ANVIL_RELATIVE = f"{ANVIL_PACKAGE}/bin/anvil"
CONTRACTS_DIR = Path(__file__).resolve().parent / "contracts"

# Contract name -> file under node_modules. Router02 and its UniswapV2Library were compiled
# against exactly this Pair bytecode (the init code hash is baked into the router).
NPM_ARTIFACTS: dict[str, str] = {
    "WETH9": "@uniswap/v2-periphery/build/WETH9.json",
    "UniswapV2Factory": "@uniswap/v2-core/build/UniswapV2Factory.json",
    "UniswapV2Pair": "@uniswap/v2-core/build/UniswapV2Pair.json",
    "UniswapV2Router02": "@uniswap/v2-periphery/build/UniswapV2Router02.json",
}
# Contract name -> file committed in this package (rebuilt with `npm run build:contracts`).
OWN_ARTIFACTS: dict[str, str] = {"DemoToken": "DemoToken.json"}


def repo_root() -> Path | None:
    """The checkout that holds package.json (where `npm ci` must run), if this is one."""
    for d in Path(__file__).resolve().parents:
        if (d / "package.json").is_file() and (d / "chains").is_dir():
            return d
    return None


def _install_hint() -> str:
    root = repo_root()
    where = f"in {root}" if root else "in the termwallet checkout (the folder with package.json)"
    hint = f"Run `npm ci` {where}; it installs anvil and the Uniswap V2 contracts."
    if (platform.system(), platform.machine()) != ("Linux", "x86_64"):
        hint += f" Note: {ANVIL_PACKAGE} ships anvil for Linux x86-64 only."
    return hint


def candidate_node_modules() -> Iterator[Path]:
    """$TERMWALLET_NODE_MODULES if set (and then only it), else every node_modules found walking
    up from the current directory and from this package's own location."""
    explicit = os.environ.get(ENV_NODE_MODULES)
    if explicit:
        yield Path(explicit).expanduser()
        return
    seen: set[Path] = set()
    for base in (Path.cwd(), Path(__file__).resolve().parent):
        for d in (base, *base.parents):
            nm = d / "node_modules"
            if nm not in seen and nm.is_dir():
                seen.add(nm)
                yield nm


def find_in_node_modules(relative: str, what: str) -> Path:
    looked: list[str] = []
    for nm in candidate_node_modules():
        path = nm / relative
        if path.is_file():
            return path
        looked.append(str(nm))
    source = (
        f"${ENV_NODE_MODULES}={os.environ[ENV_NODE_MODULES]}"
        if os.environ.get(ENV_NODE_MODULES)
        else "node_modules folders above the current directory and above termwallet"
    )
    found = f" (looked in: {', '.join(looked)})" if looked else " (none found)"
    raise DevnetMissing(
        f"{what} is not installed: no {relative} in {source}{found}. {_install_hint()}",
        relative=relative,
    )


def anvil_path() -> Path:
    path = find_in_node_modules(ANVIL_RELATIVE, "anvil (the local Ethereum devnet)")
    if not os.access(path, os.X_OK):
        raise DevnetMissing(
            f"anvil at {path} is not executable. {_install_hint()}", relative=ANVIL_RELATIVE
        )
    return path


def artifact_path(name: str) -> Path:
    if name in OWN_ARTIFACTS:
        path = CONTRACTS_DIR / OWN_ARTIFACTS[name]
        if not path.is_file():
            raise DevnetMissing(
                f"The compiled {name} contract {path} is missing. "
                "Run `npm ci && npm run build:contracts` in the termwallet checkout.",
                relative=str(path),
            )
        return path
    if name in NPM_ARTIFACTS:
        return find_in_node_modules(NPM_ARTIFACTS[name], f"The compiled {name} contract")
    raise KeyError(f"unknown contract artifact {name!r}")


def load_artifact(name: str) -> Artifact:
    return _load(name, str(artifact_path(name)))


@functools.lru_cache(maxsize=16)
def _load(name: str, path: str) -> Artifact:
    from chains.devnet.artifact import Artifact  # pydantic: not on the demo's start-up path

    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return Artifact(name=name, abi=tuple(data["abi"]), bytecode=data["bytecode"])
