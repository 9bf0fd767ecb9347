"""The demo's Litecoin account and its Electrum server (wallet/demo_utxo.py,
chains/devnet/electrum_server.py), through the wallet's real Electrum client (ElectrumBackend)
and its real send and bump code, signed by the demo's SoftwareSigner.

What the demo server does not check (scripts, signatures) is not tested as if it did: the
wallet's sends are tested on litecoind + ElectrumX (tests/wallet/test_utxo_regtest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from chains.devnet.electrum_server import DemoElectrumServer
from chains.electrum import ElectrumBackend
from chains.electrum_client import ServerError
from chains.utxo import finalize_psbt, script_to_address, txid_of, vsize_of
from chains.utxo_networks import UTXO_NETWORKS, utxo_network
from devices.emulator import SoftwareSigner
from wallet.demo import DEMO_MNEMONIC
from wallet.demo_utxo import (
    CONFIRMED_PAYMENT,
    DEMO_PAYEE,
    DEMO_UTXO_NETWORK,
    FUNDING,
    INCOMING_AMOUNT,
    PAYEE_SCRIPT,
    PENDING_PAYMENT,
    TIP,
    build_demo_chain,
    demo_coinbases,
    demo_keys,
    demo_payment_psbt,
    demo_utxo_portfolio,
    start_demo_electrum,
)
from wallet.store import Store
from wallet.utxo_bump import UtxoBumper
from wallet.utxo_send import UtxoSender, signer_fingerprint

COIN = 10**8


@pytest.fixture
def signer() -> Iterator[SoftwareSigner]:
    s = SoftwareSigner.from_mnemonic(DEMO_MNEMONIC, label="demo")
    yield s
    s.close()


@pytest.fixture
def server() -> Iterator[DemoElectrumServer]:
    srv = start_demo_electrum()
    yield srv
    srv.stop()


@pytest.fixture
async def backend(server: DemoElectrumServer) -> AsyncIterator[ElectrumBackend]:
    b = ElectrumBackend(
        utxo_network(DEMO_UTXO_NETWORK, electrum_servers={DEMO_UTXO_NETWORK: [server.url]})
    )
    yield b
    await b.aclose()


def test_demo_keys_are_the_demo_signers(signer: SoftwareSigner) -> None:
    """embit's derivation (used so the demo starts without bip_utils) gives the software
    signer's own account key and fingerprint, and the payee constant is its script's."""
    keys = demo_keys()
    assert signer.get_xpub(keys.path) == keys.xpub
    assert signer.fingerprint == keys.fingerprint
    assert script_to_address(PAYEE_SCRIPT, UTXO_NETWORKS[DEMO_UTXO_NETWORK]) == DEMO_PAYEE


def test_the_pending_payment_is_what_the_demo_signer_signs(signer: SoftwareSigner) -> None:
    """The chain's payments are byte for byte what SoftwareSigner.sign_psbt makes of the PSBT
    (deterministic signatures): the demo's own signer's transactions."""
    chain = build_demo_chain()
    coinbases = demo_coinbases()
    confirmed_payment = next(
        raw for h, raw in chain.confirmed if h == CONFIRMED_PAYMENT.height and raw != coinbases[h]
    )
    for payment, raw in (
        (PENDING_PAYMENT, chain.mempool[0]),
        (CONFIRMED_PAYMENT, confirmed_payment),
    ):
        unsigned = demo_payment_psbt(payment, coinbases)
        assert finalize_psbt(signer.sign_psbt(unsigned.psbt, DEMO_UTXO_NETWORK), unsigned) == raw


def test_the_chain_is_the_same_every_time() -> None:
    first = build_demo_chain()
    build_demo_chain.cache_clear()
    second = build_demo_chain()
    assert first == second
    assert second.tip == TIP and all(len(h) == 80 for h in second.headers)


async def test_balances_history_and_coins_through_the_electrum_client(
    backend: ElectrumBackend, tmp_path: Path
) -> None:
    store = Store(tmp_path / "w.sqlite3")
    try:
        portfolio = demo_utxo_portfolio(store, backend.servers[0])
        (holding,) = await portfolio.refresh()
        funded = sum(v for _, _, v in FUNDING)
        confirmed_fee = 282  # 141 vB at 2 sat/vB
        pending_fee = 141  # 141 vB at 1 sat/vB
        # Everything funded, less what left for the payee and the two payments' fees, plus the
        # incoming payment.
        assert holding.amount == (
            funded - CONFIRMED_PAYMENT.amount - confirmed_fee
            - PENDING_PAYMENT.amount - pending_fee + INCOMING_AMOUNT
        )  # fmt: skip
        assert holding.tip == TIP
        result = portfolio.results[holding.key]
        pending = [r for r in result.history if r.height <= 0]
        assert sorted((r.sent, r.received) for r in pending) == sorted(
            [(0, INCOMING_AMOUNT), (50_000_000, 50_000_000 - PENDING_PAYMENT.amount - pending_fee)]
        )
        assert {r.fee for r in result.history if r.sent} == {confirmed_fee, pending_fee}
        # Coins: funding not spent, the confirmed payment's change, and the two pending ones.
        values = sorted(c.value for c in result.coins)
        change_confirmed = 8_000_000 - CONFIRMED_PAYMENT.amount - confirmed_fee
        change_pending = 50_000_000 - PENDING_PAYMENT.amount - pending_fee
        assert values == sorted(
            [125_000_000, 31_000_000, change_confirmed, change_pending, INCOMING_AMOUNT]
        )
        # Block times come from the headers; the client checked every txid against its bytes.
        assert all(r.block_time for r in result.history if r.height > 0)
        rates = await backend.fee_estimates([2, 6, 25])
        assert rates.by_target == {2: 8, 6: 4, 25: 2} and rates.floor == 1
        # The mempool's two transactions, both at 1 sat/vB (fee // vsize), as the histogram.
        pending_raw, incoming_raw = build_demo_chain().mempool
        assert await backend.fee_histogram() == [
            [1, vsize_of(pending_raw) + vsize_of(incoming_raw)]
        ]
        await portfolio.aclose()
    finally:
        store.close()


async def test_a_demo_send_and_its_rbf_replacement(
    backend: ElectrumBackend, signer: SoftwareSigner, tmp_path: Path
) -> None:
    """A send through UtxoSender signed by the demo signer is taken; its RBF replacement
    through UtxoBumper replaces it (gone from the history, its coin spent by the new one)."""
    store = Store(tmp_path / "w.sqlite3")
    try:
        portfolio = demo_utxo_portfolio(store, backend.servers[0])
        key = portfolio.keys()[0]
        sender = UtxoSender(store, portfolio.account(key), backend)
        fp = signer_fingerprint(signer)
        review = await sender.prepare(DEMO_PAYEE, COIN // 10, fp, fee_rate=2)
        sent = await sender.broadcast(sender.sign(review, signer))
        history = {h.txid: h.height for h in (await sender.utxo_account.sync()).history}
        assert history[sent] == 0

        bumper = UtxoBumper(sender)
        bump = await bumper.prepare_rbf(sent, fp, fee_rate=10)
        new = await bumper.broadcast(bump, bumper.sign(bump, signer))
        assert new != sent
        synced = await sender.utxo_account.sync()
        txids = {h.txid for h in synced.history}
        assert new in txids and sent not in txids
        # The same replacement again: the server knows it already.
        with pytest.raises(ServerError, match="txn-already-known"):
            await backend.broadcast((await backend.transactions([new]))[new])
    finally:
        store.close()


async def test_double_spends_are_refused(backend: ElectrumBackend) -> None:
    """A coin a block spent cannot be spent again; a mempool transaction that did not signal
    RBF, or a replacement that pays no more, is not replaced; an unknown coin is refused."""
    from embit.script import Script
    from embit.transaction import Transaction, TransactionInput, TransactionOutput

    coinbases = demo_coinbases()

    def spend(txid: str, vout: int, value: int, sequence: int = 0xFFFFFFFD) -> bytes:
        vin = TransactionInput(bytes.fromhex(txid), vout, sequence=sequence)
        return bytes(Transaction(2, [vin], [TransactionOutput(value, Script(PAYEE_SCRIPT))], 0)
                     .serialize())  # fmt: skip

    spent_in_block = txid_of(coinbases[CONFIRMED_PAYMENT.coin_height])
    with pytest.raises(ServerError, match="missingorspent"):
        await backend.broadcast(spend(spent_in_block, 0, 1_000_000))
    with pytest.raises(ServerError, match="missingorspent"):
        await backend.broadcast(spend("ab" * 32, 0, 1_000))
    with pytest.raises(ServerError, match="in-belowout"):
        await backend.broadcast(spend(txid_of(coinbases[3]), 0, 125_000_001))
    # The pending payment's coin: a conflict that pays a smaller fee is not taken.
    pending_coin = txid_of(coinbases[PENDING_PAYMENT.coin_height])
    with pytest.raises(ServerError, match="insufficient fee"):
        await backend.broadcast(spend(pending_coin, 0, 50_000_000 - 100))
    # A coin spent by a transaction that did not signal RBF stays spent by it.
    first = spend(txid_of(coinbases[20]), 0, 30_000_000, sequence=0xFFFFFFFF)
    assert await backend.broadcast(first) == txid_of(first)
    with pytest.raises(ServerError, match="txn-mempool-conflict"):
        await backend.broadcast(spend(txid_of(coinbases[20]), 0, 20_000_000))


async def test_subscribers_hear_of_a_broadcast(
    backend: ElectrumBackend, signer: SoftwareSigner, tmp_path: Path
) -> None:
    """A client subscribed to an address is told when a broadcast changes its history, as an
    Electrum server tells the wallet (the Assets screen refreshes on it)."""
    store = Store(tmp_path / "w.sqlite3")
    try:
        portfolio = demo_utxo_portfolio(store, backend.servers[0])
        sender = UtxoSender(store, portfolio.account(portfolio.keys()[0]), backend)
        before = await backend.subscribe_addresses([DEMO_PAYEE])
        assert before[DEMO_PAYEE] is not None  # paid before: it has a history
        review = await sender.prepare(DEMO_PAYEE, COIN // 100, signer_fingerprint(signer),
                                      fee_rate=2)  # fmt: skip
        await sender.broadcast(sender.sign(review, signer))
        assert await backend.next_event(timeout=5) == ("address", DEMO_PAYEE)
    finally:
        store.close()
