"""One outbound proxy for every connection the wallet makes (a SOCKS5 proxy such as Tor's at
127.0.0.1:9050). Names are always resolved by the proxy (remote DNS, what `socks5h://` means):
resolving them here would tell the local resolver, and whoever watches it, every server the
wallet talks to.

The proxy is process-wide (`use_proxy`, set from the settings when they are loaded) and every
client asks `proxy_for(url)` when it connects, so no client can be built that forgets it.
Loopback destinations (a node on this machine, the demo's devnet) are reached directly: that
traffic never leaves the machine, and Tor refuses to connect to them anyway.

The libraries: httpx speaks SOCKS through socksio (`httpx[socks]`), raw sockets (Electrum)
go through python-socks, web3's aiohttp session through aiohttp-socks (python-socks again).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from typing import Any
from urllib.parse import urlsplit

from said import Said

SCHEMES = ("socks5h", "socks5")
_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}
_proxy: str | None = None


def use_proxy(url: str | None) -> None:
    """The proxy every later connection goes through (None: connect directly)."""
    global _proxy
    _proxy = check_proxy(url) if url else None


def current_proxy() -> str | None:
    return _proxy


def is_loopback(host: str) -> bool:
    name = host.strip("[]").lower()
    if name in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(name.split("%")[0]).is_loopback
    except ValueError:
        return False


def proxy_for(url_or_host: str, proxy: str | None = None) -> str | None:
    """The proxy a connection to this URL (or host) goes through: `proxy`, else the process's;
    None for loopback destinations or when there is none."""
    chosen = proxy or _proxy
    if chosen is None:
        return None
    host = urlsplit(url_or_host).hostname if "://" in url_or_host else url_or_host
    return None if host and is_loopback(host) else chosen


def check_proxy(url: str) -> str:
    """A proxy URL as the settings take it: socks5h://host:port (socks5:// is read as socks5h:
    names are never resolved here). Raises ValueError saying what to write."""
    parts = urlsplit(url.strip())
    if parts.scheme not in SCHEMES or not parts.hostname:
        raise ValueError(
            Said(
                "proxy.proxy_must_look_like",
                "proxy '{url}' must look like socks5h://127.0.0.1:9050 (a "
                "SOCKS5 proxy such as Tor)",
                url=url,
            )
        )
    try:
        port = parts.port
    except ValueError:
        port = None
    if not port:
        raise ValueError(
            Said(
                "proxy.proxy_needs_port_e",
                "proxy '{url}' needs a port, e.g. socks5h://127.0.0.1:9050",
                url=url,
            )
        )
    return url.strip()


def remote_dns(url: str) -> str:
    """The same proxy as a socks5h:// URL (what httpx needs to leave names to the proxy)."""
    parts = urlsplit(check_proxy(url))
    return parts._replace(scheme="socks5h").geturl()


def _python_socks_url(url: str) -> str:
    """python-socks takes socks5:// and a separate rdns=True for remote DNS."""
    return urlsplit(check_proxy(url))._replace(scheme="socks5").geturl()


def httpx_proxy(url: str, proxy: str | None = None) -> dict[str, Any]:
    """Keyword arguments for an httpx client of `url`: through the proxy (and then not through
    the environment's HTTP(S)_PROXY as well: one route only), or nothing to add."""
    chosen = proxy_for(url, proxy)
    if chosen is None:
        return {}
    return {"proxy": remote_dns(chosen), "trust_env": False}


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
    proxy = proxy_for(host, proxy)
    if proxy is None:
        return await asyncio.open_connection(host, port, ssl=ssl_context, limit=limit)
    from python_socks.async_.asyncio import Proxy

    sock = await Proxy.from_url(_python_socks_url(proxy), rdns=True).connect(
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


def blocking_socket(host: str, port: int, timeout: float) -> socket.socket:
    """A connected socket for blocking clients (smtplib), through the proxy when one is set."""
    proxy = proxy_for(host)
    if proxy is None:
        return socket.create_connection((host, port), timeout)
    from python_socks import ProxyError
    from python_socks.sync import Proxy

    try:
        sock = Proxy.from_url(_python_socks_url(proxy), rdns=True).connect(
            dest_host=host, dest_port=port, timeout=timeout
        )
    except ProxyError as exc:  # the proxy refused (not an OSError): callers handle OSError
        raise ConnectionRefusedError(f"through the proxy: {exc}") from None
    sock.settimeout(timeout)
    return sock


def web3_provider(url: str, timeout: float) -> Any:
    """web3's AsyncHTTPProvider for `url`, its aiohttp sessions through the proxy when one is
    set (aiohttp-socks: aiohttp itself only speaks HTTP proxies)."""
    from web3 import AsyncHTTPProvider

    provider = AsyncHTTPProvider(url, request_kwargs={"timeout": timeout})
    proxy = proxy_for(url)
    if proxy is not None:
        provider._request_session_manager = _proxied_session_manager(_python_socks_url(proxy))
    return provider


def _proxied_session_manager(proxy: str) -> Any:
    """web3's session manager, except that every aiohttp session it hands out connects
    through the proxy. web3 makes its sessions itself (one per event loop, and again when one
    was closed), with a direct connector: each of those paths goes through the one method
    replaced here, so none can connect directly."""
    from aiohttp import ClientSession
    from aiohttp_socks import ProxyConnector

    # A private web3 module (web3 offers no public hook for its sessions' connector);
    # tests/test_proxy_everywhere.py and tests/tui/test_proxy_app.py notice if it changes.
    from web3._utils.http_session_manager import HTTPSessionManager

    class ProxiedSessionManager(HTTPSessionManager):  # type: ignore[misc]
        async def async_cache_and_return_session(
            self, endpoint_uri: Any, session: Any = None, request_timeout: Any = None
        ) -> Any:
            key = f"{id(asyncio.get_running_loop())}:{endpoint_uri}"
            have = self.session_cache.get_cache_entry(key)
            if have is not None and not have.closed and not have._loop.is_closed():
                return have
            fresh = ClientSession(
                raise_for_status=True,
                connector=ProxyConnector.from_url(proxy, rdns=True),
            )
            self.session_cache.pop(key)
            _, evicted = self.session_cache.cache(key, fresh)
            for old in (evicted or {}).values():
                await old.close()
            return fresh

    return ProxiedSessionManager()
