"""The software signer against published vectors (files in vectors/ name their source)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from devices.emulator import (
    EvmTx,
    SoftwareSigner,
    sign_evm_tx_with_key,
    sign_typed_data_with_key,
)
from wallet.accounts import derive_address, display_xpub
from wallet.keys import (
    MnemonicLanguage,
    ScriptKind,
    mnemonic_from_entropy,
    mnemonic_to_seed,
    validate_mnemonic,
)

VECTORS = Path(__file__).parent / "vectors"


def load(name: str) -> dict:
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))


BIP39 = load("bip39.json")
BIP39_CASES = [
    pytest.param(lang, *case, id=f"{lang}-{i}")
    for lang in ("english", "chinese_simplified", "chinese_traditional")
    for i, case in enumerate(BIP39[lang])
]


@pytest.mark.parametrize(("lang", "entropy", "mnemonic", "seed", "xprv"), BIP39_CASES)
def test_bip39_reference_vectors(lang: str, entropy: str, mnemonic: str, seed: str, xprv: str):
    language = MnemonicLanguage(lang)
    assert mnemonic_from_entropy(bytes.fromhex(entropy), language) == mnemonic
    # The two Chinese lists share characters: a phrase may be valid in both, and the seed (a
    # function of the text alone) is the same either way.
    assert validate_mnemonic(mnemonic) in {language, MnemonicLanguage.CHINESE_SIMPLIFIED}
    assert mnemonic_to_seed(mnemonic, BIP39["passphrase"]).hex() == seed
    signer = SoftwareSigner.from_mnemonic(mnemonic, BIP39["passphrase"])
    assert str(signer._node("m").PrivateKey().ToExtended()) == xprv


def test_bip39_passphrase_changes_the_seed():
    mnemonic = BIP39["english"][0][1]
    assert mnemonic_to_seed(mnemonic, "TREZOR") != mnemonic_to_seed(mnemonic, "")


BIP32 = load("bip32.json")["vectors"]


@pytest.mark.parametrize("vector", BIP32, ids=lambda v: f"vector{v['vector']}")
def test_bip32_vectors_1_to_3(vector: dict):
    signer = SoftwareSigner(bytes.fromhex(vector["seed"]))
    assert len(vector["chains"]) >= 2
    for chain in vector["chains"]:
        assert signer.get_xpub(chain["path"]) == chain["xpub"], chain["path"]
        assert str(signer._node(chain["path"]).PrivateKey().ToExtended()) == chain["xprv"]


def _entries(name: str) -> list[dict]:
    return load(name)["entries"]


def test_bip84_vectors():
    e = _entries("bip84.json")
    signer = SoftwareSigner.from_mnemonic(e[0]["mnemonic"])
    root = signer.get_xpub("m")
    assert display_xpub(root, ScriptKind.P2WPKH, testnet=False) == e[0]["rootpub"]
    account = signer.get_xpub("m/84'/0'/0'")
    assert display_xpub(account, ScriptKind.P2WPKH, testnet=False) == e[1]["xpub"]
    for entry in e[2:]:
        path = entry["path"]
        assert signer.get_address("btc", path) == entry["address"]
        assert signer._node(path).PublicKey().RawCompressed().ToHex() == entry["pubkey"]
        change, index = (int(p) for p in path.split("/")[-2:])
        assert derive_address("btc", ScriptKind.P2WPKH, account, change, index) == entry["address"]


def test_bip86_vectors():
    e = _entries("bip86.json")
    signer = SoftwareSigner.from_mnemonic(e[0]["mnemonic"])
    assert signer.get_xpub("m") == e[0]["rootpub"]
    account = signer.get_xpub("m/86'/0'/0'")
    assert account == e[1]["xpub"]
    for entry in e[2:]:
        path = entry["path"]
        assert signer.get_xpub(path) == entry["xpub"]
        assert signer.get_address("btc", path) == entry["address"]
        change, index = (int(p) for p in path.split("/")[-2:])
        assert derive_address("btc", ScriptKind.P2TR, account, change, index) == entry["address"]
        # The address's witness program is the BIP86-tweaked output key the BIP lists.
        from bip_utils import SegwitBech32Decoder

        _, program = SegwitBech32Decoder.Decode("bc", entry["address"])
        assert program.hex() == entry["output_key"]


def test_eip155_worked_example():
    v = load("eip155.json")
    tx = v["tx"]
    unsigned = EvmTx(
        chain_id=tx["chainId"],
        nonce=tx["nonce"],
        gas=tx["gas"],
        to=tx["to"],
        value=tx["value"],
        gas_price=tx["gasPrice"],
    )
    sig = sign_evm_tx_with_key(bytes.fromhex(v["private_key"][2:]), unsigned)
    assert sig.v == v["v"]
    assert sig.r == int(v["r"])
    assert sig.s == int(v["s"])
    assert "0x" + sig.raw_transaction.hex() == v["signed_tx"]


def test_eip712_mail_example():
    from eth_utils import keccak

    v = load("eip712_mail.json")
    key = keccak(text=v["private_key_preimage"])
    signature = sign_typed_data_with_key(key, v["typed_data"])
    assert "0x" + signature.hex() == v["signature"]
    assert int.from_bytes(signature[:32], "big") == int(v["r"], 16)
    assert int.from_bytes(signature[32:64], "big") == int(v["s"], 16)
    assert signature[64] == v["v"]
