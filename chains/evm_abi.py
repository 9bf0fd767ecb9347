"""What the EVM backend writes and reads in calls and answers: addresses, ERC-20 call data,
JSON-RPC quantities and 32-byte words, receipts. Split from chains/evm.py (issue 21);
chains.evm re-exports the public names.

eth_abi and eth_utils are imported where they are needed, never at import: the first balance
read (chains/evm.py) needs none of them, only `address_checksum` (eth_hash, about 0.05 s,
where eth_utils costs about 0.3 s and web3 0.6 s)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from chains.errors import BadResponse
from chains.web3_loader import wait_for_web3

ERC20_ABI: list[dict[str, Any]] = [
    {
        "name": "balanceOf",
        "type": "function",
        "stateMutability": "view",
        "inputs": [{"name": "owner", "type": "address"}],
        "outputs": [{"name": "", "type": "uint256"}],
    },
]
TRANSFER = bytes.fromhex("a9059cbb")  # transfer(address,uint256)
APPROVE = bytes.fromhex("095ea7b3")  # approve(address,uint256)
SYMBOL, NAME, DECIMALS = "0x95d89b41", "0x06fdde03", "0x313ce567"
BALANCE_OF = "0x70a08231"  # balanceOf(address); the address follows, left-padded to 32 bytes
MAX_TOKEN_DECIMALS = 36  # chains.models.Asset's bound
MAX_NONCE = 2**64  # EIP-2681
MAX_GAS = 2**32  # far above any block's gas limit; an estimate beyond it is not one
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")


@dataclass(frozen=True)
class Receipt:
    tx_hash: str
    block: int
    success: bool
    gas_used: int
    effective_gas_price: int


@dataclass(frozen=True)
class TokenMetadata:
    contract: str
    symbol: str
    name: str
    decimals: int


def checksum(address: str) -> str:
    wait_for_web3()
    from eth_utils import to_checksum_address

    return str(to_checksum_address(address))


def address_checksum(address: str) -> str:
    """EIP-55 of a 0x-hex address, as eth_utils.to_checksum_address gives it (the tests compare
    them), without importing eth_utils: the first balance read runs before it is loaded.
    Hand-rolled because EIP-55 is ten lines over keccak (eth_hash, the library eth_utils uses
    for it). Raises ValueError on anything but 0x and 40 hex digits; a mixed-case address is
    not required to be correctly checksummed (eth_utils does not require it either)."""
    if not isinstance(address, str) or not _ADDRESS.fullmatch(address):
        raise ValueError(f"not an address: {str(address)[:60]!r}")
    from eth_hash.auto import keccak

    low = address[2:].lower()
    digest = keccak(low.encode()).hex()
    upper = (int(d, 16) >= 8 for d in digest[:40])
    return "0x" + "".join(c.upper() if up else c for c, up in zip(low, upper, strict=True))


def erc20_transfer_data(to: str, amount: int) -> bytes:
    wait_for_web3()
    from eth_abi import encode

    return TRANSFER + encode(["address", "uint256"], [checksum(to), amount])


def erc20_approve_data(spender: str, amount: int) -> bytes:
    wait_for_web3()
    from eth_abi import encode

    return APPROVE + encode(["address", "uint256"], [checksum(spender), amount])


def decode_erc20_transfer(data: bytes) -> tuple[str, int] | None:
    """(recipient, amount) when `data` is an ERC-20 transfer call, else None."""
    if data[:4] != TRANSFER or len(data) != 68:
        return None
    wait_for_web3()
    from eth_abi import decode

    to, amount = decode(["address", "uint256"], data[4:])
    return checksum(to), int(amount)


def abi_text(raw: bytes) -> str:
    """A token's symbol or name: an ABI string, or (old tokens such as MKR) a bytes32."""
    wait_for_web3()
    from eth_abi import decode

    try:
        return str(decode(["string"], raw)[0])[:64]
    except Exception:
        return raw[:32].rstrip(b"\0").decode("utf-8", "replace")[:64]


def hex_int(value: Any) -> int | None:
    """A quantity or a 32-byte word as the node sends it ('0x1a'); None when it is not one."""
    if not isinstance(value, str) or not value.startswith("0x"):
        return None
    digits = value[2:]
    if digits == "":
        return None  # eth_call on an address without code answers '0x'
    if len(digits) > 64:
        return None
    try:
        return int(digits, 16)
    except ValueError:
        return None


def strict_int(value: Any) -> int:
    """A quantity of a JSON-RPC answer, or ValueError."""
    n = hex_int(value)
    if n is None:
        raise ValueError(f"not a quantity: {str(value)[:40]}")
    return n


def as_int(value: Any, url: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise BadResponse(f"{url} gave a malformed number")
    return value
