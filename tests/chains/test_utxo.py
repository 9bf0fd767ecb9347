"""chains/utxo.py without a network: numbers, addresses, coin selection, PSBT assembly."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chains.coin_selection import Coin, estimate_vsize, select_coins
from chains.errors import ChainError, InsufficientFunds
from chains.units import number_token_to_int
from chains.utxo import (
    AddressError,
    PsbtAssemblyError,
    address_to_script,
    build_psbt,
    finalize_psbt,
    script_to_address,
)
from chains.utxo_networks import UTXO_NETWORKS, utxo_network

BTC, LTC = utxo_network("btc"), utxo_network("ltc")
WPKH = b"\x00\x14" + bytes(range(20))


@pytest.mark.parametrize(
    ("token", "decimals", "up", "want"),
    [
        ("0.00001", 8, False, 1000),
        ("1e-05", 8, False, 1000),
        ("1E-5", 8, False, 1000),
        ("87.882", 0, True, 88),
        ("87.882", 0, False, 87),
        ("2", 0, True, 2),
        ("-1", 8, False, -100_000_000),
        ("0.000012345", 8, True, 1235),
        ("12.5e2", 0, False, 1250),
    ],
)
def test_number_tokens_are_exact(token: str, decimals: int, up: bool, want: int) -> None:
    assert number_token_to_int(token, decimals, round_up=up) == want


@given(st.integers(min_value=0, max_value=10**20), st.integers(min_value=0, max_value=12))
def test_number_token_round_trip(n: int, places: int) -> None:
    text = str(n).rjust(places + 1, "0")
    token = f"{text[:-places]}.{text[-places:]}" if places else text
    assert number_token_to_int(token, places) == n
    assert number_token_to_int(f"{n}e-{places}", places) == n


def test_number_token_refuses_text() -> None:
    with pytest.raises(ValueError):
        number_token_to_int("NaN", 8)


# BIP173/BIP350 vectors and well-known addresses.
@pytest.mark.parametrize(
    ("net", "address", "script_hex"),
    [
        (
            "btc",
            "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",
            "0014751e76e8199196d454941c45d1b3a323f1433bd6",
        ),
        (
            "btc",
            "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
            "512079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798",
        ),
        (
            "btc",
            "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2",
            "76a91477bff20c60e522dfaa3350c39b030a5d004e839a88ac",
        ),
        (
            "btc",
            "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",
            "a914b472a266d0bd89c13706a4132ccfb16f7c3b9fcb87",
        ),
    ],
)
def test_addresses_to_scripts_and_back(net: str, address: str, script_hex: str) -> None:
    n = utxo_network(net)
    script = address_to_script(address, n)
    assert script.hex() == script_hex
    bech32 = address.lower().startswith(n.hrp + "1")
    assert script_to_address(script, n) == (address.lower() if bech32 else address)


@pytest.mark.parametrize("net", ["ltc", "ltc-testnet", "ltc-regtest", "btc-regtest"])
@pytest.mark.parametrize("version", [0, 1])
def test_segwit_addresses_agree_with_bip_utils(net: str, version: int) -> None:
    from bip_utils import SegwitBech32Encoder

    n = utxo_network(net)
    program = bytes(range(20)) if version == 0 else bytes(range(32))
    script = bytes([0x50 + version if version else 0, len(program)]) + program
    expected = SegwitBech32Encoder.Encode(n.hrp, version, program)
    assert script_to_address(script, n) == expected
    assert address_to_script(expected, n) == script


@pytest.mark.parametrize(
    ("net", "address"),
    [
        ("ltc", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"),  # a Bitcoin address on Litecoin
        ("btc", "ltc1qqqqsyqcyq5rqwzqfpg9scrgwpugpzysn3s44dy"),
        ("btc", "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx"),  # testnet on mainnet
        ("btc", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdr"),  # checksum typo
        ("btc", "LVg2kJoFNg45Nbpy53h7Fe1wKyeXVRhMH9"),  # Litecoin legacy on Bitcoin
        ("btc", "not an address"),
    ],
)
def test_wrong_network_or_typo_is_refused(net: str, address: str) -> None:
    with pytest.raises(AddressError):
        address_to_script(address, utxo_network(net))


def test_user_servers_replace_the_built_in_ones_and_are_checked() -> None:
    net = utxo_network("ltc", electrum_servers={"ltc": ["tcp://127.0.0.1:50001"]})
    # Theirs only: no public server (Electrum or Esplora) to fall back on while theirs is down.
    assert net.electrum_servers == ("tcp://127.0.0.1:50001",) and net.esplora_urls == ()
    assert UTXO_NETWORKS["ltc"].electrum_servers  # the built-in ones exist, unused here
    rest = utxo_network("ltc", esplora_urls={"ltc": ["https://my.node/api"]})
    assert rest.esplora_urls == ("https://my.node/api",) and rest.electrum_servers == ()
    assert (
        utxo_network("btc", electrum_servers={"ltc": ["tcp://127.0.0.1:1"]}) == UTXO_NETWORKS["btc"]
    )
    with pytest.raises(ValueError, match="tcp:// or ssl://"):
        utxo_network("ltc", electrum_servers={"ltc": ["http://x:1"]})
    with pytest.raises(ValueError, match="unknown network"):
        utxo_network("doge")
    assert net.to_network().kind == "utxo"


PUB = bytes.fromhex("031b84c5567b126440995d3ed5aaba0565d71e1834604819ff9c17f5e9d5dd078f")


def _coin(value: int, n: int, height: int = 100, kind: str = "p2wpkh") -> Coin:
    txid = hashlib.sha256(n.to_bytes(4, "big")).hexdigest()
    return Coin(txid, 0, value, height, WPKH, kind, (84 | 0x80000000, 0, 0), PUB)


def test_selection_prefers_confirmed_then_large_and_makes_change() -> None:
    coins = [_coin(50_000, 1), _coin(400_000, 2, height=0), _coin(300_000, 3), _coin(200_000, 4)]
    sel = select_coins(coins, [(WPKH, 250_000)], 10, WPKH, dust_limit=294, symbol="BTC")
    assert [c.value for c in sel.coins] == [300_000]  # confirmed and largest
    assert sel.vsize == estimate_vsize(["p2wpkh"], [WPKH, WPKH])
    assert sel.fee == sel.vsize * 10
    assert sel.change == 300_000 - 250_000 - sel.fee


def test_dust_change_goes_to_the_fee() -> None:
    size = estimate_vsize(["p2wpkh"], [WPKH])
    coin = _coin(100_000 + size * 2 + 100, 1)  # 100 over target+fee: less than dust
    sel = select_coins([coin], [(WPKH, 100_000)], 2, WPKH, dust_limit=294, symbol="BTC")
    assert sel.change == 0 and sel.fee == size * 2 + 100


def test_send_max_and_insufficient_funds() -> None:
    coins = [_coin(10_000, 1), _coin(20_000, 2, kind="p2tr")]
    sel = select_coins(coins, [(WPKH, 0)], 3, WPKH, dust_limit=294, symbol="BTC", send_max=True)
    assert len(sel.coins) == 2 and sel.change == 0
    assert sel.fee == estimate_vsize(["p2wpkh", "p2tr"], [WPKH]) * 3
    with pytest.raises(InsufficientFunds) as err:
        select_coins(coins, [(WPKH, 30_000)], 3, WPKH, dust_limit=294, symbol="BTC")
    assert err.value.have == 30_000 and err.value.need > 30_000
    with pytest.raises(ChainError, match="dust"):
        select_coins(coins, [(WPKH, 100)], 3, WPKH, dust_limit=294, symbol="BTC")


@given(
    st.lists(st.integers(min_value=1_000, max_value=10**8), min_size=1, max_size=12),
    st.integers(min_value=546, max_value=10**8),
    st.integers(min_value=1, max_value=200),
)
def test_selection_balances_exactly(values: list[int], amount: int, rate: int) -> None:
    coins = [_coin(v, i) for i, v in enumerate(values)]
    try:
        sel = select_coins(coins, [(WPKH, amount)], rate, WPKH, dust_limit=294, symbol="BTC")
    except InsufficientFunds:
        assert sum(values) < amount + estimate_vsize(["p2wpkh"] * len(values), [WPKH, WPKH]) * rate
        return
    total = sum(c.value for c in sel.coins)
    assert total == amount + sel.fee + sel.change  # nothing created or lost
    assert sel.fee >= sel.vsize * rate  # never below the asked rate
    assert sel.change == 0 or sel.change >= 294


def test_psbt_is_rbf_sorted_and_names_our_keys() -> None:
    from embit.psbt import PSBT

    coins = (_coin(200_000, 1), _coin(300_000, 2))
    from chains.coin_selection import Selection

    sel = Selection(coins, 1_000, 100_000, 0)
    u = build_psbt(sel, [(WPKH, 399_000)], None, b"\x01\x02\x03\x04", locktime=800_000)
    p = PSBT.parse(u.psbt)
    assert [i.sequence for i in p.inputs] == [0xFFFFFFFD, 0xFFFFFFFD]
    assert p.locktime == 800_000
    # BIP69: inputs by txid as displayed, outputs by amount then script.
    assert [i.txid.hex() for i in p.inputs] == sorted(c.txid for c in coins)
    assert [c.txid for c in coins] != sorted(c.txid for c in coins)  # the order was changed
    for inp in p.inputs:
        ((_, der),) = inp.bip32_derivations.items()
        assert der.fingerprint == b"\x01\x02\x03\x04"
    assert u.fee == 500_000 - 399_000
    with pytest.raises(PsbtAssemblyError):
        build_psbt(sel, [(WPKH, 1)], None, b"\x01")


def test_finalize_refuses_a_psbt_for_another_transaction() -> None:
    from chains.coin_selection import Selection

    sel = Selection((_coin(300_000, 2),), 1_000, 0, 0)
    a = build_psbt(sel, [(WPKH, 299_000)], None, b"\x01\x02\x03\x04")
    b = build_psbt(sel, [(WPKH, 298_000)], None, b"\x01\x02\x03\x04")
    with pytest.raises(PsbtAssemblyError, match="another transaction"):
        finalize_psbt(b.psbt, a)
    with pytest.raises(PsbtAssemblyError, match="not signed"):
        finalize_psbt(a.psbt, a)
    with pytest.raises(PsbtAssemblyError, match="no valid PSBT"):
        finalize_psbt(b"psbt\xff garbage", a)


@pytest.mark.parametrize(
    ("version", "size"), [(1, 20), (1, 40), (2, 32), (16, 2)], ids=lambda v: str(v)
)
def test_witness_programs_without_rules_are_refused(version: int, size: int) -> None:
    """Valid bech32m, but anyone can spend such outputs today (a 20-byte v1 is not taproot)."""
    from bip_utils import SegwitBech32Encoder

    address = SegwitBech32Encoder.Encode("bc", version, bytes(range(size)))
    with pytest.raises(AddressError, match="anyone could take"):
        address_to_script(address, utxo_network("btc"))


def test_mixed_case_bech32_is_refused_and_all_caps_accepted() -> None:
    address = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
    net = utxo_network("btc")
    with pytest.raises(AddressError, match="mixes upper and lower case"):
        address_to_script("bc1qAR0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", net)
    assert address_to_script(address.upper(), net) == address_to_script(address, net)
