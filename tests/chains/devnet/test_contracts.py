"""The committed DemoToken artifact matches its source, and the Uniswap artifacts agree with
each other on the pair init code hash. No anvil needed."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from chains.devnet.artifacts import CONTRACTS_DIR, load_artifact
from chains.devnet.deploy import init_code_hash

REPO = Path(__file__).resolve().parents[3]
# UniswapV2Library.pairFor's hard-coded init code hash, as published in Uniswap's docs.
PUBLISHED_INIT_CODE_HASH = "0x96e8ac4277198ff8b6f785478aa9a39f403cb768dd02cbee326c3e7da348845f"


def test_committed_demo_token_artifact_matches_a_fresh_solcjs_build() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not on PATH, so solcjs cannot recompile DemoToken.sol here")
    if not (REPO / "node_modules" / "solc").is_dir():
        pytest.fail("npm solc is not installed: run `npm ci` in the repository")
    fresh = json.loads(
        subprocess.run(
            [node, str(CONTRACTS_DIR / "build.js"), "--stdout"],
            cwd=REPO,
            capture_output=True,
            check=True,
            text=True,
            timeout=120,
        ).stdout
    )
    committed = json.loads((CONTRACTS_DIR / "DemoToken.json").read_text())
    assert fresh["compiler"] == committed["compiler"]
    assert fresh["abi"] == committed["abi"]
    assert fresh["bytecode"] == committed["bytecode"], (
        "DemoToken.json is stale: run `npm run build:contracts` and commit the result"
    )


def test_pair_init_code_hash_is_the_one_router02_was_built_with() -> None:
    computed = init_code_hash()
    router_code = load_artifact("UniswapV2Router02").bytecode.lower()
    assert computed == PUBLISHED_INIT_CODE_HASH
    # The router's pairFor embeds the hash as a PUSH32 constant.
    assert computed[2:] in router_code


def test_demo_token_constructor_takes_name_symbol_decimals_supply() -> None:
    ctor = next(i for i in load_artifact("DemoToken").abi if i["type"] == "constructor")
    assert [i["type"] for i in ctor["inputs"]] == ["string", "string", "uint8", "uint256"]


def test_committed_test_contract_artifacts_match_a_fresh_solcjs_build() -> None:
    """tests/fixtures/contracts (UsdtLikeToken, LocalExchangeProxy) are compiled, not hand-made
    bytecode: the committed JSON is what the pinned npm solc makes of the .sol beside it."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not on PATH, so solcjs cannot recompile the test contracts here")
    if not (REPO / "node_modules" / "solc").is_dir():
        pytest.fail("npm solc is not installed: run `npm ci` in the repository")
    here = REPO / "tests" / "fixtures" / "contracts"
    fresh = json.loads(
        subprocess.run(
            [node, str(here / "build.js"), "--stdout"],
            cwd=REPO, capture_output=True, check=True, text=True, timeout=120,
        ).stdout
    )  # fmt: skip
    assert set(fresh) == {"UsdtLikeToken", "LocalExchangeProxy"}
    for name, built in fresh.items():
        committed = json.loads((here / f"{name}.json").read_text())
        assert built == committed, f"{name}.json is stale: run node {here / 'build.js'}"
