"""Opening the stream to one Electrum server (chains/electrum_client.py speaks JSON-RPC on it):
TCP or TLS, through a proxy where the settings name one (chains/proxy.py), and for TLS the
certificate checked against authorities or, with pins, trusted on first use and pinned
(chains/cert_pins.py). Every failure is a NodeUnreachable naming the server, or
CertificateChanged.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl

from chains.cert_pins import (
    CertificateChanged,
    CertPins,
    Pin,
    fingerprint,
    new_pin,
    server_key,
)
from chains.errors import NodeUnreachable
from chains.proxy import open_connection, proxy_for

MAX_LINE = 32 * 1024 * 1024  # a batch of histories of a busy wallet can be large


class Dialer:
    """How to reach one server: its url (for messages and pins), host, port, the timeout and
    the proxy setting."""

    def __init__(
        self, url: str, host: str, port: int, *, timeout: float, proxy: str | None
    ) -> None:
        self.url = url
        self.host = host
        self.port = port
        self.timeout = timeout
        self.proxy = proxy

    async def open(
        self, ctx: ssl.SSLContext | None
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        errors: tuple[type[BaseException], ...] = ()
        proxy = proxy_for(self.host, self.proxy)
        if proxy is None and self.host.lower().endswith(".onion"):
            raise NodeUnreachable(
                self.url,
                "a .onion server is reachable through Tor only: set proxy = "
                '"socks5h://127.0.0.1:9050" (Tor\'s port) in the settings',
            )
        if proxy is not None:
            from chains.proxy import proxy_errors

            errors = proxy_errors()
        try:
            return await asyncio.wait_for(
                open_connection(
                    self.host,
                    self.port,
                    proxy=proxy,
                    ssl_context=ctx,
                    timeout=self.timeout,
                    limit=MAX_LINE,
                ),
                self.timeout,
            )
        except errors as exc:
            raise NodeUnreachable(self.url, f"through the proxy: {exc}"[:300]) from None
        except TimeoutError:
            raise NodeUnreachable(self.url, "timed out connecting") from None
        except ssl.SSLCertVerificationError as exc:
            raise _NotVouched(self.url, exc.verify_message or "certificate not trusted") from None
        except ssl.SSLError as exc:
            raise NodeUnreachable(self.url, f"TLS failed: {exc.reason or 'handshake'}") from None
        except OSError as exc:
            raise NodeUnreachable(self.url, exc.strerror or type(exc).__name__) from None

    async def open_pinned(
        self, pins: CertPins, ssl_context: ssl.SSLContext | None
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, Pin | None]:
        """Trust on first use (chains/cert_pins.py). One handshake when the server shows its
        pinned certificate; otherwise a second one decides whether an authority vouches for
        what it shows now (then that becomes the pin) or not (first use: pinned; a change:
        CertificateChanged, this server is not used)."""
        key = server_key(self.url)
        pinned = pins.get(key)
        unverified = ssl.create_default_context()
        unverified.check_hostname = False
        unverified.verify_mode = ssl.CERT_NONE  # checked below, against the pin
        reader, writer = await self.open(unverified)
        der = _peer_certificate(writer)
        if der is None:
            await _close(writer)
            raise NodeUnreachable(self.url, "TLS failed: the server showed no certificate")
        if pinned is not None and pinned.fingerprint == fingerprint(der):
            return reader, writer, pinned
        try:
            vouched = await self.open(ssl_context or ssl.create_default_context())
        except _NotVouched:
            vouched = None
        except BaseException:
            await _close(writer)
            raise
        if vouched is not None:
            await _close(writer)
            der_ca = _peer_certificate(vouched[1])
            pin = None
            if der_ca is not None:
                pin = new_pin(key, der_ca, ca_valid=True)
                pins.put(pin)
            return vouched[0], vouched[1], pin
        if pinned is None:
            pin = new_pin(key, der, ca_valid=False)
            pins.put(pin)
            return reader, writer, pin
        await _close(writer)
        raise CertificateChanged(pinned, fingerprint(der))


class _NotVouched(NodeUnreachable):
    """No authority vouches for the server's certificate (a self-signed one, or another host's)."""

    def __init__(self, url: str, why: str) -> None:
        super().__init__(url, f"TLS failed: {why}")


def _peer_certificate(writer: asyncio.StreamWriter) -> bytes | None:
    obj = writer.get_extra_info("ssl_object")
    return obj.getpeercert(binary_form=True) if obj is not None else None


async def _close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(Exception):
        await writer.wait_closed()
