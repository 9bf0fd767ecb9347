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
