"""A token -> ETH swap on the real devnet (Uniswap V2 from the npm artifacts): the router
unwraps WETH and pays the ETH by an internal call, which no log and no transaction value shows.
History finds it in the node's traces (geth's callTracer, else trace_transaction) and, on a
node with neither, in the swap's own receipt; the details and the CSV export show it."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from chains.evm_history import InternalTransfer, _from_call_frames, _from_parity_traces
from chains.networks import devnet as devnet_network
from tests.fixtures.devnet import Devnet
from tests.fixtures.rpc_proxy import Proxy
from tests.wallet.test_history_sync import _assets
from tests.wallet.test_swap import ETHER, Env, _asset
from tui.i18n import set_language
from tui.screens.history_details import details_text
from wallet.history.export import write_csv
from wallet.history.model import HistoryQuery
from wallet.history.store import HistoryStore
from wallet.history.sync import HistorySync, sources_for
from wallet.store import Store

ME, ROUTER, OTHER = "0x" + "a" * 40, "0x" + "b" * 40, "0x" + "c" * 40


def test_call_frames_keep_value_moved_to_us_and_drop_failed_branches() -> None:
    trace = {
        "from": ME, "to": ROUTER, "value": "0x5", "type": "CALL",  # the top: the tx's own value
        "calls": [
            {"type": "CALL", "from": ROUTER, "to": ME, "value": "0x64"},
            {"type": "CALL", "from": ROUTER, "to": OTHER, "value": "0x1"},  # not ours
            {"type": "DELEGATECALL", "from": ROUTER, "to": ME, "value": "0x64"},  # moves nothing
            {"type": "CALL", "from": ROUTER, "to": OTHER, "value": "0x0", "error": "reverted",
             "calls": [{"type": "CALL", "from": OTHER, "to": ME, "value": "0x7"}]},
        ],
    }  # fmt: skip
    assert _from_call_frames(trace, {ME}) == (InternalTransfer(ROUTER, ME, 100, 0),)


def test_parity_traces_skip_the_top_call_and_failed_subtrees() -> None:
    def call(addr: list[int], src: str, dst: str, value: int, **kw: object) -> dict[str, object]:
        action = {"from": src, "to": dst, "value": hex(value), "callType": "call"}
        return {"type": "call", "action": action, "traceAddress": addr, **kw}

    traces = [
        call([], ME, ROUTER, 5),
        call([0], ROUTER, OTHER, 0, error="Reverted"),
        call([0, 0], OTHER, ME, 7),  # inside the reverted call: never happened
        call([1], ROUTER, ME, 100),
    ]
    assert _from_parity_traces(traces, {ME}) == (InternalTransfer(ROUTER, ME, 100, 0),)


@pytest.fixture
def signer() -> Iterator[object]:
    from devices.emulator import SoftwareSigner
    from tests.fixtures.devnet import DEMO_MNEMONIC

    s = SoftwareSigner.from_mnemonic(DEMO_MNEMONIC)
    yield s
    s.close()


@pytest.mark.devnet
@pytest.mark.parametrize(
    ("refused", "method", "http"),
    [
        ((), "debug_traceTransaction", False),
        (("debug_traceTransaction",), "trace_transaction", False),
        (("debug_traceTransaction", "trace_transaction"), "", False),  # decoded from the receipt
        (("debug_traceTransaction", "trace_transaction"), "", True),  # refused by HTTP 400
    ],
    ids=["callTracer", "trace_transaction", "no-traces", "http-refusal"],
)
async def test_a_token_to_eth_swap_shows_the_eth_received(
    devnet_snapshot: Devnet,
    tmp_path: Path,
    signer: object,
    refused: tuple[str, ...],
    method: str,
    http: bool,
) -> None:
    from chains.evm import EvmBackend
    from chains.models import Asset

    d = devnet_snapshot
    backend = EvmBackend(devnet_network(d.rpc_url), timeout=10)
    store = Store(tmp_path / "w.sqlite3")
    proxy = Proxy(d.rpc_url)
    try:
        eth = Asset(network="devnet", symbol="ETH", name="Ether", decimals=18)
        env = Env(d, backend, store, signer, eth, _asset(d, "DUSD"), _asset(d, "DGLD"))
        sw = env.swapper()
        review = await env.review(sw, env.dusd, env.eth, 500 * 10**6)
        record = await sw.execute(review, signer)
        assert record.state == "done" and record.received and record.received < ETHER

        if http:
            proxy.refuse_http = set(refused)
        else:
            proxy.refuse = set(refused)
        network = devnet_network(proxy.url)
        sources = sources_for(network, _assets(d))
        try:
            await HistorySync(store, network, [d.demo_address], sources, _assets(d)).run()
            assert sources[0].reader.trace_method == method  # type: ignore[attr-defined]
        finally:
            for s in sources:
                await s.aclose()

        hs = HistoryStore(store)
        rows = hs.transaction("devnet", record.swap_tx)
        got = {(r.symbol, r.direction, r.amount, r.counterparty.lower()) for r in rows}
        assert got == {
            ("DUSD", "out", 500 * 10**6, _pair(d).lower()),
            ("ETH", "in", record.received, d.deployment.router.lower()),
        }
        assert all(r.method == "swap" for r in rows)
        receipt = d.rpc("eth_getTransactionReceipt", [record.swap_tx])
        fee = int(receipt["gasUsed"], 16) * int(receipt["effectiveGasPrice"], 16)
        assert [r.fee for r in rows if r.fee is not None] == [fee]  # once, on the DUSD row
        assert next(r for r in rows if r.fee).symbol == "DUSD"

        set_language("en")
        text = details_text(rows, rows[0], None, None).plain
        swap_line = next(line for line in text.splitlines() if "Swap:" in line)
        assert "500 DUSD" in swap_line and "ETH" in swap_line and "—" not in swap_line

        out = io.StringIO()
        write_csv(hs, out, HistoryQuery())
        eth_in = [
            r for r in csv.DictReader(io.StringIO(out.getvalue()))
            if r["tx_hash"] == record.swap_tx.lower() and r["symbol"] == "ETH"
        ]  # fmt: skip
        assert [(r["direction"], int(r["amount_base"])) for r in eth_in] == [
            ("in", record.received)
        ]
    finally:
        proxy.close()
        await backend.aclose()
        store.close()


def _pair(d: Devnet) -> str:
    """The DUSD/WETH pair: where the sold DUSD goes."""
    from chains.devnet.artifacts import load_artifact
    from chains.devnet.deploy import connect

    w3 = connect(d.rpc_url)
    factory = w3.eth.contract(
        address=d.deployment.factory, abi=list(load_artifact("UniswapV2Factory").abi)
    )
    return str(factory.functions.getPair(d.deployment.token("DUSD").address,
                                         d.deployment.weth).call())  # fmt: skip
