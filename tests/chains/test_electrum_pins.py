"""Trust on first use of Electrum servers' certificates, against a real ElectrumX on Litecoin
regtest that is restarted on the same port with another certificate (as a server renewing its
certificate, or someone between us and it, would present)."""

from __future__ import annotations

import asyncio
import socket
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from chains.cert_pins import CertificateChanged, MemoryPins, Pin, server_key
from chains.electrum import ElectrumBackend
from chains.electrum_client import ElectrumClient
from chains.errors import NodeUnreachable
from chains.utxo_networks import utxo_network
from tests.fixtures.litecoin import Regtest, start_electrumx, stop_process
from tests.fixtures.tls import certificate_authority, der_fingerprint, issued_cert, self_signed_cert

NET = utxo_network("ltc-regtest")
pytestmark = pytest.mark.regtest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class RenewingServer:
    """An ElectrumX of its own (the session's keeps its certificate) whose certificate the
    test changes: same index, same ports, another certificate after each restart."""

    rt: Regtest
    base: Path
    tcp_port: int
    ssl_port: int
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"ssl://127.0.0.1:{self.ssl_port}"

    def serve(self, cert: tuple[Path, Path]) -> None:
        if self.proc is not None:
            stop_process(self.proc)
        self.proc = start_electrumx(
            self.rt, self.base / "index", cert[0], cert[1], self.tcp_port, self.ssl_port
        )
        asyncio.run(self._until_up())

    async def _until_up(self, timeout: float = 60) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            try:
                async with ElectrumClient(f"tcp://127.0.0.1:{self.tcp_port}", timeout=5) as c:
                    h = await c.request("blockchain.headers.subscribe")
                    if int(h["height"]) >= self.rt.height():
                        return
            except NodeUnreachable:
                pass
            if loop.time() > deadline:
                log = (self.base / "index" / "electrumx.log").read_text(errors="replace")
                raise RuntimeError(f"ElectrumX did not come up: {log[-2000:]}")
            await asyncio.sleep(0.2)


@pytest.fixture(scope="module")
def renewing(
    regtest: Regtest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RenewingServer]:
    base = tmp_path_factory.mktemp("renewing-electrumx")
    (base / "index").mkdir()
    server = RenewingServer(regtest, base, _free_port(), _free_port())
    try:
        yield server
    finally:
        if server.proc is not None:
            stop_process(server.proc)


def _trusting(ca: Path) -> ssl.SSLContext:
    """The 'system authorities' of these tests: only the test CA."""
    return ssl.create_default_context(cafile=str(ca))


async def _height(url: str, pins: MemoryPins, ca: Path | None = None) -> int:
    trust = _trusting(ca) if ca is not None else None
    async with ElectrumClient(url, timeout=10, pins=pins, ssl_context=trust) as c:
        return int((await c.request("blockchain.headers.subscribe"))["height"])


def test_first_certificate_is_pinned_then_a_change_stops_the_server(
    renewing: RenewingServer, regtest: Regtest, tmp_path: Path
) -> None:
    first = self_signed_cert(tmp_path, "first")
    renewing.serve(first)
    pins = MemoryPins()
    ca = certificate_authority(tmp_path)  # trusted, but it issued neither self-signed one

    # First use: trusted and pinned (fingerprint, when, which server).
    assert asyncio.run(_height(renewing.url, pins, ca[0])) == regtest.height()
    pin = pins.get(server_key(renewing.url))
    assert pin is not None and pin.fingerprint == der_fingerprint(first[0])
    assert pin.server == renewing.url and not pin.ca_valid
    # Same certificate again: same pin, nothing rewritten.
    assert asyncio.run(_height(renewing.url, pins, ca[0])) == regtest.height()
    assert pins.get(renewing.url) == pin

    # Another self-signed certificate on the same server: refused, both fingerprints named,
    # and what to do.
    second = self_signed_cert(tmp_path, "second")
    renewing.serve(second)
    with pytest.raises(CertificateChanged) as err:
        asyncio.run(_height(renewing.url, pins, ca[0]))
    text = str(err.value)
    assert der_fingerprint(first[0]) in text and der_fingerprint(second[0]) in text
    assert f"termwallet servers accept-cert {renewing.url} {der_fingerprint(second[0])}" in text
    assert err.value.code == "CERT_CHANGED"
    assert pins.get(renewing.url) == pin  # the pin did not move

    # The backend skips that server for the next one, and keeps the refusal for the app.
    backend = ElectrumBackend(NET, servers=[renewing.url, regtest.electrum_tcp], pins=pins)

    async def through_backend() -> int:
        try:
            return await backend.block_number()
        finally:
            await backend.aclose()

    assert asyncio.run(through_backend()) == regtest.height()
    assert backend.source == regtest.electrum_tcp
    assert isinstance(backend.refused[renewing.url], CertificateChanged)
    # With one server only, the refusal is the error itself (not a list of failures).
    alone = ElectrumBackend(
        NET, servers=[renewing.url, regtest.electrum_tcp], pins=pins, one_server=True
    )
    with pytest.raises(CertificateChanged):
        asyncio.run(alone.block_number())

    # The user checked the new fingerprint and accepts it: the server is used again.
    pins.put(Pin(pin.server, der_fingerprint(second[0]), pin.first_seen, False))
    assert asyncio.run(_height(renewing.url, pins, ca[0])) == regtest.height()


def test_ca_valid_certificates_pass_and_become_the_pin(
    renewing: RenewingServer, regtest: Regtest, tmp_path: Path
) -> None:
    ca = certificate_authority(tmp_path)
    pins = MemoryPins()
    own = self_signed_cert(tmp_path, "own")
    renewing.serve(own)
    asyncio.run(_height(renewing.url, pins, ca[0]))
    assert pins.get(renewing.url).fingerprint == der_fingerprint(own[0])  # type: ignore[union-attr]

    # The server moves to a certificate an authority vouches for: it passes, and is the pin.
    vouched = issued_cert(tmp_path, ca, "vouched")
    renewing.serve(vouched)
    assert asyncio.run(_height(renewing.url, pins, ca[0])) == regtest.height()
    pin = pins.get(renewing.url)
    assert pin is not None and pin.ca_valid and pin.fingerprint == der_fingerprint(vouched[0])
    # ...and renews it (another CA-issued one): passes again.
    renewed = issued_cert(tmp_path, ca, "renewed")
    renewing.serve(renewed)
    assert asyncio.run(_height(renewing.url, pins, ca[0])) == regtest.height()
    assert pins.get(renewing.url).fingerprint == der_fingerprint(renewed[0])  # type: ignore[union-attr]

    # Back to a self-signed one nobody vouches for: that is a change, refused.
    rogue = self_signed_cert(tmp_path, "rogue")
    renewing.serve(rogue)
    with pytest.raises(CertificateChanged, match=der_fingerprint(renewed[0])):
        asyncio.run(_height(renewing.url, pins, ca[0]))
    # A client that has never seen this server pins whatever it shows first.
    fresh = MemoryPins()
    assert asyncio.run(_height(renewing.url, fresh)) == regtest.height()
    assert not fresh.get(renewing.url).ca_valid  # type: ignore[union-attr]


def test_without_pins_an_unknown_certificate_is_still_refused(regtest: Regtest) -> None:
    """The strict mode (no pin store given) stays: only authorities decide."""

    async def connect() -> None:
        async with ElectrumClient(regtest.electrum_ssl, timeout=5):
            pass

    with pytest.raises(NodeUnreachable, match="TLS failed"):
        asyncio.run(connect())
