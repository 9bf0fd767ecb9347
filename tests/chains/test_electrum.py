"""The Electrum protocol client against a real ElectrumX (TCP and TLS) on Litecoin regtest,
and against misbehaving local sockets for the failures."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest

from chains.electrum import ElectrumBackend
from chains.electrum_client import ElectrumClient, ServerError
from chains.errors import NodeUnreachable
from chains.utxo_networks import utxo_network
from tests.fixtures.litecoin import Regtest

NET = utxo_network("ltc-regtest")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.regtest
async def test_tls_with_a_trusted_certificate(regtest: Regtest) -> None:
    async with ElectrumClient(regtest.electrum_ssl, ssl_context=regtest.ssl_context()) as c:
        assert c.tls and c.server_version and c.server_version.startswith("ElectrumX")
        header = await c.request("blockchain.headers.subscribe")
        assert header["height"] == regtest.height()


@pytest.mark.regtest
async def test_tls_refuses_an_unknown_certificate(regtest: Regtest) -> None:
    with pytest.raises(NodeUnreachable, match="TLS failed"):
        async with ElectrumClient(regtest.electrum_ssl, timeout=5):
            pass


@pytest.mark.regtest
async def test_batch_is_one_round_trip(regtest: Regtest) -> None:
    async with ElectrumClient(regtest.electrum_tcp) as c:
        before_rt, before_req = c.round_trips, c.requests
        hashes = [[bytes([i]).hex() * 32] for i in range(100)]
        results = await c.batch("blockchain.scripthash.get_balance", hashes)
        assert results == [{"confirmed": 0, "unconfirmed": 0}] * 100
        assert (c.round_trips - before_rt, c.requests - before_req) == (1, 100)


@pytest.mark.regtest
async def test_server_errors_are_typed(regtest: Regtest) -> None:
    async with ElectrumClient(regtest.electrum_tcp) as c:
        with pytest.raises(ServerError) as err:
            await c.request("blockchain.transaction.get", "00" * 32)
        assert err.value.code == "SERVER_ERROR" and err.value.method == "blockchain.transaction.get"
        # The connection is still usable afterwards.
        assert isinstance(await c.request("server.ping"), type(None))


@pytest.mark.regtest
async def test_subscriptions_report_blocks_and_address_changes(regtest: Regtest) -> None:
    backend = ElectrumBackend(NET, servers=[regtest.electrum_tcp])
    try:
        tip = await backend.subscribe_headers()
        address = str(regtest.rpc("getnewaddress", "", "bech32"))
        statuses = await backend.subscribe_addresses([address])
        assert statuses == {address: None}  # never used
        regtest.fund(address, 1_000_000)
        kind, what = await _next(backend, "address")
        assert (kind, what) == ("address", address)
        regtest.mine(1)
        kind, height = await _next(backend, "block")
        assert height == tip + 1
    finally:
        await backend.aclose()


async def _next(backend: ElectrumBackend, kind: str) -> tuple[str, object]:
    while True:
        event = await backend.next_event(timeout=20)
        if event[0] == kind:
            return event


async def test_nothing_listening_is_unreachable() -> None:
    port = _free_port()
    with pytest.raises(NodeUnreachable) as err:
        async with ElectrumClient(f"tcp://127.0.0.1:{port}", timeout=2):
            pass
    assert f"127.0.0.1:{port}" in str(err.value) and err.value.code == "NODE_UNREACHABLE"


@pytest.fixture
async def silent_server() -> AsyncIterator[tuple[str, list[asyncio.StreamWriter]]]:
    """Accepts connections and reads, but never answers (a hung server)."""
    writers: list[asyncio.StreamWriter] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        while await reader.readline():
            pass

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield f"tcp://127.0.0.1:{port}", writers
    for w in writers:
        w.close()
    server.close()
    await server.wait_closed()


async def test_a_silent_server_times_out(
    silent_server: tuple[str, list[asyncio.StreamWriter]],
) -> None:
    url, _ = silent_server
    with pytest.raises(NodeUnreachable, match=r"no answer within 0\.3 s"):
        async with ElectrumClient(url, timeout=0.3):
            pass


async def test_a_dropped_connection_fails_pending_requests() -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        line = await reader.readline()  # server.version: answer it, then hang up on the next
        rid = __import__("json").loads(line)["id"]
        writer.write(b'{"jsonrpc":"2.0","id":%d,"result":["fake 1.0","1.4"]}\n' % rid)
        await writer.drain()
        await reader.readline()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with ElectrumClient(f"tcp://127.0.0.1:{port}", timeout=5) as c:
            with pytest.raises(NodeUnreachable, match="closed the connection"):
                await c.request("server.ping")
    finally:
        server.close()
        await server.wait_closed()


@pytest.mark.regtest
async def test_backend_falls_over_to_the_next_server(regtest: Regtest) -> None:
    dead = f"tcp://127.0.0.1:{_free_port()}"
    backend = ElectrumBackend(NET, servers=[dead, regtest.electrum_tcp], timeout=3)
    try:
        assert await backend.block_number() == regtest.height()
    finally:
        await backend.aclose()
    only_dead = ElectrumBackend(NET, servers=[dead], timeout=3)
    with pytest.raises(NodeUnreachable):
        await only_dead.block_number()
