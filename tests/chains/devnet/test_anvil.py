"""anvil as a child process: comes up on loopback, is deterministic, and always goes away."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from chains.devnet.anvil import BLOCK_TIME_STEP, CHAIN_ID, GENESIS_TIMESTAMP, Anvil
from chains.devnet.errors import DevnetError, DevnetStartFailed

pytestmark = pytest.mark.devnet


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def _listen_addresses(port: int) -> set[str]:
    """Local addresses with a LISTEN socket on `port`, from the kernel's tables (Linux)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(table):
            continue
        with open(table) as f:
            next(f)
            for line in f:
                local, state = line.split()[1], line.split()[3]
                addr, hex_port = local.split(":")
                if state == "0A" and int(hex_port, 16) == port:
                    found.add(addr)
    return found


def test_starts_on_loopback_answers_and_stops_leaving_no_process(tmp_path: Path) -> None:
    node = Anvil(tmp_path)
    url = node.start()
    pid = node.pid
    assert pid is not None
    try:
        assert url == f"http://127.0.0.1:{node.port}"
        assert int(node.request("eth_chainId"), 16) == CHAIN_ID
        # 127.0.0.1 in /proc/net/tcp's little-endian hex; nothing on 0.0.0.0 or ::.
        assert _listen_addresses(node.port) == {"0100007F"}
        assert (tmp_path / "anvil.log").read_text().count("Listening on 127.0.0.1:") == 1
    finally:
        node.stop()
    assert _gone(pid)
    assert not node.running
    node.stop()  # a second stop is harmless


def test_context_manager_stops_anvil_when_the_body_raises(tmp_path: Path) -> None:
    pid = None
    with pytest.raises(ZeroDivisionError), Anvil(tmp_path) as node:
        pid = node.pid
        assert node.running
        1 / 0  # noqa: B018
    assert pid is not None and _gone(pid)


def test_starting_twice_is_refused(tmp_path: Path) -> None:
    with Anvil(tmp_path) as node, pytest.raises(DevnetError, match="already started"):
        node.start()


def test_anvil_that_dies_at_start_reports_its_log_tail(tmp_path: Path) -> None:
    node = Anvil(tmp_path, extra_args=("--gas-limit", "lots-of-gas"))
    with pytest.raises(DevnetStartFailed) as info:
        node.start()
    assert info.value.code == "DEVNET_START_FAILED"
    assert "lots-of-gas" in str(info.value)  # anvil's own complaint, from its log
    assert node.pid is None


def test_block_timestamps_do_not_depend_on_the_wall_clock(tmp_path: Path) -> None:
    with Anvil(tmp_path) as node:
        for _ in range(3):
            node.request("evm_mine")
        blocks = [node.request("eth_getBlockByNumber", [hex(n), False]) for n in range(4)]
    assert [int(b["timestamp"], 16) for b in blocks] == [
        GENESIS_TIMESTAMP + n * BLOCK_TIME_STEP for n in range(4)
    ]
