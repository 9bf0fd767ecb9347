"""Bitcoin-like networks: address prefixes, BIP32 versions, sizes that matter for fees, and the
servers a wallet talks to by default. A user's own servers (settings `electrum_servers` /
`esplora_urls`, keyed by network id) replace the built-in ones: never both."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from chains.models import ChainKind, Network
from said import Said


@dataclass(frozen=True)
class UtxoNetwork:
    id: str
    name: str
    symbol: str
    hrp: str  # bech32 prefix of segwit addresses
    p2pkh: bytes  # base58 version byte of legacy addresses (sending to them only)
    p2sh: tuple[bytes, ...]  # base58 version bytes of script-hash addresses
    coin_type: int  # BIP44 coin type of this network's accounts
    xpub: bytes  # BIP32 version bytes of an account's public key
    testnet: bool
    # 'tcp://host:port' or 'ssl://host:port' (the Electrum protocol)
    electrum_servers: tuple[str, ...] = ()
    # Tor onion services of well-known operators: tried after electrum_servers, and only when
    # a proxy is set (chains/electrum.py): without Tor a .onion cannot be reached at all.
    electrum_onion_servers: tuple[str, ...] = ()
    esplora_urls: tuple[str, ...] = ()  # REST base URLs ('https://host/api')
    explorer_url: str | None = None
    decimals: int = 8
    # Outputs below this are not relayed: Bitcoin Core's dust rule (3 sat/vB) for the largest
    # output we make, P2TR (330); Litecoin Core's dust fee is ten times higher (3,300; its
    # wallet was seen refusing 1,000 litoshi and taking 2,940 to P2WPKH). Change smaller than
    # this goes to the fee instead.
    dust_limit: int = 330
    # Floor for fee rates when the server has no estimate (regtest, fresh testnets), sat/vB.
    min_fee_rate: int = 1
    family: str = field(default="")  # which stored accounts serve this network

    def to_network(self) -> Network:
        """The generic description the rest of the app lists networks by."""
        return Network(
            id=self.id,
            name=self.name,
            kind=ChainKind.UTXO,
            native_symbol=self.symbol,
            native_decimals=self.decimals,
            rpc_urls=self.electrum_servers + self.esplora_urls,
            explorer_url=self.explorer_url,
            testnet=self.testnet,
        )

    def embit_network(self) -> dict[str, object]:
        """The network dict embit's address and key encoders take."""
        return {
            "name": self.name,
            "p2pkh": self.p2pkh,
            "p2sh": self.p2sh[0],
            "bech32": self.hrp,
            "xpub": self.xpub,
            "bip32": self.coin_type,
        }


_XPUB = bytes.fromhex("0488b21e")
_TPUB = bytes.fromhex("043587cf")

UTXO_NETWORKS: dict[str, UtxoNetwork] = {
    n.id: n
    for n in (
        UtxoNetwork(
            id="btc",
            name="Bitcoin",
            symbol="BTC",
            hrp="bc",
            p2pkh=b"\x00",
            p2sh=(b"\x05",),
            coin_type=0,
            xpub=_XPUB,
            testnet=False,
            electrum_servers=(
                "ssl://electrum.blockstream.info:50002",
                "ssl://bitcoin.lu.ke:50002",
            ),
            # Blockstream's onion service (the operator of electrum.blockstream.info above),
            # Electrum protocol on TCP 110: listed in spesmilo/electrum's electrum/servers.json
            # ("explorerzydxu5...onion": {"t": "110"}) and used so in bitcoindevkit's
            # rust-electrum-client examples. TCP, not TLS: the onion address itself
            # authenticates the server and Tor encrypts the way there.
            electrum_onion_servers=(
                "tcp://explorerzydxu5ecjrkwceayqybizmpjjznk5izmitf2modhcusuqlid.onion:110",
            ),
            esplora_urls=("https://blockstream.info/api", "https://mempool.space/api"),
            explorer_url="https://mempool.space",
            family="btc",
        ),
        UtxoNetwork(
            id="btc-testnet",
            name="Bitcoin Testnet",
            symbol="tBTC",
            hrp="tb",
            p2pkh=b"\x6f",
            p2sh=(b"\xc4",),
            coin_type=1,
            xpub=_TPUB,
            testnet=True,
            electrum_servers=("ssl://electrum.blockstream.info:60002",),
            esplora_urls=("https://blockstream.info/testnet/api",),
            explorer_url="https://mempool.space/testnet",
            family="btc-testnet",
        ),
        UtxoNetwork(
            id="btc-regtest",
            name="Bitcoin Regtest",
            symbol="rBTC",
            hrp="bcrt",
            p2pkh=b"\x6f",
            p2sh=(b"\xc4",),
            coin_type=1,
            xpub=_TPUB,
            testnet=True,
            family="btc-testnet",
        ),
        UtxoNetwork(
            id="ltc",
            name="Litecoin",
            symbol="LTC",
            hrp="ltc",
            dust_limit=3300,
            p2pkh=b"\x30",
            p2sh=(b"\x32", b"\x05"),  # M... and the old 3... addresses
            coin_type=2,
            xpub=_XPUB,
            testnet=False,
            electrum_servers=(
                "ssl://electrum.ltc.xurious.com:50002",
                "ssl://backup.electrum-ltc.org:443",
            ),
            esplora_urls=("https://litecoinspace.org/api",),
            explorer_url="https://litecoinspace.org",
            family="ltc",
        ),
        UtxoNetwork(
            id="ltc-testnet",
            name="Litecoin Testnet",
            symbol="tLTC",
            hrp="tltc",
            dust_limit=3300,
            p2pkh=b"\x6f",
            p2sh=(b"\x3a", b"\xc4"),
            coin_type=1,
            xpub=_TPUB,
            testnet=True,
            electrum_servers=("ssl://electrum-ltc.bysh.me:51002",),
            esplora_urls=("https://litecoinspace.org/testnet/api",),
            explorer_url="https://litecoinspace.org/testnet",
            family="ltc-testnet",
        ),
        UtxoNetwork(
            id="ltc-regtest",
            name="Litecoin Regtest",
            symbol="rLTC",
            hrp="rltc",
            dust_limit=3300,
            p2pkh=b"\x6f",
            p2sh=(b"\x3a", b"\xc4"),
            coin_type=1,
            xpub=_TPUB,
            testnet=True,
            family="ltc-testnet",
        ),
    )
}


def utxo_network(
    network_id: str,
    *,
    electrum_servers: dict[str, list[str]] | None = None,
    esplora_urls: dict[str, list[str]] | None = None,
) -> UtxoNetwork:
    """A built-in network, with the user's servers instead of the built-in ones when they name
    any for it (either protocol): a public server as a fallback would receive every address
    of the wallet whenever the user's own node is down."""
    try:
        net = UTXO_NETWORKS[network_id]
    except KeyError:
        known = ", ".join(UTXO_NETWORKS)
        raise ValueError(
            Said(
                "utxo_networks.unknown_network_choose_one",
                "unknown network '{network_id}': choose one of {known}",
                network_id=network_id,
                known=known,
            )
        ) from None
    mine_e = tuple((electrum_servers or {}).get(network_id, ()))
    mine_h = tuple((esplora_urls or {}).get(network_id, ()))
    for url in mine_e:
        if not (url.startswith("tcp://") or url.startswith("ssl://")):
            raise ValueError(
                Said(
                    "utxo_networks.electrum_server_must_start",
                    "Electrum server '{url}' must start with tcp:// or ssl://",
                    url=url,
                )
            )
    for url in mine_h:
        if not (url.startswith("https://") or url.startswith("http://")):
            raise ValueError(
                Said(
                    "utxo_networks.esplora_url_must_start",
                    "Esplora URL '{url}' must start with https:// or http://",
                    url=url,
                )
            )
    if not (mine_e or mine_h):
        return net
    return replace(
        net,
        electrum_servers=tuple(dict.fromkeys(mine_e)),
        electrum_onion_servers=(),  # the user's servers replace every built-in one
        esplora_urls=tuple(dict.fromkeys(mine_h)),
    )
