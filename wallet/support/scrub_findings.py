"""What the scrubber reports: the kinds of secret it refuses, a finding (kind, field and
positions, never the matched text) and SecretRefused, with the words shown to the user."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class FindingKind(StrEnum):
    MNEMONIC = "mnemonic"
    EXTENDED_KEY = "extended_key"
    WIF = "wif"
    HEX_KEY = "hex_key"
    PRIVATE_KEY = "private_key"
    KEYSTORE = "keystore"
    PASSWORD = "password"  # noqa: S105 (a finding kind, not a password)


# Why each kind is refused, in words the user can act on; never quotes the text itself. The
# TUI shows the translated version (support.scrub.<kind>); these are for the CLI and logs.
EXPLANATIONS: dict[FindingKind, str] = {
    FindingKind.MNEMONIC: "looks like a recovery phrase (12 or more BIP39 words)",
    FindingKind.EXTENDED_KEY: "looks like an extended private key (xprv/zprv/tprv...)",
    FindingKind.WIF: "looks like a WIF private key",
    FindingKind.HEX_KEY: (
        "64 hex digits that are not one of your transactions: this may be a private key. "
        "To quote a transaction, pick it in the transactions list"
    ),
    FindingKind.PRIVATE_KEY: "looks like a private key (encoded, or written as a number)",
    FindingKind.KEYSTORE: "looks like an encrypted keystore file or its encrypted data",
    FindingKind.PASSWORD: "looks like a password",
}
NEVER_NEEDED = (
    "Real support never needs your recovery phrase, private keys, keystore file or passwords, "
    "and never asks for them. Remove it and describe the problem in your own words."
)


@dataclass(frozen=True, slots=True)
class Finding:
    kind: FindingKind
    field: str
    start: int
    end: int
    also: tuple[str, ...] = ()  # further fields the same secret continues into

    def describe(self) -> str:
        cont = f" (continues in {', '.join(self.also)})" if self.also else ""
        return f"{self.field} [{self.start}:{self.end}]{cont}: {EXPLANATIONS[self.kind]}"


class SecretRefused(Exception):
    """A ticket or log text holds something that must never leave the machine."""

    code = "SECRET_IN_TICKET"

    def __init__(self, findings: Iterable[Finding]) -> None:
        self.findings = tuple(findings)
        where = "; ".join(f.describe() for f in self.findings)
        super().__init__(f"Not sent: {where}. {NEVER_NEEDED}")
