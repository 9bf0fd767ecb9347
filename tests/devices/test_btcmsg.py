"""BIP322 simple and legacy signed messages (devices/btcmsg.py), against the BIP's own test
vectors and Trezor firmware's signmessage vectors (the software signer, given the firmware
tests' seed, must write the very signatures the firmware wrote: RFC 6979 on both sides)."""

from __future__ import annotations

import json
from pathlib import Path

import eth_account  # noqa: F401  (py_ecc, under it, raises the recursion limit on import: done before hypothesis runs)
import pytest
from embit import ec
from embit.script import p2tr, p2wpkh
from hypothesis import given, settings
from hypothesis import strategies as st

from chains.utxo import address_to_script
from chains.utxo_networks import UTXO_NETWORKS
from devices import btcmsg
from devices.emulator import SoftwareSigner
from devices.errors import Unsupported

V = json.loads(
    (Path(__file__).parent / "vectors" / "btc_messages.json").read_text(encoding="utf-8")
)
B = V["bip322"]
KEY = ec.PrivateKey.from_wif(B["wif"])
P2WPKH = p2wpkh(KEY.get_public_key()).data
P2TR = p2tr(KEY.get_public_key()).data
BTC = UTXO_NETWORKS["btc"]


def test_vector_addresses_are_the_keys():
    assert address_to_script(B["p2wpkh_address"], BTC) == P2WPKH
    assert address_to_script(B["p2tr_address"], BTC) == P2TR


@pytest.mark.parametrize("message", ["", "Hello World"])
def test_bip322_message_hash_and_virtual_transactions(message: str):
    assert btcmsg.message_hash(message.encode()).hex() == B["message_hashes"][message]
    to_spend, to_sign = btcmsg.bip322_txids(message.encode(), P2WPKH)
    assert to_spend == B["to_spend"][message]
    assert to_sign == B["to_sign"][message]


@pytest.mark.parametrize("message", ["", "Hello World"])
def test_bip322_p2wpkh_signatures(message: str):
    data = message.encode()
    for sig in B["p2wpkh_signatures"][message]:
        assert btcmsg.verify_bip322(data, P2WPKH, btcmsg.decode(sig))
        assert not btcmsg.verify_bip322(data + b"!", P2WPKH, btcmsg.decode(sig))
    # RFC 6979: our signature is the BIP's first (low-R grinding is not used by either).
    ours = btcmsg.encode(btcmsg.sign_bip322_with_key(KEY.secret, data, P2WPKH))
    assert ours in B["p2wpkh_signatures"][message]


def test_bip322_taproot_vector_and_own_signature():
    sig = btcmsg.decode(B["p2tr_signature_hello_world"])  # 65 bytes: SIGHASH_ALL
    assert btcmsg.verify_bip322(b"Hello World", P2TR, sig)
    assert not btcmsg.verify_bip322(b"Hello World - This should fail", P2TR, sig)
    ours = btcmsg.sign_bip322_with_key(KEY.secret, b"Hello World", P2TR)
    assert len(ours) == 66  # one witness item of 64 bytes: SIGHASH_DEFAULT
    assert btcmsg.verify_bip322(b"Hello World", P2TR, ours)
    # The same proof does not hold for another taproot address.
    other = p2tr(ec.PrivateKey(bytes(31) + b"\x07").get_public_key()).data
    assert not btcmsg.verify_bip322(b"Hello World", other, sig)


def test_bip322_refuses_scripts_it_does_not_know():
    with pytest.raises(btcmsg.MessageSignatureError, match="P2WPKH"):
        btcmsg.verify_bip322(b"x", b"\xa9\x14" + bytes(20) + b"\x87", b"\x00")
    assert not btcmsg.verify_bip322(b"x", P2WPKH, b"\x05garbage")


LEGACY = V["legacy"]


@pytest.mark.parametrize("case", LEGACY["cases"], ids=lambda c: c["name"])
def test_legacy_matches_trezor_firmware(case: dict):
    if "message_repeat" in case:
        text, times = case["message_repeat"]
        message = (text * times).encode()
    else:
        message = case["message"].encode()
    signer = SoftwareSigner.from_mnemonic(LEGACY["mnemonic"])
    script = address_to_script(case["address"], BTC)
    sig = btcmsg.sign_legacy_with_key(signer._key(case["path"]), message, "btc", case["script"])
    assert btcmsg.encode(sig) == case["signature"]
    assert btcmsg.verify_legacy(message, "btc", script, sig)
    assert not btcmsg.verify_legacy(message + b".", "btc", script, sig)


@pytest.mark.parametrize("case", LEGACY["verify_only"], ids=lambda c: c["name"])
def test_legacy_verifies_electrum_signatures(case: dict):
    script = address_to_script(case["address"], BTC)
    assert btcmsg.verify_legacy(
        case["message"].encode(), "btc", script, btcmsg.decode(case["signature"])
    )


def test_litecoin_legacy_uses_its_own_prefix():
    signer = SoftwareSigner.from_mnemonic(LEGACY["mnemonic"])
    path = "m/84'/2'/0'/0/0"
    sig = signer.sign_btc_message("ltc", path, b"hello", "legacy")
    pub = bytes(signer._node(path).PublicKey().RawCompressed().ToBytes())
    script = btcmsg.single_key_scripts(pub)["p2wpkh"]
    assert btcmsg.verify_legacy(b"hello", "ltc", script, sig)
    assert not btcmsg.verify_legacy(b"hello", "btc", script, sig)  # Bitcoin's prefix differs


def test_software_signer_formats():
    signer = SoftwareSigner.from_mnemonic(LEGACY["mnemonic"])
    with pytest.raises(Unsupported, match="BIP322"):
        signer.sign_btc_message("btc", "m/86'/0'/0'/0/0", b"x", "legacy")
    with pytest.raises(Unsupported):
        signer.sign_btc_message("eth", "m/84'/0'/0'/0/0", b"x", "bip322")
    sig = signer.sign_btc_message("btc", "m/86'/0'/0'/0/0", b"x", "bip322")
    pub = bytes(signer._node("m/86'/0'/0'/0/0").PublicKey().RawCompressed().ToBytes())
    assert btcmsg.verify_bip322(b"x", btcmsg.script_for(pub, 86), sig)


@settings(max_examples=300, deadline=None)
@given(raw=st.binary(max_size=200), chain=st.sampled_from(["btc", "ltc", "eth"]))
def test_any_signature_bytes_verify_false_or_say_why(raw: bytes, chain: str):
    """Whatever is pasted as a signature: a verdict, or a MessageError; never a crash."""
    import base64

    from wallet.messages import MessageError, verify

    address = {
        "btc": B["p2tr_address"],
        "ltc": "ltc1qjmxnz78nmc8nq77wuxh25n2es7rzm5c2rkk4wh",
        "eth": "0x9858EfFD232B4033E47d90003D41EC34EcaEda94",
    }[chain]
    text = "0x" + raw.hex() if chain == "eth" else base64.b64encode(raw).decode()
    try:
        assert verify(chain, address, b"Hello World", text).valid is False
    except MessageError:
        pass
