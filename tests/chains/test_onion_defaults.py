"""Built-in .onion Electrum servers (issue 19) are used only with a proxy set, after the other
built-in servers, and never beside the user's own servers. No connection is made: the server
list is what is checked (reaching an onion service needs Tor, which is not here)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from chains.electrum import ElectrumBackend
from chains.proxy import current_proxy, use_proxy
from chains.utxo_networks import UTXO_NETWORKS, utxo_network

TOR = "socks5h://127.0.0.1:9050"


@pytest.fixture
def no_proxy() -> Iterator[None]:
    before = current_proxy()
    use_proxy(None)
    try:
        yield
    finally:
        use_proxy(before)


def _onions(servers: tuple[str, ...]) -> list[str]:
    return [s for s in servers if ".onion" in s]


def test_without_a_proxy_no_onion_server_is_tried(no_proxy: None) -> None:
    for net in UTXO_NETWORKS.values():
        if net.electrum_servers:
            assert _onions(ElectrumBackend(net).servers) == []


def test_with_a_proxy_the_onion_servers_come_after_the_others(no_proxy: None) -> None:
    btc = utxo_network("btc")
    assert btc.electrum_onion_servers  # Blockstream's, from Electrum's own servers.json
    for backend in (ElectrumBackend(btc, proxy=TOR), None):
        if backend is None:
            use_proxy(TOR)  # the settings' proxy, as load_settings sets it
            backend = ElectrumBackend(btc)
        servers = backend.servers
        assert servers[: len(btc.electrum_servers)] == btc.electrum_servers
        assert _onions(servers) == list(btc.electrum_onion_servers)


def test_the_users_own_servers_replace_the_onion_ones_too(no_proxy: None) -> None:
    mine = utxo_network("btc", electrum_servers={"btc": ["ssl://my.node:50002"]})
    assert ElectrumBackend(mine, proxy=TOR).servers == ("ssl://my.node:50002",)


def test_onion_addresses_are_v3_and_only_in_the_onion_list() -> None:
    for net in UTXO_NETWORKS.values():
        assert _onions(net.electrum_servers) == [] and _onions(net.esplora_urls) == []
        for url in net.electrum_onion_servers:
            # v2 onion services (16 characters) were retired by Tor in 2021.
            assert re.fullmatch(r"(tcp|ssl)://[a-z2-7]{56}\.onion:\d+", url), url
