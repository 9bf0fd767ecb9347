"""The decoder of 0x Exchange Proxy calldata (chains/swaps/aggregator_calldata.py): what the
wallet reads from the bytes it signs, against calldata encoded independently (eth_abi here, and
web3 with the solc-compiled ABI of the anvil fixture that executes it)."""

from __future__ import annotations

import pytest
from eth_abi import encode

from chains.errors import BadResponse
from chains.swaps.aggregator_calldata import (
    SELL_TO_UNISWAP,
    TRANSFORM_ERC20,
    ExchangeCall,
    UnknownFunction,
    decode_exchange_call,
    selector,
)
from tests.fixtures.swap_contracts import NATIVE, artifact

WETH = "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2"
DAI = "0x6B175474E89094C44Da98b954EedeAC495271d0F"
USDC = "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48"


def transform(sell: str, buy: str, amount: int, minimum: int, steps: int = 2) -> bytes:
    transformations = [(n, bytes([n]) * 40) for n in range(steps)]
    return selector(TRANSFORM_ERC20) + encode(
        ["address", "address", "uint256", "uint256", "(uint32,bytes)[]"],
        [sell, buy, amount, minimum, transformations],
    )


def uniswap(tokens: list[str], amount: int, minimum: int, sushi: bool = False) -> bytes:
    return selector(SELL_TO_UNISWAP) + encode(
        ["address[]", "uint256", "uint256", "bool"], [tokens, amount, minimum, sushi]
    )


def test_selectors_are_the_ones_0x_quotes_carry() -> None:
    """Computed from the signatures; 0x's published v1 quotes start with these (transformERC20:
    the /swap/v1/quote example; sellToUniswap: its VIP Uniswap route)."""
    assert selector(TRANSFORM_ERC20).hex() == "415565b0"
    assert selector(SELL_TO_UNISWAP).hex() == "d9627aa4"


def test_the_fixture_contract_has_0x_exact_functions() -> None:
    """The anvil stand-in's solc ABI gives the same selectors: the on-chain tests exercise the
    decoder on what 0x's contract would be called with."""
    from eth_utils import function_abi_to_4byte_selector

    abi = artifact("LocalExchangeProxy")["abi"]
    sels = {i["name"]: bytes(function_abi_to_4byte_selector(i)) for i in abi
            if i["type"] == "function"}  # fmt: skip
    assert sels["transformERC20"] == selector(TRANSFORM_ERC20)
    assert sels["sellToUniswap"] == selector(SELL_TO_UNISWAP)


def test_transform_erc20_is_read_whatever_its_transformations() -> None:
    got = decode_exchange_call(transform(USDC.lower(), NATIVE, 25 * 10**6, 8 * 10**15))
    assert got == ExchangeCall("transformERC20", USDC, NATIVE, 25 * 10**6, 8 * 10**15)
    assert decode_exchange_call(transform(WETH, DAI, 1, 0, steps=0)).min_buy_amount == 0


def test_transform_erc20_encoded_by_web3_from_the_fixture_abi() -> None:
    from web3 import Web3

    c = Web3().eth.contract(address=DAI, abi=artifact("LocalExchangeProxy")["abi"])
    data = c.functions.transformERC20(WETH, DAI, 10**18, 3_000 * 10**18, [(1, b"\x01\x02")])
    got = decode_exchange_call(bytes.fromhex(data._encode_transaction_data()[2:]))
    assert got == ExchangeCall("transformERC20", WETH, DAI, 10**18, 3_000 * 10**18)


def test_sell_to_uniswap_reads_the_ends_of_its_path() -> None:
    got = decode_exchange_call(uniswap([NATIVE, WETH, DAI], 10**17, 299 * 10**18, sushi=True))
    assert got == ExchangeCall("sellToUniswap", NATIVE, DAI, 10**17, 299 * 10**18)


@pytest.mark.parametrize(
    "data",
    [
        uniswap([DAI], 1, 1),  # a path of one token trades nothing
        transform(WETH, DAI, 1, 1)[:-32],  # cut short
        transform(WETH, DAI, 1, 1)[:4],  # the selector alone
        selector(SELL_TO_UNISWAP) + (2**255).to_bytes(32, "big") + bytes(96),  # wild offset
        # an address word with bits above 160: eth_abi's strict mode refuses it
        selector(TRANSFORM_ERC20) + b"\x01" + bytes(31) + transform(WETH, DAI, 1, 1)[36:],
    ],
    ids=["one-token-path", "truncated", "selector-only", "wild-offset", "dirty-address"],
)
def test_calldata_that_does_not_decode_is_refused(data: bytes) -> None:
    with pytest.raises(BadResponse) as err:
        decode_exchange_call(data)
    assert not isinstance(err.value, UnknownFunction)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x12\x34",
        bytes.fromhex("12345678") + bytes(128),
        # sellToLiquidityProvider and the Uniswap V3 functions are not read (recipient, WETH)
        selector("sellTokenForTokenToUniswapV3(bytes,uint256,uint256,address)") + bytes(128),
    ],
)
def test_a_function_the_wallet_does_not_read_is_named_unknown(data: bytes) -> None:
    with pytest.raises(UnknownFunction, match="cannot read"):
        decode_exchange_call(data)
