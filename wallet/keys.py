"""Recovery phrases (BIP39) and derivation paths (BIP32/44/84/86): create, check, restore.

bip_utils holds the wordlists and does the checksum; this module picks the language, turns
bip_utils' errors into ours (which never quote the words: an error message can end up in a
log or a ticket), and knows which path each kind of account uses.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from said import Said


class MnemonicError(ValueError):
    """A recovery phrase that cannot be used. The message names positions, never words."""

    code = "BAD_MNEMONIC"

    def __init__(self, message: str, *, reason: str, position: int | None = None) -> None:
        super().__init__(message)
        self.reason = reason  # 'word_count' | 'unknown_word' | 'checksum' | 'mixed_language'
        self.position = position  # 1-based word position for 'unknown_word'


class MnemonicLanguage(StrEnum):
    ENGLISH = "english"
    CHINESE_SIMPLIFIED = "chinese_simplified"
    CHINESE_TRADITIONAL = "chinese_traditional"


WORD_COUNTS = (12, 15, 18, 21, 24)


class ScriptKind(StrEnum):
    """What an account's addresses are: the BIP43 purpose follows from it."""

    ETH = "eth"  # m/44'/60'/0'/0/i
    P2WPKH = "p2wpkh"  # BIP84 native segwit
    P2TR = "p2tr"  # BIP86 taproot key path


PURPOSE = {ScriptKind.ETH: 44, ScriptKind.P2WPKH: 84, ScriptKind.P2TR: 86}


@dataclass(frozen=True)
class ChainSpec:
    """A network as keys see it. EVM networks share one account family: an Ethereum key has
    the same address on every EVM chain. Regtest shares testnet's coin type and keys."""

    id: str
    family: str  # accounts are stored per family: eth, btc, btc-testnet, ltc, ltc-testnet
    coin_type: int
    kinds: tuple[ScriptKind, ...]
    testnet: bool = False
    hrp: str | None = None  # bech32 prefix of Bitcoin-like chains


_UTXO_KINDS = (ScriptKind.P2WPKH, ScriptKind.P2TR)

CHAINS: dict[str, ChainSpec] = {
    c.id: c
    for c in (
        ChainSpec("eth", "eth", 60, (ScriptKind.ETH,)),
        ChainSpec("sepolia", "eth", 60, (ScriptKind.ETH,), testnet=True),
        ChainSpec("devnet", "eth", 60, (ScriptKind.ETH,), testnet=True),
        ChainSpec("btc", "btc", 0, _UTXO_KINDS, hrp="bc"),
        ChainSpec("btc-testnet", "btc-testnet", 1, _UTXO_KINDS, testnet=True, hrp="tb"),
        ChainSpec("btc-regtest", "btc-testnet", 1, _UTXO_KINDS, testnet=True, hrp="bcrt"),
        ChainSpec("ltc", "ltc", 2, _UTXO_KINDS, hrp="ltc"),
        ChainSpec("ltc-testnet", "ltc-testnet", 1, _UTXO_KINDS, testnet=True, hrp="tltc"),
        ChainSpec("ltc-regtest", "ltc-testnet", 1, _UTXO_KINDS, testnet=True, hrp="rltc"),
    )
}


def chain_spec(chain: str) -> ChainSpec:
    try:
        return CHAINS[chain]
    except KeyError:
        known = ", ".join(CHAINS)
        raise ValueError(
            Said(
                "keys.unknown_chain_choose_one",
                "unknown chain '{chain}': choose one of {known}",
                chain=chain,
                known=known,
            )
        ) from None


def account_path(chain: str, kind: ScriptKind, account: int = 0) -> str:
    """The path of an account's extended public key. For Ethereum that is m/44'/60'/0'/0:
    account i is its child i (the MetaMask layout the issue asks for)."""
    spec = chain_spec(chain)
    if kind not in spec.kinds:
        raise ValueError(
            Said("keys.has_no_accounts", "{chain} has no {kind} accounts", chain=chain, kind=kind)
        )
    if not 0 <= account < 2**31:
        raise ValueError(Said("keys.account_number_out_range", "account number out of range"))
    if kind is ScriptKind.ETH:
        return "m/44'/60'/0'/0"
    return f"m/{PURPOSE[kind]}'/{spec.coin_type}'/{account}'"


def address_path(
    chain: str, kind: ScriptKind, account: int = 0, index: int = 0, *, change: bool = False
) -> str:
    if not 0 <= index < 2**31:
        raise ValueError(Said("keys.address_index_out_range", "address index out of range"))
    base = account_path(chain, kind, account)
    if kind is ScriptKind.ETH:
        if index or change:
            raise ValueError(
                Said(
                    "keys.ethereum_accounts_have_one",
                    "Ethereum accounts have one address each: use --account, not --index",
                )
            )
        return f"{base}/{account}"
    return f"{base}/{int(change)}/{index}"


def normalize_mnemonic(text: str) -> str:
    """One space between words, lower case, NFKD (BIP39's form); ideographic spaces count."""
    words = unicodedata.normalize("NFKD", text).replace("\u3000", " ").split()
    return " ".join(w.lower() for w in words)


def _bip39_language(lang: MnemonicLanguage):  # type: ignore[no-untyped-def]
    from bip_utils import Bip39Languages

    return {
        MnemonicLanguage.ENGLISH: Bip39Languages.ENGLISH,
        MnemonicLanguage.CHINESE_SIMPLIFIED: Bip39Languages.CHINESE_SIMPLIFIED,
        MnemonicLanguage.CHINESE_TRADITIONAL: Bip39Languages.CHINESE_TRADITIONAL,
    }[lang]


def _wordlist(lang: MnemonicLanguage) -> frozenset[str]:
    from mnemonic import Mnemonic

    return frozenset(unicodedata.normalize("NFKD", w) for w in Mnemonic(lang.value).wordlist)


def generate_mnemonic(
    words: int = 24, language: MnemonicLanguage = MnemonicLanguage.ENGLISH
) -> str:
    """A new phrase from the OS's CSPRNG (bip_utils uses os.urandom)."""
    from bip_utils import Bip39MnemonicGenerator, Bip39WordsNum

    if words not in WORD_COUNTS:
        raise MnemonicError(
            Said(
                "keys.choose_words",
                "choose {counts} words",
                counts=", ".join(map(str, WORD_COUNTS)),
            ),
            reason="word_count",
        )
    num = Bip39WordsNum(words)
    return str(Bip39MnemonicGenerator(_bip39_language(language)).FromWordsNumber(num))


def validate_mnemonic(text: str) -> MnemonicLanguage:
    """The language of a valid phrase; MnemonicError saying what is wrong otherwise."""
    from bip_utils import Bip39MnemonicValidator

    words = normalize_mnemonic(text).split()
    if len(words) not in WORD_COUNTS:
        raise MnemonicError(
            Said(
                "keys.recovery_phrase_has_12",
                "a recovery phrase has 12, 15, 18, 21 or 24 words, this one has {count}",
                count=len(words),
            ),
            reason="word_count",
        )
    # The two Chinese lists share most characters, so a phrase can fit both; the checksum
    # decides. Try each language whose list holds every word.
    candidates = [lang for lang in MnemonicLanguage if set(words) <= _wordlist(lang)]
    if not candidates:
        best = max(MnemonicLanguage, key=lambda lang: sum(w in _wordlist(lang) for w in words))
        known = _wordlist(best)
        position = next(i for i, w in enumerate(words, 1) if w not in known)
        raise MnemonicError(
            Said(
                "keys.word_not_bip39_word",
                "word {position} is not in the BIP39 word list",
                position=position,
            ),
            reason="unknown_word",
            position=position,
        )
    for lang in candidates:
        if Bip39MnemonicValidator(_bip39_language(lang)).IsValid(" ".join(words)):
            return lang
    raise MnemonicError(
        Said(
            "keys.phrase_s_checksum_does",
            "the phrase's checksum does not match: a word is wrong or the order is different",
        ),
        reason="checksum",
    )


def mnemonic_to_seed(text: str, passphrase: str = "") -> bytes:
    """BIP39 seed (PBKDF2-HMAC-SHA512, 2048 rounds) of a phrase already validated."""
    from bip_utils import Bip39SeedGenerator

    validate_mnemonic(text)
    return bytes(Bip39SeedGenerator(normalize_mnemonic(text)).Generate(passphrase))


def mnemonic_from_entropy(
    entropy: bytes, language: MnemonicLanguage = MnemonicLanguage.ENGLISH
) -> str:
    """The phrase that encodes `entropy` (16-32 bytes): how BIP39's vectors are stated."""
    from bip_utils import Bip39MnemonicEncoder

    try:
        return str(Bip39MnemonicEncoder(_bip39_language(language)).Encode(entropy))
    except ValueError:
        raise MnemonicError(
            Said("keys.entropy_must_16_20", "entropy must be 16, 20, 24, 28 or 32 bytes"),
            reason="word_count",
        ) from None
