"""Trust on first use for Electrum servers' TLS certificates, as Electrum does.

Most public Electrum servers present self-signed certificates, which a client trusting only
the system's certificate authorities refuses. So the first certificate a server presents is
remembered (its SHA-256 fingerprint, when, which server) and every later connection must
present the same one; a different one stops that server with CertificateChanged, naming both
fingerprints and the command that accepts the new one once the user has checked it with the
server's operator. A certificate the system's authorities vouch for (for the server's host
name) passes even when it changed (such servers renew every few months) and becomes the new pin.

The pins are kept by the caller (the wallet keeps them in its SQLite store, see
wallet/server_certs.py): the chain layer only reads and writes them through CertPins.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol
from urllib.parse import urlsplit

from chains.errors import NodeUnreachable
from said import Said


@dataclass(frozen=True)
class Pin:
    server: str  # 'ssl://host:port', as server_key() writes it
    fingerprint: str  # SHA-256 of the DER certificate, 'AB:CD:...' as openssl prints it
    first_seen: datetime
    ca_valid: bool  # the system's authorities vouched for it when it was pinned


class CertPins(Protocol):
    def get(self, server: str) -> Pin | None: ...

    def put(self, pin: Pin) -> None: ...


class MemoryPins:
    """Pins for one process only (tools, tests): the wallet keeps its pins on disk."""

    def __init__(self) -> None:
        self.pins: dict[str, Pin] = {}

    def get(self, server: str) -> Pin | None:
        return self.pins.get(server)

    def put(self, pin: Pin) -> None:
        self.pins[pin.server] = pin


def server_key(url: str) -> str:
    """One spelling per server: 'ssl://host:port' with the host in lower case."""
    parts = urlsplit(url.strip())
    if parts.scheme != "ssl" or not parts.hostname or not parts.port:
        raise ValueError(
            Said(
                "cert_pins.not_electrum_tls_server",
                "'{url}' is not an Electrum TLS server (ssl://host:port)",
                url=url,
            )
        )
    host = parts.hostname.lower()
    return f"ssl://[{host}]:{parts.port}" if ":" in host else f"ssl://{host}:{parts.port}"


def fingerprint(der: bytes) -> str:
    """'AB:CD:...': what `openssl x509 -noout -fingerprint -sha256` prints, so a user can
    compare it with what the server's operator publishes."""
    return ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())


def normalise_fingerprint(text: str) -> str:
    """A SHA-256 fingerprint typed or pasted with or without colons, any case."""
    raw = text.strip().replace(":", "").replace(" ", "")
    if raw.lower().startswith("sha256="):  # openssl's own prefix, pasted whole
        raw = raw[len("sha256=") :]
    try:
        digest = bytes.fromhex(raw)
    except ValueError:
        digest = b""
    if len(digest) != 32:
        raise ValueError(
            Said(
                "cert_pins.not_sha_256_fingerprint",
                "'{text}' is not a SHA-256 fingerprint: 64 hex digits, "
                "colons optional (openssl x509 -noout -fingerprint -sha256 "
                "prints one)",
                text=text[:120],
            )
        )
    return ":".join(f"{b:02X}" for b in digest)


def new_pin(server: str, der: bytes, *, ca_valid: bool) -> Pin:
    return Pin(server_key(server), fingerprint(der), datetime.now(UTC), ca_valid)


class CertificateChanged(NodeUnreachable):
    """The server presented another certificate than the one pinned, and no authority vouches
    for the new one: someone may be between us and the server. That server is not used."""

    code = "CERT_CHANGED"

    def __init__(self, pin: Pin, presented: str) -> None:
        command = f"termwallet servers accept-cert {pin.server} {presented}"
        super().__init__(
            pin.server,
            f"its TLS certificate changed: it was {pin.fingerprint} (first seen "
            f"{pin.first_seen:%Y-%m-%d %H:%M} UTC), now it is {presented}. This server is not "
            "used until you accept the new certificate: check the new fingerprint with the "
            f"server's operator, then run `{command}`",
        )
        self.details.update(
            pinned=pin.fingerprint,
            presented=presented,
            first_seen=f"{pin.first_seen:%Y-%m-%d %H:%M}",
            command=command,
        )
        self.pin, self.presented, self.command = pin, presented, command
