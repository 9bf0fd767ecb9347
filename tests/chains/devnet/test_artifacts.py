"""Finding anvil and the contract artifacts, and what the user is told when they are missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from chains.devnet import artifacts
from chains.devnet.anvil import Anvil
from chains.devnet.artifacts import ENV_NODE_MODULES, anvil_path, load_artifact
from chains.devnet.errors import DevnetMissing
from chains.errors import ChainError

REPO = Path(__file__).resolve().parents[3]


def test_missing_anvil_says_to_run_npm_ci(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "node_modules"
    empty.mkdir()
    monkeypatch.setenv(ENV_NODE_MODULES, str(empty))
    with pytest.raises(DevnetMissing) as info:
        anvil_path()
    err = info.value
    assert isinstance(err, ChainError)
    assert err.code == "DEVNET_MISSING"
    text = str(err)
    assert "anvil" in text
    assert "`npm ci`" in text
    assert str(REPO) in text  # where to run it
    assert str(empty) in text  # where it looked


def test_missing_anvil_stops_start_before_anything_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_NODE_MODULES, str(tmp_path / "nowhere"))
    node = Anvil(tmp_path / "logs")
    with pytest.raises(DevnetMissing, match="npm ci"):
        node.start()
    assert node.pid is None
    assert not (tmp_path / "logs").exists()


def test_missing_uniswap_artifact_says_to_run_npm_ci(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_NODE_MODULES, str(tmp_path))
    with pytest.raises(DevnetMissing, match=r"UniswapV2Router02.*`npm ci`"):
        load_artifact("UniswapV2Router02")


def test_env_var_wins_over_the_walk_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "node_modules" / artifacts.ANVIL_RELATIVE
    fake.parent.mkdir(parents=True)
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    monkeypatch.setenv(ENV_NODE_MODULES, str(tmp_path / "node_modules"))
    assert anvil_path() == fake


def test_walk_up_finds_the_repository_node_modules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # From an unrelated working directory, the package's own location still finds it.
    monkeypatch.delenv(ENV_NODE_MODULES, raising=False)
    monkeypatch.chdir(tmp_path)
    assert anvil_path() == REPO / "node_modules" / artifacts.ANVIL_RELATIVE


@pytest.mark.parametrize("name", [*artifacts.NPM_ARTIFACTS, *artifacts.OWN_ARTIFACTS])
def test_artifacts_load_with_abi_and_hex_bytecode(name: str) -> None:
    art = load_artifact(name)
    assert art.bytecode.startswith("0x")
    bytes.fromhex(art.bytecode[2:])  # raises if not hex
    assert len(art.bytecode) > 100
    assert any(item.get("type") == "function" for item in art.abi)


def test_unknown_artifact_is_a_programming_error() -> None:
    with pytest.raises(KeyError):
        load_artifact("NoSuchContract")
