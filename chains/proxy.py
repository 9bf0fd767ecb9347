"""One outbound proxy for every connection the wallet makes (a SOCKS5 proxy such as Tor's at
127.0.0.1:9050). Names are always resolved by the proxy (remote DNS, what `socks5h://` means):
resolving them here would tell the local resolver, and whoever watches it, every server the
wallet talks to.

The libraries: httpx speaks SOCKS through socksio (`httpx[socks]`), raw sockets (Electrum)
go through python-socks, web3's aiohttp session through aiohttp-socks (python-socks again).
"""

from __future__ import annotations

import asyncio
import ssl
from typing import Any
from urllib.parse import urlsplit

SCHEMES = ("socks5h", "socks5")


def check_proxy(url: str) -> str:
    """A proxy URL as the settings take it: socks5h://host:port (socks5:// is read as socks5h:
    names are never resolved here). Raises ValueError saying what to write."""
    parts = urlsplit(url.strip())
    if parts.scheme not in SCHEMES or not parts.hostname:
        raise ValueError(
            f"proxy '{url}' must look like socks5h://127.0.0.1:9050 (a SOCKS5 proxy such as Tor)"
        )
    try:
        port = parts.port
    except ValueError:
        port = None
    if not port:
        raise ValueError(f"proxy '{url}' needs a port, e.g. socks5h://127.0.0.1:9050")
    return url.strip()


def remote_dns(url: str) -> str:
    """The same proxy as a socks5h:// URL (what httpx needs to leave names to the proxy)."""
    parts = urlsplit(check_proxy(url))
    return parts._replace(scheme="socks5h").geturl()


def httpx_proxy(proxy: str | None) -> dict[str, Any]:
    """Keyword arguments for httpx.AsyncClient: through the proxy, or straight (and then not
    from the environment's HTTP(S)_PROXY either when a proxy is set: one route only)."""
    if proxy is None:
        return {}
    return {"proxy": remote_dns(proxy), "trust_env": False}


async def open_connection(
    host: str,
    port: int,
    *,
    proxy: str | None,
    ssl_context: ssl.SSLContext | None,
    timeout: float,
    limit: int,
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """asyncio.open_connection, through the SOCKS5 proxy when one is set (TLS on top of the
    proxied socket, with the server's own name for SNI and certificate checks)."""
    if proxy is None:
        return await asyncio.open_connection(host, port, ssl=ssl_context, limit=limit)
    from python_socks.async_.asyncio import Proxy

    sock = await Proxy.from_url(remote_dns(proxy), rdns=True).connect(
        dest_host=host, dest_port=port, timeout=timeout
    )
    return await asyncio.open_connection(
        sock=sock,
        ssl=ssl_context,
        server_hostname=host if ssl_context is not None else None,
        limit=limit,
    )


def proxy_errors() -> tuple[type[BaseException], ...]:
    """python-socks' failures (the proxy refused, is down, timed out): callers turn them into
    NodeUnreachable naming the proxy."""
    from python_socks import ProxyConnectionError, ProxyError, ProxyTimeoutError

    return (ProxyConnectionError, ProxyError, ProxyTimeoutError)
