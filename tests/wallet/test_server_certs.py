"""The wallet's pinned Electrum certificates: kept in its SQLite store on disk, used by the
portfolio's backends, listed and accepted with `termwallet servers` (issue 19). Against the
session's ElectrumX, whose TLS certificate is self-signed like most public servers'."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chains.cert_pins import CertificateChanged
from devices.emulator import SoftwareSigner
from tests.fixtures.cli import run_cli
from tests.fixtures.litecoin import Regtest
from tests.fixtures.tls import der_fingerprint
from wallet.accounts import AccountBook
from wallet.keys import ScriptKind
from wallet.paths import Paths
from wallet.server_certs import StorePins
from wallet.store import Store
from wallet.utxo_portfolio import build_utxo_portfolio

MNEMONIC = "legal winner thank year wave sausage worth useful legal winner thank yellow"
OTHER = "AA:" * 31 + "AA"


def test_pins_survive_reopening_and_accepting_replaces_them(tmp_path: Path) -> None:
    from chains.cert_pins import new_pin

    store = Store(tmp_path / "w.sqlite3")
    pins = StorePins(store)
    pin = new_pin("ssl://Electrum.Example:50002", b"certificate bytes", ca_valid=False)
    pins.put(pin)
    store.close()
    again = StorePins(Store(tmp_path / "w.sqlite3"))
    got = again.get("ssl://electrum.example:50002")  # one spelling per server
    assert got == pin and got.server == "ssl://electrum.example:50002"
    accepted = again.accept("ssl://electrum.example:50002", OTHER.lower().replace(":", ""))
    assert accepted.fingerprint == OTHER
    (row,) = again.list()
    assert row.pin == accepted and row.accepted_by_user
    with pytest.raises(ValueError, match="64 hex digits"):
        again.accept("ssl://electrum.example:50002", "not-a-fingerprint")
    with pytest.raises(ValueError, match="ssl://host:port"):
        again.get("tcp://electrum.example:50001")


@pytest.mark.regtest
async def test_wallet_pins_on_first_use_and_stops_on_a_change(
    regtest: Regtest, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = Paths.default().ensure()  # TERMWALLET_HOME of this test (tests/conftest.py)
    store = Store(paths.database)
    book = AccountBook(store)
    book.add_from_signer(
        SoftwareSigner.from_mnemonic(MNEMONIC), book.software_wallet(), "ltc-regtest",
        ScriptKind.P2WPKH, 3,
    )  # fmt: skip
    servers = {"ltc-regtest": [regtest.electrum_ssl]}
    real = der_fingerprint(regtest.cert_path)

    # First use: the self-signed server is trusted (it was refused before pinning existed)
    # and its certificate is in the store.
    pf = build_utxo_portfolio(store, ["ltc-regtest"], electrum_servers=servers, gap_limit=3)
    try:
        (h,) = await pf.refresh()
        assert not h.stale and h.amount == 0
        assert pf.sources() == {"Litecoin Regtest": "127.0.0.1"}
    finally:
        await pf.aclose()
    rc, out, _ = run_cli(["servers", "certs", "--json"], capsys)
    (row,) = json.loads(out)
    assert rc == 0 and row["server"] == regtest.electrum_ssl and row["fingerprint"] == real
    assert not row["ca_valid"] and not row["accepted_by_user"]

    # The pin no longer matches what the server shows (as after a change of certificate):
    # the row is stale with the certificate error, and the portfolio names the server.
    StorePins(store).accept(regtest.electrum_ssl, OTHER)
    pf = build_utxo_portfolio(store, ["ltc-regtest"], electrum_servers=servers, gap_limit=3)
    try:
        (h,) = await pf.refresh()
        assert h.stale and isinstance(h.error, CertificateChanged)
        assert h.error.details["pinned"] == OTHER and h.error.details["presented"] == real
        assert [e.url for e in pf.refused()] == [regtest.electrum_ssl]  # type: ignore[attr-defined]
    finally:
        await pf.aclose()

    # The user checked it and accepts the server's certificate: used again.
    rc, _, err = run_cli(["servers", "accept-cert", regtest.electrum_ssl, real], capsys)
    assert rc == 0 and real in err and f"was {OTHER}" in err
    pf = build_utxo_portfolio(store, ["ltc-regtest"], electrum_servers=servers, gap_limit=3)
    try:
        (h,) = await pf.refresh()
        assert not h.stale and not pf.refused()
    finally:
        await pf.aclose()
        store.close()


def test_cli_refuses_bad_input_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    rc, _, err = run_cli(["servers", "accept-cert", "ssl://127.0.0.1:50002", "xyz"], capsys)
    assert rc != 0 and err.count("\n") == 1 and err.startswith("termwallet:")
    assert "SHA-256 fingerprint" in err
    rc, _, err = run_cli(["servers", "accept-cert", "ssl://127.0.0.1:50002"], capsys)
    assert rc != 0 and "needs the fingerprint" in err
    rc, _, err = run_cli(["servers", "forget-cert", "ssl://127.0.0.1:50002"], capsys)
    assert rc != 0 and "no certificate is pinned" in err


def test_servers_list_shows_own_servers_instead_of_built_in_ones(
    capsys: pytest.CaptureFixture[str],
) -> None:
    paths = Paths.default().ensure()
    paths.config_file.write_text(
        'one_server = false\n[electrum_servers]\nltc = ["ssl://my.node:50002", "tcp://10.0.0.2:50001"]\n'
        '[rpc_urls]\neth = ["https://my.eth.node/rpc"]\n'
    )
    rc, out, _ = run_cli(["servers", "--json"], capsys)
    nets = {r["network"]: r for r in json.loads(out)["networks"]}
    assert rc == 0
    assert nets["ltc"] == {
        "network": "ltc",
        "own": True,
        "servers": ["ssl://my.node:50002", "tcp://10.0.0.2:50001"],
    }
    assert not nets["btc"]["own"] and nets["btc"]["servers"]  # built-in, untouched
    assert nets["eth"]["servers"] == ["https://my.eth.node/rpc"]
    paths.config_file.write_text(
        'one_server = true\n[electrum_servers]\nltc = ["ssl://my.node:50002", "tcp://10.0.0.2:50001"]\n'
    )
    rc, out, _ = run_cli(["servers", "--json"], capsys)
    nets = {r["network"]: r for r in json.loads(out)["networks"]}
    assert nets["ltc"]["servers"] == ["ssl://my.node:50002"]
    assert all(len(r["servers"]) <= 1 for r in nets.values())


async def test_one_server_keeps_the_wallet_on_the_first_node() -> None:
    from wallet.user import UserWallet

    paths = Paths.default().ensure()
    paths.config_file.write_text(
        'one_server = true\n[rpc_urls]\neth = ["http://127.0.0.1:9", "http://127.0.0.1:10"]\n'
    )
    session = UserWallet.open(paths).session()
    try:
        assert session.network.rpc_urls == ("http://127.0.0.1:9",)
    finally:
        await session.aclose()
    paths.config_file.write_text(
        '[rpc_urls]\neth = ["http://127.0.0.1:9", "http://127.0.0.1:10"]\n'
    )
    session = UserWallet.open(paths).session()
    try:
        assert len(session.network.rpc_urls) == 2  # without it: the user's own, in order
    finally:
        await session.aclose()
