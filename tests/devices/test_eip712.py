"""EIP-712 hashing as MetaMask's eth-sig-util V4 does it (devices/eip712.py), checked against
eth-sig-util's own test vectors and against eth-account's public encoder, never against our
own earlier output."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import _hash_eip191_message, encode_typed_data
from eth_utils import keccak
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.eip712 import TypedDataError, canonical, has_null_struct, hashes
from devices.emulator import SigningError, SoftwareSigner, sign_typed_data_with_key

VECTORS = json.loads(
    (Path(__file__).parent / "vectors" / "eip712_metamask_v4.json").read_text(encoding="utf-8")
)
KEY = keccak(text="cow")  # EIP-712's example key; its address below
COW = "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"

MAIL: dict[str, Any] = json.loads(
    (Path(__file__).parent / "vectors" / "eip712_mail.json").read_text(encoding="utf-8")
)["typed_data"]


@pytest.mark.parametrize("case", VECTORS["eip712Hash"], ids=lambda c: c["name"])
def test_eip712_hash_matches_eth_sig_util_v4(case: dict[str, Any]):
    assert hashes(case["data"]).digest.hex() == case["hash"]


@pytest.mark.parametrize("case", VECTORS["hashStruct"], ids=lambda c: c["name"])
def test_hash_struct_matches_eth_sig_util_v4(case: dict[str, Any]):
    doc = {
        "types": case["types"],
        "primaryType": case["primaryType"],
        "domain": {},
        "message": case["message"],
    }
    assert hashes(doc).message is not None
    assert hashes(doc).message.hex() == case["hash"]  # type: ignore[union-attr]


def test_canonical_documents_hash_as_eth_account_does():
    """On documents both accept, eth-account's public encoder is the independent check."""
    docs = [MAIL, VECTORS["eip712Hash"][4]["data"]]
    nested = copy.deepcopy(MAIL)
    nested["types"]["Mail"].append({"name": "cc", "type": "Person[]"})
    nested["types"]["Mail"].append({"name": "flags", "type": "bool[2]"})
    nested["types"]["Mail"].append({"name": "amount", "type": "uint96"})
    nested["types"]["Mail"].append({"name": "tag", "type": "bytes4"})
    nested["types"]["Mail"].append({"name": "blob", "type": "bytes"})
    nested["message"] |= {
        "cc": [nested["message"]["to"], nested["message"]["from"]],
        "flags": [True, False],
        "amount": "0x10",
        "tag": "0xdeadbeef",
        "blob": "0x0102",
    }
    docs.append(nested)
    for doc in docs:
        ours = hashes(doc)
        theirs = encode_typed_data(full_message=doc)
        assert ours.domain == bytes(theirs.header)
        assert ours.message == bytes(theirs.body)
        assert ours.digest == bytes(_hash_eip191_message(theirs))


def test_domain_only_document_is_signed_as_v4_hashes_it():
    case = VECTORS["eip712Hash"][1]
    sig = sign_typed_data_with_key(KEY, case["data"])
    # The signature recovers over V4's hash: keccak(0x1901 || domain separator).
    assert Account._recover_hash(bytes.fromhex(case["hash"]), signature=sig) == COW
    # eth-account itself refuses the document: the reason devices/eip712.py exists.
    with pytest.raises(ValueError):
        encode_typed_data(full_message=case["data"])


def test_domain_only_document_with_a_message_is_refused():
    doc = copy.deepcopy(VECTORS["eip712Hash"][1]["data"])
    doc["message"] = {"amount": 1}
    with pytest.raises(TypedDataError, match="message is not signed"):
        hashes(doc)


def _mail_with(**fields: Any) -> dict[str, Any]:
    doc = copy.deepcopy(MAIL)
    for key, value in fields.items():
        doc["message"][key] = value
    return doc


def test_address_without_0x_is_refused():
    """V4 reads 'cd2a3d…' as decimal digits: another address than the one shown."""
    doc = _mail_with(to={"name": "Bob", "wallet": "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"})
    with pytest.raises(TypedDataError, match="no 0x prefix"):
        hashes(doc)


def test_bad_checksum_and_short_addresses_are_refused():
    doc = _mail_with(to={"name": "Bob", "wallet": "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD827"})
    with pytest.raises(TypedDataError, match="checksum"):
        hashes(doc)
    doc = _mail_with(to={"name": "Bob", "wallet": "0x0"})
    with pytest.raises(TypedDataError, match="40 hex digits"):
        hashes(doc)


def test_lowercase_address_hashes_as_the_checksummed_one():
    lower = _mail_with(to={"name": "Bob", "wallet": MAIL["message"]["to"]["wallet"].lower()})
    assert hashes(lower) == hashes(MAIL)


def _flagged(value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(MAIL)
    doc["types"]["Mail"].append({"name": "urgent", "type": "bool"})
    doc["message"]["urgent"] = value
    return doc


def test_bool_string_true_is_true_and_false_string_is_refused():
    assert hashes(_flagged("true")) == hashes(_flagged(True))
    assert hashes(_flagged(True)) != hashes(_flagged(False))
    with pytest.raises(TypedDataError, match="signs it as true"):
        hashes(_flagged("false"))
    for bad in (None, "0", "yes", 2):
        with pytest.raises(TypedDataError):
            hashes(_flagged(bad))


def test_null_string_hashes_as_empty_string_and_missing_field_is_refused():
    assert hashes(_mail_with(contents=None)) == hashes(_mail_with(contents=""))
    doc = copy.deepcopy(MAIL)
    del doc["message"]["contents"]
    with pytest.raises(TypedDataError, match="missing"):
        hashes(doc)


def test_values_not_in_the_type_are_refused():
    doc = _mail_with(note="shown but never signed")
    with pytest.raises(TypedDataError, match="not in type Mail"):
        hashes(doc)
    doc = copy.deepcopy(MAIL)
    doc["domain"]["salt"] = "0x" + "00" * 32
    with pytest.raises(TypedDataError, match="not in type EIP712Domain"):
        hashes(doc)


def test_out_of_range_integer_is_refused():
    doc = copy.deepcopy(MAIL)
    doc["types"]["Mail"].append({"name": "n", "type": "uint8"})
    doc["message"]["n"] = 256
    with pytest.raises(TypedDataError, match="out of range"):
        hashes(doc)


def test_canonical_gives_devices_the_values_that_are_hashed():
    doc = _flagged("true")
    doc["message"]["contents"] = None
    out = canonical(doc)
    assert out["message"]["urgent"] is True
    assert out["message"]["contents"] == ""
    assert hashes(out) == hashes(doc)


def test_software_signer_refuses_through_signing_error():
    signer = SoftwareSigner.from_mnemonic("abandon " * 11 + "about")
    with pytest.raises(SigningError):
        signer.sign_typed_data("m/44'/60'/0'/0/0", _flagged("false"))


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8) | st.floats(),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=12,
)
_type_names = st.sampled_from(
    ["string", "bytes", "bool", "address", "uint8", "int256", "bytes4", "bytes32", "Mail",
     "Person", "Person[]", "uint256[2]", "Nope", "uint7", "function", "string[][]"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    fields=st.lists(st.tuples(st.text(max_size=4), _type_names), max_size=4),
    message=st.dictionaries(st.text(max_size=4), _json, max_size=4),
    domain=_json,
    primary=st.sampled_from(["Mail", "EIP712Domain", "Person", "Other"]),
)
def test_any_document_is_hashed_or_refused_with_a_typed_error(fields, message, domain, primary):
    """Whatever a site sends: a hash, or a TypedDataError saying why, never another exception."""
    doc = copy.deepcopy(MAIL)
    doc["types"]["Mail"] = [{"name": n, "type": t} for n, t in fields]
    doc["message"] = message
    doc["primaryType"] = primary
    if not isinstance(domain, dict | None):
        doc["domain"] = domain
    try:
        hashes(doc)
    except TypedDataError:
        pass


def test_deep_nesting_is_refused():
    doc = copy.deepcopy(MAIL)
    doc["types"]["Node"] = [{"name": "next", "type": "Node"}]
    doc["types"]["Mail"] = [{"name": "n", "type": "Node"}]
    node: dict = {"next": None}
    for _ in range(5000):
        node = {"next": node}
    doc["message"] = {"n": node}
    with pytest.raises(TypedDataError, match="too deeply"):
        hashes(doc)


def test_null_structs_are_found_for_devices_that_walk_the_document():
    assert not has_null_struct(MAIL)
    assert has_null_struct(_mail_with(to=None))
    doc = copy.deepcopy(MAIL)
    del doc["message"]["to"]
    assert has_null_struct(doc)
    assert not has_null_struct(_mail_with(contents=None))  # a null string is not a struct
