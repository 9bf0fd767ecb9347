"""With a proxy set, every outbound connection goes through it (issue 19): the node's RPC
(web3), the JSON-RPC history reader, Electrum over TLS and TCP, Esplora, the Etherscan-shaped
history API, the swap quote API, the price API, the helpdesk and SMTP; names are resolved by
the proxy.

The proxy is tests/fixtures/socks5.py in a process of its own; this process's netguard is in
proxy-only mode (tests/netguard/sitecustomize.py): a connection to anything but the proxy, or
a name resolved here, fails and is recorded. The servers have made-up names (`*.test`) only the
proxy can resolve, so a client that resolved a name itself could not have reached them.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.fixtures.devnet import Devnet
from tests.fixtures.litecoin import EsploraRest, Regtest

netguard = sys.modules["termwallet_netguard"]


@pytest.fixture
def socks5(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    log = tmp_path / "socks5.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fixtures.socks5", str(log)],
        stdout=subprocess.PIPE,
        cwd=Path(__file__).parent.parent,
    )
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        yield port, log
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture
def web() -> Iterator[tuple[int, list[str]]]:
    """One local HTTP server speaking, by path, the shapes the clients need: an Etherscan
    `txlist` with no transactions, a helpdesk comment list, a 0x quote refusal."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            seen.append(f"{self.headers.get('Host')} {self.path}")
            path = urlsplit(self.path).path
            if path == "/api":
                body: Any = {"status": "0", "message": "No transactions found", "result": []}
            elif path == "/simple/price":
                body = {"bitcoin": {"usd": 67000, "last_updated_at": 1764800000}}
            elif path.endswith("/comments.json"):
                body = {"comments": [], "users": [], "next_page": None}
            else:
                self.send_response(404)
                self.end_headers()
                return
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1], seen
    finally:
        server.shutdown()


@pytest.fixture
def smtp() -> Iterator[tuple[int, list[Any]]]:
    import socket

    from aiosmtpd.controller import Controller

    got: list[Any] = []

    class Handler:
        async def handle_DATA(self, srv: Any, session: Any, envelope: Any) -> str:
            got.append(envelope)
            return "250 OK"

    with socket.socket() as probe:  # aiosmtpd probes its own port: take a free one first
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, got
    finally:
        controller.stop()


def _through(log: Path) -> list[tuple[str, str, int]]:
    out = []
    for line in log.read_text().splitlines():
        kind, host, port = line.split()
        out.append((kind, host, int(port)))
    return out


@pytest.mark.devnet
@pytest.mark.regtest
async def test_every_client_goes_through_the_proxy(
    socks5: tuple[int, Path],
    web: tuple[int, list[str]],
    smtp: tuple[int, list[Any]],
    devnet: Devnet,
    regtest: Regtest,
    esplora: EsploraRest,
    termwallet_home: Path,
) -> None:
    from chains.cert_pins import MemoryPins
    from chains.electrum import ElectrumBackend
    from chains.esplora import EsploraBackend
    from chains.etherscan import EtherscanClient
    from chains.evm import EvmBackend
    from chains.evm_history import EvmHistoryReader
    from chains.networks import get_network
    from chains.utxo_networks import utxo_network
    from wallet.paths import Paths
    from wallet.settings import load_settings
    from wallet.support.config import SupportSettings
    from wallet.support.helpdesk import HelpdeskClient
    from wallet.support.smtp import build_message, send

    proxy_port, log = socks5
    web_port, seen = web
    anvil = urlsplit(devnet.rpc_url).port
    electrum_ssl = urlsplit(regtest.electrum_ssl).port
    electrum_tcp = urlsplit(regtest.electrum_tcp).port
    esplora_port = urlsplit(esplora.url).port

    height = regtest.height()  # read now: the guard below lets nothing but the proxy through
    evm_block = int(devnet.rpc("eth_blockNumber"), 16)
    paths = Paths.default().ensure()
    paths.config_file.write_text(f'proxy = "socks5h://127.0.0.1:{proxy_port}"\n')
    load_settings(paths.config_file)  # what every command and the app do: sets the proxy
    netguard.only_through(("127.0.0.1", proxy_port))
    try:
        evm = EvmBackend(get_network("devnet", {"devnet": [f"http://anvil.test:{anvil}"]}))
        try:
            assert await evm.block_number() == evm_block
        finally:
            await evm.aclose()
        reader = EvmHistoryReader(f"http://anvil.test:{anvil}")
        try:
            assert await reader.head() == evm_block
        finally:
            await reader.aclose()

        net = utxo_network("ltc-regtest")
        for url in (f"ssl://electrum.test:{electrum_ssl}", f"tcp://electrum.test:{electrum_tcp}"):
            backend = ElectrumBackend(net, servers=[url], pins=MemoryPins(), timeout=10)
            try:
                assert await backend.block_number() == height
            finally:
                await backend.aclose()
        rest = EsploraBackend(net, url=f"http://esplora.test:{esplora_port}", timeout=10)
        try:
            assert await rest.block_number() == height
        finally:
            await rest.aclose()

        explorer = EtherscanClient(f"http://explorer.test:{web_port}/api", None, 1)
        try:
            txs, _ = await explorer.history("0x" + "11" * 20, 0)
            assert txs == []
        finally:
            await explorer.aclose()
        from chains.swaps.aggregator import AggregatorProvider
        from chains.swaps.base import AggregatorError

        quotes = AggregatorProvider(
            f"http://quotes.test:{web_port}", network="eth", chain_id=1,
            exchange="0xDef1C0ded9bec7F1a1670819833240f027b25EfF",
        )  # fmt: skip
        try:
            with pytest.raises(AggregatorError):  # the web fixture has no quotes: a 404
                await quotes._get({"sellToken": "ETH"})
        finally:
            await quotes.aclose()
        from chains.prices import CoinGecko

        prices = CoinGecko(f"http://prices.test:{web_port}")
        try:
            assert (await prices.prices(["BTC"], "USD"))["BTC"].value == 67000
        finally:
            await prices.aclose()
        desk = HelpdeskClient(
            SupportSettings(
                helpdesk_url=f"http://helpdesk.test:{web_port}",
                helpdesk_email="user@example.org",
                helpdesk_token="t",  # type: ignore[arg-type]
            )
        )
        try:
            assert await desk.comments("7") == []
        finally:
            await desk.aclose()
        smtp_port, mails = smtp
        mail = SupportSettings(
            smtp_host="smtp.test", smtp_port=smtp_port, smtp_starttls=False,
            support_email="help@example.org", from_email="me@example.org",
        )  # fmt: skip
        message = build_message(mail, subject="s", body="b", reference="T-1", in_reply_to=None)
        await send(mail, message)
        assert len(mails) == 1
    finally:
        violations = list(netguard.violations)
        netguard.only_through(None)

    assert violations == []  # nothing connected or resolved around the proxy
    through = _through(log)
    assert all(kind == "name" for kind, _, _ in through), through  # remote DNS every time
    assert {(h, p) for _, h, p in through} >= {
        ("anvil.test", anvil),
        ("electrum.test", electrum_ssl),
        ("electrum.test", electrum_tcp),
        ("esplora.test", esplora_port),
        ("explorer.test", web_port),
        ("helpdesk.test", web_port),
        ("prices.test", web_port),
        ("quotes.test", web_port),
        ("smtp.test", smtp_port),
    }
    assert any(s.startswith(f"explorer.test:{web_port} /api?") for s in seen), seen


async def test_the_netguard_catches_a_connection_around_the_proxy(
    web: tuple[int, list[str]],
) -> None:
    """The guard itself: with the proxy-only mode on and no proxy set, a client connecting
    straight to a server fails, and the attempt is on record."""
    from chains.errors import NodeUnreachable
    from chains.etherscan import EtherscanClient

    web_port, seen = web
    netguard.only_through(("127.0.0.1", 1))
    try:
        explorer = EtherscanClient(f"http://127.0.0.1:{web_port}/api", None, 1)
        with pytest.raises(NodeUnreachable):
            await explorer.history("0x" + "11" * 20, 0)
        await explorer.aclose()
        recorded = list(netguard.violations)
    finally:
        netguard.only_through(None)
    assert recorded and recorded[0] == f"connect 127.0.0.1:{web_port}"
    assert seen == []


def test_a_proxy_is_checked_when_settings_load(termwallet_home: Path) -> None:
    from wallet.paths import Paths
    from wallet.settings import SettingsError, load_settings

    paths = Paths.default().ensure()
    paths.config_file.write_text('proxy = "http://127.0.0.1:8080"\n')
    with pytest.raises(SettingsError, match=r"socks5h://127\.0\.0\.1:9050"):
        load_settings(paths.config_file)
    paths.config_file.write_text('proxy = "socks5h://127.0.0.1"\n')
    with pytest.raises(SettingsError, match="needs a port"):
        load_settings(paths.config_file)


def test_loopback_is_reached_directly_and_socks5_means_remote_dns_too() -> None:
    from chains.proxy import httpx_proxy, proxy_for, use_proxy

    use_proxy("socks5://127.0.0.1:9050")
    assert proxy_for("http://127.0.0.1:8545") is None and proxy_for("localhost") is None
    assert proxy_for("ssl://electrum.example:50002") == "socks5://127.0.0.1:9050"
    assert httpx_proxy("https://api.example/x") == {
        "proxy": "socks5h://127.0.0.1:9050",
        "trust_env": False,
    }


async def test_an_onion_server_without_a_proxy_says_what_to_set() -> None:
    from chains.electrum_client import ElectrumClient
    from chains.errors import NodeUnreachable

    client = ElectrumClient("ssl://" + "a" * 56 + ".onion:50002", timeout=2)
    with pytest.raises(NodeUnreachable, match=r"through Tor only: set proxy"):
        await client.connect()
    await client.aclose()


async def test_a_proxy_that_cannot_reach_the_server_is_a_typed_failure(
    socks5: tuple[int, Path], termwallet_home: Path
) -> None:
    """The proxy answers but cannot connect (here: a name it cannot resolve): each client
    says it could not reach its server through the proxy; nothing escapes untyped."""
    from chains.electrum_client import ElectrumClient
    from chains.errors import NodeUnreachable
    from chains.evm import EvmBackend
    from chains.networks import get_network
    from chains.proxy import use_proxy
    from wallet.support.config import SupportSettings
    from wallet.support.errors import SupportError
    from wallet.support.smtp import build_message, send

    proxy_port, _ = socks5
    use_proxy(f"socks5h://127.0.0.1:{proxy_port}")
    evm = EvmBackend(get_network("devnet", {"devnet": ["http://node.invalid:8545"]}))
    with pytest.raises(NodeUnreachable, match=r"node\.invalid"):
        await evm.block_number()
    await evm.aclose()
    client = ElectrumClient("tcp://electrum.invalid:50001", timeout=5)
    with pytest.raises(NodeUnreachable, match="through the proxy"):
        await client.connect()
    await client.aclose()
    mail = SupportSettings(
        smtp_host="smtp.invalid", smtp_port=25, smtp_starttls=False,
        support_email="help@example.org", from_email="me@example.org",
    )  # fmt: skip
    message = build_message(mail, subject="s", body="b", reference="T-2", in_reply_to=None)
    with pytest.raises(SupportError):
        await send(mail, message)
