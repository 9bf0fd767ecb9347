"""Bitcoin/Litecoin in the wallet's portfolio and history: balances per account, the history
rows (in, out with fee and recipient, pending then confirmed), resume-once at start-up, and what
happens when the server is down (stale, never invented). The regtest tests run on litecoind +
ElectrumX (tests/fixtures/litecoin.py); the rest need no node."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from chains.errors import NodeUnreachable
from devices.emulator import SoftwareSigner
from tests.fixtures.litecoin import Regtest, poll
from wallet.accounts import AccountBook
from wallet.backends import NoUtxoServer, utxo_backend_for, utxo_network_for
from wallet.history.model import HistoryQuery
from wallet.history.store import HistoryStore
from wallet.history.sync import history_api_of
from wallet.history_apis import HistoryApi
from wallet.keys import ScriptKind
from wallet.settings import SettingsError, load_settings
from wallet.store import Store
from wallet.utxo_portfolio import build_utxo_portfolio, wallet_utxo_networks

# BIP39 test vector phrase used by no other regtest test: its coins stay its own.
MNEMONIC = "letter advice cage absurd amount doctor acoustic avoid letter advice cage above"
COIN = 10**8


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again when this returns: nothing listens


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "w.sqlite3")
    yield s  # type: ignore[misc]
    s.close()


@pytest.fixture
def signer() -> SoftwareSigner:
    return SoftwareSigner.from_mnemonic(MNEMONIC)


def _accounts(store: Store, signer: SoftwareSigner, index: int) -> None:
    book = AccountBook(store)
    for script in (ScriptKind.P2WPKH, ScriptKind.P2TR):
        book.add_from_signer(signer, book.software_wallet(), "ltc-regtest", script, index)


# -- settings and servers (no node) -------------------------------------------------------------


def test_user_servers_replace_the_built_in_ones() -> None:
    builtin = utxo_network_for("btc")
    assert builtin.electrum_servers and builtin.esplora_urls  # public ones exist by default
    mine = utxo_network_for("btc", {"btc": ["ssl://my.node:50002"]}, {})
    # Only the user's: no public server learns the wallet's addresses when theirs is down.
    assert mine.electrum_servers == ("ssl://my.node:50002",)
    assert mine.esplora_urls == ()
    other = utxo_network_for("ltc", {"btc": ["ssl://my.node:50002"]}, {})
    assert other.electrum_servers == utxo_network_for("ltc").electrum_servers
    # Esplora preferred but only Electrum is the user's: Electrum, not a public Esplora.
    backend = utxo_backend_for(mine, prefer="esplora")
    assert type(backend).__name__ == "ElectrumBackend"
    assert backend.servers == ("ssl://my.node:50002",)  # type: ignore[attr-defined]
    with pytest.raises(NoUtxoServer, match="electrum_servers"):
        utxo_backend_for(utxo_network_for("ltc-regtest"))  # regtest has no public server


def test_settings_validate_utxo_fields_and_name_the_field(tmp_path: Path) -> None:
    f = tmp_path / "config.toml"
    f.write_text(
        'utxo_networks = ["ltc-regtest"]\nutxo_backend = "esplora"\n'
        '[electrum_servers]\nltc-regtest = ["tcp://127.0.0.1:5"]\n'
        '[esplora_urls]\nbtc = ["https://my.esplora/api"]\n'
    )
    s = load_settings(f)
    assert s.utxo_networks == ["ltc-regtest"] and s.utxo_backend == "esplora"
    assert s.electrum_servers == {"ltc-regtest": ["tcp://127.0.0.1:5"]}
    assert s.esplora_urls == {"btc": ["https://my.esplora/api"]}
    f.write_text('[electrum_servers]\nbtc = ["my.node:50002"]\n')
    with pytest.raises(SettingsError, match="electrum_servers"):
        load_settings(f)
    f.write_text('utxo_networks = ["doge"]\n')
    with pytest.raises(SettingsError, match="utxo_networks"):
        load_settings(f)


def test_explorer_settings_from_file_and_secret_key_from_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    f = tmp_path / "config.toml"
    f.write_text('[explorers.eth]\nurl = "https://api.example/v2"\n')
    monkeypatch.delenv("TERMWALLET_EXPLORER_KEY", raising=False)
    assert history_api_of("eth", f) == HistoryApi("etherscan", "https://api.example/v2", None)
    monkeypatch.setenv("TERMWALLET_EXPLORERS__ETH__KEY", "canary-explorer-key-41")
    s = load_settings(f)
    assert s.explorers["eth"].key is not None
    assert "canary-explorer-key-41" not in repr(s) and "canary-explorer-key-41" not in str(s)
    assert history_api_of("eth", f) == HistoryApi(
        "etherscan", "https://api.example/v2", "canary-explorer-key-41"
    )
    # A key alone: Etherscan's V2 API; the devnet always reads its node.
    monkeypatch.setenv("TERMWALLET_EXPLORERS__SEPOLIA__KEY", "k2")
    assert history_api_of("sepolia", f) == HistoryApi(
        "etherscan", "https://api.etherscan.io/v2/api", "k2"
    )
    assert history_api_of("devnet", f) is None
    # The table's old place, [history.explorers.<net>], is still read.
    f.write_text('[history.explorers.polygon]\nurl = "https://old.example/api"\n')
    assert history_api_of("polygon", f).url == "https://old.example/api"  # type: ignore[union-attr]


def test_default_networks_are_those_with_accounts(store: Store, signer: SoftwareSigner) -> None:
    assert wallet_utxo_networks(store, None) == []
    book = AccountBook(store)
    book.add_from_signer(signer, book.software_wallet(), "ltc", ScriptKind.P2WPKH, 0)
    assert wallet_utxo_networks(store, None) == ["ltc"]
    assert wallet_utxo_networks(store, ["ltc-regtest"]) == ["ltc-regtest"]


async def test_server_down_marks_rows_stale_without_inventing_numbers(
    store: Store, signer: SoftwareSigner
) -> None:
    """btc-regtest, no node: nothing listens on the configured server."""
    book = AccountBook(store)
    acct = book.add_from_signer(signer, book.software_wallet(), "btc-regtest", ScriptKind.P2WPKH)
    down = {"btc-regtest": [f"tcp://127.0.0.1:{_closed_port()}"]}
    pf = build_utxo_portfolio(store, ["btc-regtest"], electrum_servers=down)
    try:
        (h,) = await pf.refresh()
        assert h.stale and isinstance(h.error, NodeUnreachable)
        assert h.amount is None and h.tip is None  # never read, nothing saved: no figure
        # A balance saved by an earlier sync is shown as that, still marked stale.
        store.db.execute(
            "INSERT INTO balances(network, address, asset, amount, block, as_of) "
            "VALUES('btc-regtest', ?, 'btc-regtest:native', '12345', 77, "
            "'2026-01-02T03:04:05+00:00')",
            (f"account:{acct.id}",),
        )
        (h,) = await pf.refresh()
        assert (h.stale, h.amount, h.tip, h.unconfirmed) == (True, 12345, 77, None)
        # Receiving still works offline, from the stored key, and says it was not checked.
        info = pf.receive(h.key)
        assert info.address == acct.address and not info.checked
        assert info.uri == "bitcoin:" + acct.address.upper() and info.qr.lines
        # History: nothing read, nothing written, no error for the caller.
        assert await pf.sync_history() == []
        with pytest.raises(NodeUnreachable):
            await pf.sync_history(fresh=True)
    finally:
        await pf.aclose()


# -- on litecoind + ElectrumX -------------------------------------------------------------------


@pytest.mark.regtest
async def test_balances_history_rows_and_resume_once(
    regtest: Regtest, store: Store, signer: SoftwareSigner
) -> None:
    _accounts(store, signer, 11)
    servers = {"ltc-regtest": [regtest.electrum_tcp]}
    pf = build_utxo_portfolio(store, ["ltc-regtest"], electrum_servers=servers, gap_limit=5)
    try:
        seg, tap = pf.keys()
        first = {h.key: h for h in await pf.refresh()}
        assert first[seg].amount == 0 and not first[seg].stale
        addr = pf.receive(seg).address
        assert pf.receive(seg).checked and addr.startswith("rltc1q")

        funding = regtest.fund(addr, 2 * COIN)
        regtest.mine(1)

        def funded(hs: tuple) -> bool:  # type: ignore[type-arg]
            return any(h.key == seg and h.amount == 2 * COIN for h in hs)

        hs = {h.key: h for h in await poll(pf.refresh, funded)}
        assert (hs[seg].amount, hs[seg].unconfirmed, hs[tap].amount) == (2 * COIN, 0, 0)
        assert pf.receive(seg).address != addr  # that one is used now

        await pf.sync_history()
        history = HistoryStore(store)
        # Rows name the account by its first receiving address on this network.
        label = AccountBook(store).address("ltc-regtest", ScriptKind.P2WPKH, 11)
        assert label.startswith("rltc1q")
        (row,) = history.page(HistoryQuery(network="ltc-regtest", accounts=(label,)))
        assert (row.tx_hash, row.direction, row.amount, row.status) == (
            funding,
            "in",
            2 * COIN,
            "confirmed",
        )
        assert row.block == regtest.height() and row.symbol == "rLTC" and row.fee is None

        # Signed before a "crash", never sent: the next refresh sends it, once.
        to = str(regtest.rpc("getnewaddress", "", "bech32"))
        review = await pf.prepare_send(seg, to, COIN // 2, "normal", signer)
        signed = pf.sender(seg).sign(review, signer)
        assert signed.txid not in regtest.rpc("getrawmempool", wallet=None)
        again = build_utxo_portfolio(store, ["ltc-regtest"], electrum_servers=servers, gap_limit=5)
        try:
            await again.refresh()
            assert again.resumed == [signed.txid]
            assert signed.txid in regtest.rpc("getrawmempool", wallet=None)
            await again.refresh()
            assert again.resumed == [signed.txid]  # not twice
        finally:
            await again.aclose()

        await pf.refresh()
        await pf.sync_history()
        out = history.transaction("ltc-regtest", signed.txid)
        assert len(out) == 1
        assert (out[0].direction, out[0].amount, out[0].status) == ("out", COIN // 2, "pending")
        assert out[0].counterparty == to and out[0].fee == review.fee and out[0].made_here

        regtest.mine(1)
        await poll(
            pf.refresh,
            lambda hs: any(h.key == seg and h.amount and not h.unconfirmed for h in hs),
        )
        await pf.sync_history()
        (done,) = history.transaction("ltc-regtest", signed.txid)
        assert done.status == "confirmed" and done.block == regtest.height()
        state = store.db.execute(
            "SELECT state FROM utxo_outgoing WHERE txid = ?", (signed.txid,)
        ).fetchone()
        assert state["state"] == "confirmed"
    finally:
        await pf.aclose()


@pytest.mark.regtest
async def test_resume_waits_for_the_server_and_keeps_the_payment(
    regtest: Regtest, store: Store, signer: SoftwareSigner
) -> None:
    """A signed payment found at start-up while the server is down stays signed (not marked
    failed), and goes out when the server is back."""
    _accounts(store, signer, 12)
    servers = {"ltc-regtest": [regtest.electrum_tcp]}
    pf = build_utxo_portfolio(store, ["ltc-regtest"], electrum_servers=servers, gap_limit=5)
    seg = pf.keys()[0]
    try:
        await pf.refresh()
        regtest.fund(pf.receive(seg).address, COIN)
        regtest.mine(1)
        await poll(pf.refresh, lambda hs: hs[0].amount == COIN)
        to = str(regtest.rpc("getnewaddress", "", "bech32"))
        review = await pf.prepare_send(seg, to, COIN // 4, "slow", signer)
        signed = pf.sender(seg).sign(review, signer)
    finally:
        await pf.aclose()

    down = {"ltc-regtest": [f"tcp://127.0.0.1:{_closed_port()}"]}
    offline = build_utxo_portfolio(store, ["ltc-regtest"], electrum_servers=down, gap_limit=5)
    try:
        hs = await offline.refresh()
        assert all(h.stale for h in hs) and offline.resumed == []
        row = store.db.execute(
            "SELECT state FROM utxo_outgoing WHERE txid = ?", (signed.txid,)
        ).fetchone()
        assert row["state"] == "signed"
    finally:
        await offline.aclose()

    back = build_utxo_portfolio(store, ["ltc-regtest"], electrum_servers=servers, gap_limit=5)
    try:
        await back.refresh()
        assert back.resumed == [signed.txid]
        assert signed.txid in regtest.rpc("getrawmempool", wallet=None)
    finally:
        await back.aclose()
    regtest.mine(1)  # leave no payment of this test in the shared mempool
