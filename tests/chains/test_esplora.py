"""The Esplora client against a REST layer over litecoind's RPC (tests/fixtures/litecoin.py),
cross-checked with ElectrumX's answers and with an independent Esplora client (bdkpython's,
the Rust esplora-client), plus the failures a public endpoint produces."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from chains.electrum import ElectrumBackend
from chains.errors import BadResponse, NodeUnreachable
from chains.esplora import EsploraBackend, RateLimited, TxRejected
from chains.models import Asset
from chains.utxo import address_to_script
from chains.utxo_networks import utxo_network
from tests.fixtures.litecoin import EsploraRest, Regtest

pytestmark = pytest.mark.regtest
NET = utxo_network("ltc-regtest")
LTC = Asset(network="ltc-regtest", symbol="rLTC", name="Litecoin", decimals=8)


@pytest.fixture
async def pair(
    regtest: Regtest, esplora: EsploraRest
) -> AsyncIterator[tuple[EsploraBackend, ElectrumBackend]]:
    e = EsploraBackend(NET, url=esplora.url, timeout=10)
    x = ElectrumBackend(NET, servers=[regtest.electrum_tcp])
    yield e, x
    await e.aclose()
    await x.aclose()


def stranger(i: int) -> str:
    from embit import ec, hashes

    from chains.utxo import script_to_address

    key = ec.PrivateKey(bytes([i]) * 32).get_public_key()
    address = script_to_address(b"\x00\x14" + hashes.hash160(key.sec()), NET)
    assert address is not None
    return address


async def _settle(regtest: Regtest, x: ElectrumBackend) -> int:
    h = regtest.height()
    for _ in range(100):
        if await x.block_number() >= h:
            return h
        await asyncio.sleep(0.1)
    raise AssertionError("ElectrumX did not catch up")


async def test_same_answers_as_electrumx(
    regtest: Regtest, pair: tuple[EsploraBackend, ElectrumBackend]
) -> None:
    esplora, electrum = pair
    # Addresses outside the node's wallet, so its coin selection never spends from them.
    a, b = stranger(1), stranger(2)
    t1 = regtest.fund(a, 12_345_678)
    regtest.fund(b, 1_000_000)
    regtest.mine(1)
    t3 = regtest.fund(a, 50_000)  # stays in the mempool
    await _settle(regtest, electrum)
    for _ in range(50):  # the mempool reaches ElectrumX a moment later
        if t3 in {i.txid for i in (await electrum.histories([a]))[a]}:
            break
        await asyncio.sleep(0.1)

    assert await esplora.block_number() == await electrum.block_number() == regtest.height()
    he, hx = await esplora.histories([a, b]), await electrum.histories([a, b])
    assert {k: sorted((i.txid, max(i.height, 0)) for i in v) for k, v in he.items()} == {
        k: sorted((i.txid, max(i.height, 0)) for i in v) for k, v in hx.items()
    }
    assert {i.txid for i in he[a]} == {t1, t3}
    ue, ux = await esplora.utxos([a, b]), await electrum.utxos([a, b])
    assert {k: sorted((u.txid, u.vout, u.value) for u in v) for k, v in ue.items()} == {
        k: sorted((u.txid, u.vout, u.value) for u in v) for k, v in ux.items()
    }
    be, bx = await esplora.balances([a, b], [LTC]), await electrum.balances([a, b], [LTC])
    assert [(x.address, x.amount) for x in be] == [(x.address, x.amount) for x in bx]
    assert be[0].amount == 12_345_678 + 50_000
    te, tx = await esplora.transactions([t1, t3]), await electrum.transactions([t1, t3])
    assert te == tx
    height = next(i.height for i in he[a] if i.txid == t1)
    assert await esplora.block_times([height]) == await electrum.block_times([height])
    fees = await esplora.fee_estimates([2, 6, 25])
    assert fees.floor >= 1 and all(v >= fees.floor for v in fees.by_target.values())


async def test_bdk_esplora_client_agrees(
    regtest: Regtest, esplora: EsploraRest, pair: tuple[EsploraBackend, ElectrumBackend]
) -> None:
    bdk = pytest.importorskip("bdkpython", reason="bdkpython (test extra) is not installed")
    ours, _ = pair
    addr = stranger(3)
    txid = regtest.fund(addr, 4_200_000)
    regtest.mine(1)
    client = bdk.EsploraClient(esplora.url)
    assert client.get_height() == await ours.block_number()
    # bdk knows Bitcoin networks only: the same witness program as a Bitcoin regtest address.
    from embit import bech32

    script = address_to_script(addr, NET)
    as_btc = bech32.encode("bcrt", 0, script[2:])
    txs = client.get_address_txs(bdk.Address(as_btc, bdk.Network.REGTEST), None)
    history = (await ours.histories([addr]))[addr]
    assert {str(t.txid) for t in txs} == {h.txid for h in history} == {txid}
    raw = (await ours.transactions([txid]))[txid]
    theirs = client.get_tx(bdk.Txid.from_string(txid))
    assert theirs is not None and bytes(theirs.serialize()) == raw
    status = client.get_tx_status(bdk.Txid.from_string(txid))
    assert status.confirmed and status.block_height == history[0].height
    assert str(client.get_block_hash(history[0].height)) == regtest.rpc(
        "getblockhash", history[0].height, wallet=None
    )


async def test_broadcast_and_rejection(
    regtest: Regtest, pair: tuple[EsploraBackend, ElectrumBackend]
) -> None:
    esplora, _ = pair
    addr = str(regtest.rpc("getnewaddress", "", "bech32"))
    # A transaction the node's wallet signs (ours are proven in tests/wallet): relayed via POST /tx.
    funded = regtest.rpc(
        "fundrawtransaction", regtest.rpc("createrawtransaction", [], {addr: "0.01"})
    )
    signed = regtest.rpc("signrawtransactionwithwallet", funded["hex"])["hex"]
    txid = await esplora.broadcast(bytes.fromhex(signed))
    assert txid in regtest.rpc("getrawmempool", wallet=None)
    with pytest.raises(TxRejected) as err:
        await esplora.broadcast(
            bytes.fromhex(signed)[:-1] + b"\x01"
        )  # another locktime: spends the same inputs
    assert err.value.code == "TX_REJECTED" and err.value.server_message


@pytest.mark.parametrize(
    ("fault", "error", "text"),
    [
        (503, NodeUnreachable, "server error 503"),
        (500, NodeUnreachable, "server error 500"),
        (429, RateLimited, "wait 7 s"),
        ("hang", NodeUnreachable, "timed out"),
        ("garbage", BadResponse, "not a number"),
    ],
)
async def test_endpoint_failures_are_typed(
    esplora: EsploraRest, fault: int | str, error: type[Exception], text: str
) -> None:
    esplora.faults["/blocks/tip/height"] = fault
    client = EsploraBackend(NET, url=esplora.url, timeout=0.5)
    try:
        with pytest.raises(error) as err:
            await client.block_number()
        assert text in str(err.value)
        assert getattr(err.value, "code", None) in {
            "NODE_UNREACHABLE",
            "RATE_LIMITED",
            "BAD_RESPONSE",
        }
        assert esplora.requests == ["GET /blocks/tip/height"]
    finally:
        await client.aclose()


async def test_nothing_listening_is_unreachable() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = EsploraBackend(NET, url=f"http://127.0.0.1:{port}", timeout=2)
    try:
        with pytest.raises(NodeUnreachable, match=f"127.0.0.1:{port}"):
            await client.block_number()
    finally:
        await client.aclose()
