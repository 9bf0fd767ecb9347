"""What an aggregator's calldata asks 0x's Exchange Proxy (v1) to do: the input and output
token, the amount sold and the minimum bought, read from the bytes the wallet signs, so the
review's minimum is one the chain enforces rather than one the quote's JSON claims.

Only top-level functions whose arguments carry all four, and that pay the bought tokens to
msg.sender (the wallet itself), are read; anything else is refused by the caller. Signatures
and argument meaning from 0x's published interfaces (0xProject/protocol,
contracts/zero-ex/contracts/src/features/interfaces/):
- ITransformERC20Feature.sol: transformERC20(inputToken, outputToken, inputTokenAmount,
  minOutputTokenAmount, transformations); the feature runs the transformations for
  msg.sender and asserts it received at least minOutputTokenAmount of outputToken.
- IUniswapFeature.sol: sellToUniswap(tokens, sellAmount, minBuyAmount, isSushi); sells
  sellAmount of tokens[0] along the path and reverts below minBuyAmount of tokens[-1].
Both name the coin 0xEeee...EEeE. Left out on purpose: the Uniswap V3 functions (WETH in an
encoded path and an explicit recipient), sellToLiquidityProvider (a recipient and a provider
contract) and multiplex batches (nested calls): not read, so refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from chains.errors import BadResponse
from chains.evm import checksum

TRANSFORM_ERC20 = "transformERC20(address,address,uint256,uint256,(uint32,bytes)[])"
SELL_TO_UNISWAP = "sellToUniswap(address[],uint256,uint256,bool)"


@dataclass(frozen=True)
class ExchangeCall:
    """The trade a calldata asks for; tokens checksummed, the coin as 0xEeee...EEeE."""

    function: str
    sell_token: str
    buy_token: str
    sell_amount: int
    min_buy_amount: int


class UnknownFunction(BadResponse):
    """Calldata for a function this module does not read."""


@cache
def selector(signature: str) -> bytes:
    from eth_utils import function_signature_to_4byte_selector

    return bytes(function_signature_to_4byte_selector(signature))


def decode_exchange_call(data: bytes) -> ExchangeCall:
    """The trade in `data`; UnknownFunction for a selector not read here, BadResponse for
    arguments that do not decode (short, malformed or trailing garbage)."""
    from eth_abi import decode
    from eth_abi.exceptions import DecodingError

    head, body = data[:4], data[4:]
    try:
        if head == selector(TRANSFORM_ERC20):
            types = ["address", "address", "uint256", "uint256", "(uint32,bytes)[]"]
            sell, buy, amount, minimum, _ = decode(types, body, strict=True)
            name = "transformERC20"
        elif head == selector(SELL_TO_UNISWAP):
            path, amount, minimum, _ = decode(
                ["address[]", "uint256", "uint256", "bool"], body, strict=True
            )
            if len(path) < 2:
                raise BadResponse("the aggregator's sellToUniswap path has fewer than 2 tokens")
            sell, buy = path[0], path[-1]
            name = "sellToUniswap"
        else:
            what = f"function 0x{head.hex()}" if len(head) == 4 else "no function"
            raise UnknownFunction(
                f"the aggregator's calldata calls {what}, which the wallet cannot read"
            )
    except (DecodingError, OverflowError, ValueError):
        raise BadResponse("the aggregator's calldata does not decode as its function") from None
    return ExchangeCall(name, checksum(sell), checksum(buy), int(amount), int(minimum))
