"""The demo Electrum server's protocol (chains/devnet/electrum_server.py) on a raw socket:
batches answered as one line in order, errors as JSON-RPC errors, fee rates as exact decimal
numbers, and headers that link to their parent and carry their merkle root and time."""

from __future__ import annotations

import hashlib
import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from chains.devnet.demo_chain import DemoChain, block_header, merkle_root
from chains.devnet.electrum_server import DemoElectrumServer
from chains.utxo import txid_of
from wallet.demo_utxo import build_demo_chain


def _hash256(data: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


@pytest.fixture
def server() -> Iterator[DemoElectrumServer]:
    with DemoElectrumServer(build_demo_chain) as srv:
        yield srv


def _ask(server: DemoElectrumServer, payload: Any) -> tuple[Any, str]:
    host, port = server.url.removeprefix("tcp://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(json.dumps(payload).encode() + b"\n")
        line = sock.makefile("rb").readline().decode()
    return json.loads(line), line


def test_a_batch_is_answered_in_order_on_one_line(server: DemoElectrumServer) -> None:
    chain = build_demo_chain()
    batch = [
        {"jsonrpc": "2.0", "id": 7, "method": "server.version", "params": ["t", "1.4"]},
        {"jsonrpc": "2.0", "id": 8, "method": "blockchain.block.header", "params": [chain.tip]},
        {"jsonrpc": "2.0", "id": 9, "method": "blockchain.nothing", "params": []},
        {"jsonrpc": "2.0", "id": 10, "method": "blockchain.block.header", "params": [10**6]},
        {"jsonrpc": "2.0", "id": 11, "method": "blockchain.estimatefee", "params": [2]},
        {"jsonrpc": "2.0", "id": 12, "method": "blockchain.estimatefee", "params": [1000]},
    ]
    answer, line = _ask(server, batch)
    assert [a["id"] for a in answer] == [7, 8, 9, 10, 11, 12]
    assert answer[0]["result"][1] == "1.4"
    assert answer[1]["result"] == chain.headers[chain.tip].hex()
    assert answer[2]["error"]["code"] == -32601 and answer[3]["error"]
    # BTC/kB as the exact decimal the protocol sends (never via a float), -1 for no estimate.
    assert '"id":11,"result":0.00008000}' in line and answer[5]["result"] == -1


def test_bad_json_is_a_parse_error(server: DemoElectrumServer) -> None:
    host, port = server.url.removeprefix("tcp://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(b"{not json\n")
        answer = json.loads(sock.makefile("rb").readline())
    assert answer["error"]["code"] == -32700


def test_headers_link_and_carry_root_and_time() -> None:
    chain = build_demo_chain()
    by_height: dict[int, list[str]] = {}
    for height, raw in chain.confirmed:
        by_height.setdefault(height, []).append(txid_of(raw))
    for h in range(1, chain.tip + 1):
        header = chain.headers[h]
        assert header[4:36] == _hash256(chain.headers[h - 1])
        assert header[36:68] == merkle_root(by_height[h])
        assert int.from_bytes(header[68:72], "little") > int.from_bytes(
            chain.headers[h - 1][68:72], "little"
        )


def test_a_chain_that_cannot_be_built_says_why() -> None:
    def broken() -> DemoChain:
        raise ValueError("no coins today")

    with DemoElectrumServer(broken) as srv:
        ok, _ = _ask(srv, {"id": 1, "method": "server.version", "params": []})
        assert ok["result"][1] == "1.4"  # the connection works; the chain's answers fail
        answer, _ = _ask(srv, {"id": 2, "method": "blockchain.headers.subscribe", "params": []})
    assert "no coins today" in answer["error"]["message"]


def test_merkle_root_of_one_is_its_txid_and_of_three_pairs_the_last() -> None:
    a, b, c = ("11" * 32, "22" * 32, "33" * 32)
    assert merkle_root([a]) == bytes.fromhex(a)[::-1]
    ab = _hash256(bytes.fromhex(a)[::-1] + bytes.fromhex(b)[::-1])
    cc = _hash256(bytes.fromhex(c)[::-1] * 2)
    assert merkle_root([a, b, c]) == _hash256(ab + cc)
    assert len(block_header(None, bytes(32), 0)) == 80
