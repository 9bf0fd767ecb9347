"""The options that name one address of the wallet (network, account, index, change, type):
`termwallet address` and `termwallet message sign` take them the same way."""

from __future__ import annotations

import argparse

CHAINS = (
    "eth",
    "sepolia",
    "devnet",
    "btc",
    "btc-testnet",
    "btc-regtest",
    "ltc",
    "ltc-testnet",
    "ltc-regtest",
)


def add_chain_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("chain", metavar="CHAIN", choices=CHAINS, help=", ".join(CHAINS))


def add_address_arguments(parser: argparse.ArgumentParser) -> None:
    add_chain_argument(parser)
    parser.add_argument("--account", type=int, default=0, help="account number (default 0)")
    parser.add_argument("--index", type=int, default=0, help="address index (Bitcoin-like)")
    parser.add_argument("--change", action="store_true", help="a change address")
    parser.add_argument(
        "--type",
        dest="script",
        choices=("p2wpkh", "p2tr"),
        default="p2wpkh",
        help="Bitcoin/Litecoin address type: native segwit (BIP84, default) or taproot (BIP86)",
    )
