"""Recovery phrases and paths (wallet/keys.py)."""

from __future__ import annotations

import pytest

from devices.emulator import UTXO_CHAINS
from wallet.keys import (
    CHAINS,
    MnemonicError,
    MnemonicLanguage,
    ScriptKind,
    account_path,
    address_path,
    generate_mnemonic,
    normalize_mnemonic,
    validate_mnemonic,
)

ABANDON = "abandon " * 11 + "about"


@pytest.mark.parametrize("language", list(MnemonicLanguage))
@pytest.mark.parametrize("words", [12, 24])
def test_generated_phrases_are_valid_and_fresh(language: MnemonicLanguage, words: int):
    a, b = generate_mnemonic(words, language), generate_mnemonic(words, language)
    assert a != b
    assert len(a.split()) == words
    found = validate_mnemonic(a)
    # The Chinese lists share characters: a traditional phrase may also be a simplified one.
    assert found == language or {found, language} <= {
        MnemonicLanguage.CHINESE_SIMPLIFIED,
        MnemonicLanguage.CHINESE_TRADITIONAL,
    }


def test_checksum_error_does_not_quote_words():
    bad = "abandon " * 12
    with pytest.raises(MnemonicError) as info:
        validate_mnemonic(bad)
    assert info.value.reason == "checksum"
    assert "abandon" not in str(info.value)


def test_unknown_word_names_its_position_only():
    words = ABANDON.split()
    words[4] = "bitcoinz"
    with pytest.raises(MnemonicError) as info:
        validate_mnemonic(" ".join(words))
    assert info.value.reason == "unknown_word"
    assert info.value.position == 5
    assert "bitcoinz" not in str(info.value)


def test_word_count():
    with pytest.raises(MnemonicError) as info:
        validate_mnemonic("abandon about")
    assert info.value.reason == "word_count" and info.value.code == "BAD_MNEMONIC"


def test_normalization_accepts_case_spacing_and_ideographic_space():
    messy = "  " + ABANDON.upper().replace(" ", "   ") + "\n"
    assert normalize_mnemonic(messy) == ABANDON
    assert validate_mnemonic(messy) == MnemonicLanguage.ENGLISH
    zh = generate_mnemonic(12, MnemonicLanguage.CHINESE_SIMPLIFIED)
    assert validate_mnemonic(zh.replace(" ", "\u3000"))


def test_paths():
    assert account_path("eth", ScriptKind.ETH) == "m/44'/60'/0'/0"
    assert address_path("eth", ScriptKind.ETH, account=3) == "m/44'/60'/0'/0/3"
    assert address_path("btc", ScriptKind.P2WPKH, 1, 5, change=True) == "m/84'/0'/1'/1/5"
    assert address_path("btc-testnet", ScriptKind.P2TR, 0, 2) == "m/86'/1'/0'/0/2"
    assert account_path("ltc", ScriptKind.P2WPKH, 2) == "m/84'/2'/2'"
    with pytest.raises(ValueError):
        account_path("eth", ScriptKind.P2TR)
    with pytest.raises(ValueError):
        address_path("eth", ScriptKind.ETH, 0, 1)
    with pytest.raises(ValueError):
        account_path("doge", ScriptKind.P2WPKH)


def test_chain_table_agrees_with_the_signer():
    for chain, spec in CHAINS.items():
        if spec.hrp is not None:
            assert UTXO_CHAINS[chain].hrp == spec.hrp
            assert UTXO_CHAINS[chain].coin_type == spec.coin_type
