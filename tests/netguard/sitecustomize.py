"""Tests never reach beyond this machine.

tests/conftest.py puts this folder first on PYTHONPATH for the whole test session, so Python
loads this module at start-up in the test process and in every Python subprocess a test starts
(the CLI, ElectrumX). It makes name resolution refuse anything but loopback addresses: a test
that would talk to a public node (a default server, a fallback URL) fails with this message
instead of trying. Non-Python programs (anvil, litecoind) are started on 127.0.0.1 by their
fixtures.
"""

from __future__ import annotations

import ipaddress
import socket

_real_getaddrinfo = socket.getaddrinfo
_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def _guarded_getaddrinfo(host, *args, **kwargs):  # type: ignore[no-untyped-def]
    if host is None:  # binding to all local interfaces: no traffic leaves by this call
        return _real_getaddrinfo(host, *args, **kwargs)
    name = host.decode() if isinstance(host, bytes) else str(host)
    if name.lower() not in _LOCAL_NAMES:
        try:
            ip = ipaddress.ip_address(name.strip("[]").split("%")[0])
        except ValueError:
            raise socket.gaierror(
                socket.EAI_NONAME, f"tests may not resolve {name!r}: only loopback is reachable"
            ) from None
        if not (ip.is_loopback or ip.is_unspecified):
            raise socket.gaierror(socket.EAI_NONAME, f"tests may not reach {name}: not loopback")
    return _real_getaddrinfo(host, *args, **kwargs)


socket.getaddrinfo = _guarded_getaddrinfo


# --- proxy-only mode -----------------------------------------------------------------------
# Proxy tests (tests/test_proxy_everywhere.py) switch this on in their own process: every
# outbound socket must then connect to the SOCKS proxy and nowhere else, and no name may be
# resolved here (the proxy resolves them: remote DNS). A connection or look-up around the
# proxy fails AND is recorded, so a client that swallows the error still fails the test.

_only_via: tuple[str, int] | None = None
violations: list[str] = []
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def only_through(proxy: tuple[str, int] | None) -> None:
    """Allow connections to `proxy` only (None: back to the loopback-only guard)."""
    global _only_via
    _only_via = proxy
    violations.clear()


def _check_destination(sock: socket.socket, address: object) -> None:
    if _only_via is None or sock.family not in (socket.AF_INET, socket.AF_INET6):
        return
    host, port = address[0], address[1]  # type: ignore[index]
    if (host, port) != _only_via:
        violations.append(f"connect {host}:{port}")
        raise ConnectionRefusedError(f"netguard: {host}:{port} bypassed the proxy {_only_via}")


def _guarded_connect(self, address):  # type: ignore[no-untyped-def]
    _check_destination(self, address)
    return _real_connect(self, address)


def _guarded_connect_ex(self, address):  # type: ignore[no-untyped-def]
    _check_destination(self, address)
    return _real_connect_ex(self, address)


_loopback_guard = socket.getaddrinfo


def _proxy_only_getaddrinfo(host, *args, **kwargs):  # type: ignore[no-untyped-def]
    if _only_via is not None and host is not None:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name != _only_via[0]:
            violations.append(f"resolve {name}")
            raise socket.gaierror(
                socket.EAI_NONAME, f"netguard: {name!r} resolved here, not by the proxy"
            )
    return _loopback_guard(host, *args, **kwargs)


socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
socket.getaddrinfo = _proxy_only_getaddrinfo
