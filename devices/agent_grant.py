"""What a signer agent's session may ask (devices/agent_server.py): the networks and accounts
the agent was started with, checked against each request's key path before a device is asked.

Ethereum account i is m/44'/60'/0'/0/i (wallet/keys.py, the MetaMask layout), whose parent
m/44'/60'/0'/0 is the public account key device wallets read; a Bitcoin-like account i is
m/<purpose>'/<coin type>'/i'. Every EVM network shares the Ethereum keys, so "eth" grants them
all; each Bitcoin-like network is granted by its own id.
"""

from __future__ import annotations

from dataclasses import dataclass

from devices.agent_protocol import AgentRefused
from devices.coins import EVM_CHAINS, UTXO_CHAINS
from devices.errors import Unsupported
from said import Said

ALL_CHAINS = ("eth", *UTXO_CHAINS)


def _levels(path: str) -> list[tuple[int, bool]]:
    parts = path.replace("H", "'").replace("h", "'").split("/")
    if len(parts) < 2 or parts[0] != "m":
        raise Unsupported(
            Said(
                "agent_grant.not_derivation_path_expected",
                "not a derivation path (expected m/84'/0'/0'/0/0 or similar)",
            )
        )
    out = []
    for part in parts[1:]:
        hard = part.endswith("'")
        digits = part.rstrip("'")
        if not digits.isdigit():
            raise Unsupported(
                Said(
                    "agent_grant.not_derivation_path_expected",
                    "not a derivation path (expected m/84'/0'/0'/0/0 or similar)",
                )
            )
        out.append((int(digits), hard))
    return out


def _families(chain: str) -> str:
    return "eth" if chain in EVM_CHAINS else chain


@dataclass
class Grant:
    """The chains and accounts a session may use. Ethereum account i is m/44'/60'/0'/0/i
    (wallet/keys.py); a Bitcoin-like account i is m/<purpose>'/<coin type>'/i'."""

    chains: frozenset[str]
    accounts: frozenset[int]

    def describe(self) -> str:
        chains = ",".join(sorted(self.chains))
        accounts = ",".join(str(a) for a in sorted(self.accounts))
        return f"chains {chains}, account {accounts}"

    def _refuse(self, what: str) -> AgentRefused:
        return AgentRefused(
            f"The signer agent refused {what}: this session opened {self.describe()} only. "
            "Restart `termwallet agent` with --chains/--accounts to allow it."
        )

    def check_chain(self, chain: str) -> None:
        if _families(chain) not in self.chains:
            raise self._refuse(f"the network {chain!r}")

    def check_path(self, path: str, chain: str | None) -> None:
        """Refuse a key path outside the granted accounts (of `chain` when one is given)."""
        levels = _levels(path)
        if chain is not None:
            self.check_chain(chain)
        if len(levels) >= 2 and levels[0] == (44, True) and levels[1] == (60, True):
            if chain is not None and chain not in EVM_CHAINS:
                raise self._refuse(f"the Ethereum key {path} for {chain}")
            if "eth" not in self.chains:
                raise self._refuse(f"the Ethereum key {path}")
            # m/44'/60'/0'/0 is the Ethereum account xpub (public); its child i is account i.
            if levels[2:4] != [(0, True), (0, False)][: len(levels) - 2]:
                raise self._refuse(f"the key {path}")
            if len(levels) == 5 and levels[4][0] not in self.accounts:
                raise self._refuse(f"Ethereum account {levels[4][0]} ({path})")
            if len(levels) > 5:
                raise self._refuse(f"the key {path}")
            return
        if len(levels) < 3 or not all(h for _, h in levels[:3]):
            raise self._refuse(f"the key {path}")
        coin, account = levels[1][0], levels[2][0]
        nets = [c for c, n in UTXO_CHAINS.items() if n.coin_type == coin and c in self.chains]
        if chain is not None:
            net = UTXO_CHAINS.get(chain)
            if net is None or net.coin_type != coin:
                raise self._refuse(f"the key {path} for {chain}")
        elif not nets:
            raise self._refuse(f"the key {path} (coin type {coin})")
        if account not in self.accounts:
            raise self._refuse(f"account {account} ({path})")


def parse_chains(text: str | None) -> frozenset[str]:
    if not text:
        return frozenset(ALL_CHAINS)
    chains = {_families(c.strip()) for c in text.split(",") if c.strip()}
    unknown = sorted(c for c in chains if c not in ALL_CHAINS)
    if unknown:
        raise Unsupported(
            Said(
                "agent_grant.unknown_network_s_choose",
                "unknown network(s) {unknown}: choose from {chains}",
                unknown=", ".join(unknown),
                chains=", ".join(ALL_CHAINS),
            )
        )
    return frozenset(chains)


def parse_accounts(text: str | None) -> frozenset[int]:
    if not text:
        return frozenset({0})
    try:
        accounts = {int(a) for a in text.split(",") if a.strip()}
    except ValueError:
        raise Unsupported(
            Said(
                "agent_grant.accounts_takes_account_numbers_2",
                "--accounts takes account numbers, e.g. 0 or 0,1",
            )
        ) from None
    if not accounts or any(not 0 <= a < 2**31 for a in accounts):
        raise Unsupported(
            Said(
                "agent_grant.accounts_takes_account_numbers",
                "--accounts takes account numbers from 0, e.g. 0 or 0,1",
            )
        )
    return frozenset(accounts)
