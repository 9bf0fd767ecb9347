"""History reads from the real anvil devnet: token events by eth_getLogs, native transfers and
failed transactions by scanning blocks."""

from __future__ import annotations

from typing import Any

import pytest

from chains.errors import NodeUnreachable
from chains.evm_history import (
    APPROVAL_TOPIC,
    TRANSFER_TOPIC,
    EvmHistoryReader,
    decode_log,
    topic_for,
)
from tests.fixtures.devnet import Devnet

MAX = 2**256 - 1


def send(devnet: Devnet, frm: str, to: str, *, data: str = "0x", value: int = 0,
         gas: int | None = None) -> str:  # fmt: skip
    """eth_sendTransaction from an anvil-unlocked or impersonated account (anvil automines)."""
    tx: dict[str, Any] = {"from": frm, "to": to, "data": data, "value": hex(value)}
    if gas is not None:
        tx["gas"] = hex(gas)  # skips estimation, so a reverting call is still mined
    return str(devnet.rpc("eth_sendTransaction", [tx]))


def erc20(selector: str, address: str, amount: int) -> str:
    return selector + address.lower().removeprefix("0x").rjust(64, "0") + f"{amount:064x}"


def impersonate(devnet: Devnet, address: str, *, fund: bool = False) -> None:
    """Send as `address` without its key (anvil): the demo account, or a made-up lookalike."""
    devnet.rpc("anvil_impersonateAccount", [address])
    if fund:
        devnet.rpc("anvil_setBalance", [address, hex(10**20)])


def test_decode_log_keeps_erc20_only() -> None:
    a, b = "0x" + "11" * 20, "0x" + "22" * 20
    log = {
        "address": "0xABC0000000000000000000000000000000000001",
        "topics": [TRANSFER_TOPIC, topic_for(a), topic_for(b)],
        "data": "0x" + f"{5:064x}",
        "logIndex": "0x3",
    }
    ev = decode_log(log)
    assert ev is not None and (ev.kind, ev.src, ev.dst, ev.value, ev.log_index) == (
        "transfer",
        a,
        b,
        5,
        3,
    )
    nft = {**log, "topics": [*log["topics"], "0x" + "00" * 31 + "07"], "data": "0x"}
    assert decode_log(nft) is None  # ERC-721: the token id is a fourth topic
    assert decode_log({**log, "topics": [APPROVAL_TOPIC, *log["topics"][1:]]}).kind == "approval"  # type: ignore[union-attr]
    assert decode_log({**log, "topics": ["0x" + "ab" * 32, *log["topics"][1:]]}) is None


@pytest.mark.devnet
async def test_scan_finds_native_token_approval_and_failed(devnet_snapshot: Devnet) -> None:
    d = devnet_snapshot
    demo = d.demo_address
    dusd = d.deployment.token("DUSD").address
    dev1, dev2 = d.rpc("eth_accounts")[1:3]
    start = int(d.rpc("eth_blockNumber"), 16) + 1
    h_in = send(d, dev1, demo, value=10**18)
    impersonate(d, demo)
    h_approve = send(d, demo, dusd, data=erc20("0x095ea7b3", d.deployment.router, MAX))
    h_out = send(d, demo, dusd, data=erc20("0xa9059cbb", dev2, 100 * 10**6))
    h_fail = send(d, demo, dusd, data=erc20("0xa9059cbb", dev2, 10**30), gas=100_000)
    send(d, dev1, dev2, value=1)  # not ours: must not appear
    head = int(d.rpc("eth_blockNumber"), 16)

    reader = EvmHistoryReader(d.rpc_url)
    try:
        txs = {t.hash: t for t in await reader.scan([demo], start, head)}
        logs_only = {t.hash for t in await reader.scan([demo], start, head, scan_blocks=False)}
    finally:
        await reader.aclose()

    assert set(txs) == {h_in, h_approve, h_out, h_fail}
    t = txs[h_in]
    assert (t.sender, t.to, t.value, t.success, t.events) == (dev1, demo.lower(), 10**18, True, ())
    t = txs[h_approve]
    assert t.selector == "0x095ea7b3" and t.success
    (ev,) = t.events
    assert (ev.kind, ev.src, ev.dst, ev.value, ev.contract) == (
        "approval",
        demo.lower(),
        d.deployment.router.lower(),
        MAX,
        dusd.lower(),
    )
    (ev,) = txs[h_out].events
    assert (ev.kind, ev.src, ev.dst, ev.value) == ("transfer", demo.lower(), dev2, 100 * 10**6)
    t = txs[h_fail]
    assert t.success is False and t.events == ()
    assert t.fee is not None and t.fee > 0 and t.gas_used is not None and t.gas_used <= 100_000
    assert all(x.timestamp is not None and x.block is not None for x in txs.values())
    # Without the block scan only transactions with token events are found (no failed one).
    assert logs_only == {h_approve, h_out}


async def test_unreachable_node_is_a_typed_error() -> None:
    reader = EvmHistoryReader("http://127.0.0.1:9")  # discard port: nothing listens
    try:
        with pytest.raises(NodeUnreachable):
            await reader.head()
    finally:
        await reader.aclose()
