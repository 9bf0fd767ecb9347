"""EIP-712 typed data as MetaMask's eth_signTypedData_v4 hashes it, with its unsafe leniencies
refused.

Hand-rolled on eth-abi and keccak rather than eth-account's `encode_typed_data`, because
eth-account 0.14 hashes some documents differently from eth-sig-util V4 (what dapps verify
against) or not at all:
- a document whose primaryType is EIP712Domain (domain only) is refused ("Unable to determine
  primary type"); V4 signs keccak(0x1901 || domain separator);
- the domain is hashed with eth-account's fixed field order and field set, not the order the
  document's EIP712Domain type gives (V4 follows the type; so does the verifying contract);
- a null string is encoded as 32 zero bytes, V4 hashes it as the empty string;
- a document with two unrelated struct types is refused although it names its primaryType.
eth-account stays the independent check: tests/devices/test_eip712.py compares our hashes
with its public API on every document both accept, and with eth-sig-util's own vectors.

What V4 accepts and we do not (docs/security.md, "Typed data"), each refused with a sentence:
- an address without 0x: V4 reads it as decimal digits (`reallyStrangeAddressToBytes`), so
  it signs another address than the one shown; also a mixed-case address whose EIP-55
  checksum is wrong, and any address that is not 20 bytes;
- a bool given as a string other than "true": V4 signs `Boolean("false")`, which is true;
- a missing field, or a null that is not a string or a struct (V4 refuses these too, or
  reads null as false for a bool);
- keys in the domain or a struct that its type does not list: V4 ignores them, so the user
  would see values that are not signed; likewise a message beside a domain-only document;
- an integer out of its type's range (V4 encodes it as a 256-bit number);
- a string or bytes given as a number.
Null strings hash as "" and null structs as 32 zero bytes, as V4 does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from devices.emulator import SigningError
from said import Said

DOMAIN = "EIP712Domain"
_INT = re.compile(r"(u?)int(\d{1,3})")
_BYTES_N = re.compile(r"bytes(\d{1,2})")
_ARRAY = re.compile(r"^(.*)\[(\d*)\]$")
_HEX = re.compile(r"0x[0-9a-fA-F]*")
# Structs and arrays nest at most this deep: real documents nest a few levels, and a limit of
# our own keeps a hostile document from reaching Python's recursion limit (whatever a test
# runner set it to).
MAX_DEPTH = 32


class TypedDataError(SigningError):
    """The typed data is not signed as given; the message says which field and why."""


@dataclass(frozen=True)
class TypedDataHashes:
    """What is signed: keccak(0x19 0x01 || domain || message), message None when the
    primaryType is EIP712Domain."""

    domain: bytes
    message: bytes | None

    @property
    def digest(self) -> bytes:
        from eth_utils import keccak

        return bytes(keccak(b"\x19\x01" + self.domain + (self.message or b"")))


def _types(data: dict[str, Any]) -> dict[str, list[dict[str, str]]]:
    types = data.get("types")
    if not isinstance(types, dict):
        raise TypedDataError(
            Said("eip712.typed_data_has_no", "the typed data has no 'types' object")
        )
    out: dict[str, list[dict[str, str]]] = {DOMAIN: []}
    for name, fields in types.items():
        if not isinstance(name, str) or not isinstance(fields, list):
            raise TypedDataError(
                Said(
                    "eip712.each_entry_types_list",
                    "each entry of 'types' is a list of {{name, type}}",
                )
            )
        seen: set[str] = set()
        for f in fields:
            if (
                not isinstance(f, dict)
                or not isinstance(f.get("name"), str)
                or not isinstance(f.get("type"), str)
            ):
                raise TypedDataError(
                    Said(
                        "eip712.type_each_field",
                        "type {name}: each field is {{name, type}}",
                        name=name,
                    )
                )
            if f["name"] in seen:
                raise TypedDataError(
                    Said(
                        "eip712.type_field_listed_twice",
                        "type {name}: field {field} is listed twice",
                        name=name,
                        field=f["name"],
                    )
                )
            seen.add(f["name"])
        out[name] = [{"name": f["name"], "type": f["type"]} for f in fields]
    return out


def _base(type_: str) -> str:
    return re.match(r"^\w*", type_).group(0)  # type: ignore[union-attr]


def _deps(primary: str, types: dict[str, Any], found: set[str]) -> set[str]:
    base = _base(primary)
    if base in found or base not in types:
        return found
    found.add(base)
    for f in types[base]:
        _deps(f["type"], types, found)
    return found


def encode_type(primary: str, types: dict[str, Any]) -> str:
    deps = _deps(primary, types, set())
    deps.discard(primary)
    parts = []
    for t in [primary, *sorted(deps)]:
        members = ",".join(f"{f['type']} {f['name']}" for f in types[t])
        parts.append(f"{t}({members})")
    return "".join(parts)


def _type_hash(primary: str, types: dict[str, Any]) -> bytes:
    from eth_utils import keccak

    return bytes(keccak(text=encode_type(primary, types)))


def _address(where: str, value: Any) -> bytes:
    if not isinstance(value, str):
        raise TypedDataError(
            Said(
                "eip712.address_0x_prefixed_string",
                "{where}: an address is a 0x-prefixed string of 40 hex digits",
                where=where,
            )
        )
    if not value.startswith(("0x", "0X")):
        raise TypedDataError(
            Said(
                "eip712.address_has_no_0x",
                "{where}: the address has no 0x prefix. MetaMask reads such "
                "a value as another address than the one shown; ask the site "
                "for a 0x-prefixed address.",
                where=where,
            )
        )
    digits = value[2:]
    if not re.fullmatch(r"[0-9a-fA-F]{40}", digits):
        raise TypedDataError(
            Said(
                "eip712.address_0x_exactly_40",
                "{where}: an address is 0x and exactly 40 hex digits",
                where=where,
            )
        )
    if digits != digits.lower() and digits != digits.upper():
        from eth_utils import to_checksum_address

        if to_checksum_address("0x" + digits) != "0x" + digits:
            raise TypedDataError(
                Said(
                    "eip712.address_s_mixed_case",
                    "{where}: the address's mixed-case checksum (EIP-55) is "
                    "wrong: it may have a typo",
                    where=where,
                )
            )
    return bytes.fromhex(digits)


def _bool(where: str, value: Any) -> bool:
    if value is True or value is False:
        return bool(value)
    if value == "true":
        return True  # every implementation reads "true" as true
    if value == "false":
        raise TypedDataError(
            Said(
                "eip712.bool_string_false_metamask",
                '{where}: the bool is the string "false". MetaMask signs it '
                "as true; ask the site for a JSON false.",
                where=where,
            )
        )
    raise TypedDataError(
        Said("eip712.bool_true_false", "{where}: a bool is true or false", where=where)
    )


def _int(where: str, type_: str, value: Any) -> int:
    m = _INT.fullmatch(type_)
    assert m is not None
    signed, bits = m.group(1) == "", int(m.group(2))
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypedDataError(
            Said(
                "eip712.number_decimal_0x_string",
                "{where}: a {type_name} is a number or a decimal or 0x string",
                where=where,
                type_name=type_,
            )
        )
    if isinstance(value, str):
        text = value.strip()
        try:
            number = int(text, 16) if _HEX.fullmatch(text) and len(text) > 2 else int(text, 10)
        except ValueError:
            raise TypedDataError(
                Said(
                    "eip712.value_not_number",
                    "{where}: {type_name} value is not a number",
                    where=where,
                    type_name=type_,
                )
            ) from None
    else:
        number = value
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    if not lo <= number <= hi:
        raise TypedDataError(
            Said(
                "eip712.value_out_range",
                "{where}: the value is out of range for {type_name}",
                where=where,
                type_name=type_,
            )
        )
    return number


def _bytes(where: str, value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if not isinstance(value, str):
        raise TypedDataError(
            Said("eip712.bytes_are_0x_hex", "{where}: bytes are a 0x hex string", where=where)
        )
    if _HEX.fullmatch(value):
        if len(value) % 2:
            raise TypedDataError(
                Said(
                    "eip712.hex_string_has_odd",
                    "{where}: the hex string has an odd number of digits",
                    where=where,
                )
            )
        return bytes.fromhex(value[2:])
    return value.encode()  # V4 and eth-account both read other text as its UTF-8 bytes


def _field(
    types: dict[str, Any], where: str, type_: str, value: Any, present: bool, depth: int
) -> bytes:
    """One field's 32-byte encoding (V4's encodeField)."""
    from eth_abi import encode
    from eth_utils import keccak

    if depth > MAX_DEPTH:
        raise TypedDataError(
            Said("eip712.typed_data_nested_too", "the typed data is nested too deeply")
        )
    if type_ in types:
        if value is None:
            return b"\x00" * 32  # a null or absent struct, as V4
        return bytes(keccak(_encode_data(types, type_, value, where, depth + 1)))
    if not present:
        raise TypedDataError(
            Said("eip712.field_missing", "{where}: the field is missing", where=where)
        )
    arr = _ARRAY.match(type_)
    if arr is not None:
        inner, size = arr.group(1), arr.group(2)
        if not isinstance(value, list):
            raise TypedDataError(
                Said(
                    "eip712.list", "{where}: a {type_name} is a list", where=where, type_name=type_
                )
            )
        if size and int(size) != len(value):
            raise TypedDataError(
                Said(
                    "eip712.has_items_not",
                    "{where}: a {type_name} has {size} items, not {count}",
                    where=where,
                    type_name=type_,
                    size=size,
                    count=len(value),
                )
            )
        parts = b"".join(
            _field(types, f"{where}[{i}]", inner, v, True, depth + 1) for i, v in enumerate(value)
        )
        return bytes(keccak(parts))
    if type_ == "string":
        if value is None:
            value = ""  # V4: a null string hashes as the empty string
        if not isinstance(value, str):
            raise TypedDataError(
                Said(
                    "eip712.string_field_holds_string",
                    "{where}: a string field holds a string",
                    where=where,
                )
            )
        return bytes(keccak(value.encode()))
    if value is None:
        raise TypedDataError(
            Said(
                "eip712.null_not",
                "{where}: null is not a {type_name}",
                where=where,
                type_name=type_,
            )
        )
    if type_ == "bytes":
        return bytes(keccak(_bytes(where, value)))
    if type_ == "address":
        return bytes(encode(["address"], ["0x" + _address(where, value).hex()]))
    if type_ == "bool":
        return bytes(encode(["bool"], [_bool(where, value)]))
    m = _BYTES_N.fullmatch(type_)
    if m is not None and 1 <= int(m.group(1)) <= 32:
        raw = _bytes(where, value)
        if len(raw) > int(m.group(1)):
            raise TypedDataError(
                Said(
                    "eip712.more_than_bytes",
                    "{where}: more than {max_bytes} bytes for {type_name}",
                    where=where,
                    max_bytes=m.group(1),
                    type_name=type_,
                )
            )
        return raw.ljust(32, b"\x00")  # as ABI-encoded bytesN: left-aligned
    m = _INT.fullmatch(type_)
    if m is not None and 8 <= int(m.group(2)) <= 256 and int(m.group(2)) % 8 == 0:
        return bytes(encode([type_], [_int(where, type_, value)]))
    raise TypedDataError(
        Said(
            "eip712.not_eip_712_type",
            "{where}: {type_name!r} is not an EIP-712 type",
            where=where,
            type_name=type_,
        )
    )


def _encode_data(
    types: dict[str, Any], primary: str, data: Any, where: str, depth: int = 0
) -> bytes:
    if not isinstance(data, dict):
        raise TypedDataError(
            Said("eip712.object", "{where}: a {primary} is an object", where=where, primary=primary)
        )
    listed = {f["name"] for f in types[primary]}
    extra = sorted(str(k) for k in data if k not in listed)
    if extra:
        raise TypedDataError(
            Said(
                "eip712.not_type_would_shown",
                "{where}: {fields} not in type {primary}: it would be shown but not signed",
                where=where,
                fields=", ".join(extra),
                primary=primary,
            )
        )
    out = _type_hash(primary, types)
    for f in types[primary]:
        name = f["name"]
        out += _field(types, f"{where}.{name}", f["type"], data.get(name), name in data, depth)
    return out


def hashes(data: Any) -> TypedDataHashes:
    """The domain separator and message hash of an eth_signTypedData_v4 document."""
    try:
        return _hashes(data)
    except RecursionError:  # a document nested deeper than any real one
        raise TypedDataError(
            Said("eip712.typed_data_nested_too", "the typed data is nested too deeply")
        ) from None


def _hashes(data: Any) -> TypedDataHashes:
    from eth_utils import keccak

    if not isinstance(data, dict):
        raise TypedDataError(
            Said("eip712.typed_data_json_object", "the typed data is a JSON object")
        )
    types = _types(data)
    primary = data.get("primaryType")
    if not isinstance(primary, str) or primary not in types:
        raise TypedDataError(
            Said(
                "eip712.primarytype_names_none_document",
                "primaryType names none of the document's types",
            )
        )
    domain = data.get("domain", {})
    domain_hash = bytes(keccak(_encode_data(types, DOMAIN, domain, "domain")))
    if primary == DOMAIN:
        if data.get("message") not in (None, {}):
            raise TypedDataError(
                Said(
                    "eip712.primarytype_eip712domain_so_message",
                    "the primaryType is EIP712Domain, so the message is not "
                    "signed: the document must carry none",
                )
            )
        return TypedDataHashes(domain_hash, None)
    message = data.get("message")
    return TypedDataHashes(
        domain_hash, bytes(keccak(_encode_data(types, primary, message, "message")))
    )


def has_null_struct(data: dict[str, Any]) -> bool:
    """Whether a struct is null or absent anywhere in the document (after `hashes` accepted
    it). V4 hashes such a struct as 32 zero bytes; a device that walks the document itself
    (Trezor Model T, Safe) asks for the struct's members and has no way to say "null"."""
    types = _types(data)

    def walk(type_: str, value: Any) -> bool:
        if type_ in types:
            if not isinstance(value, dict):
                return True
            return any(walk(f["type"], value.get(f["name"])) for f in types[type_])
        arr = _ARRAY.match(type_)
        if arr is not None and isinstance(value, list):
            return any(walk(arr.group(1), v) for v in value)
        return False

    if walk(DOMAIN, data.get("domain", {})):
        return True
    primary = data.get("primaryType")
    return primary != DOMAIN and walk(str(primary), data.get("message"))


def canonical(data: dict[str, Any]) -> dict[str, Any]:
    """The document as a device that parses EIP-712 itself should get it, after `hashes`
    accepted it: null strings as "", "true" as true. Values are otherwise unchanged."""
    types = _types(data)

    def walk(type_: str, value: Any) -> Any:
        if type_ in types and isinstance(value, dict):
            fields = types[type_]
            return {
                f["name"]: walk(f["type"], value[f["name"]]) for f in fields if f["name"] in value
            }
        arr = _ARRAY.match(type_)
        if arr is not None and isinstance(value, list):
            return [walk(arr.group(1), v) for v in value]
        if type_ == "string" and value is None:
            return ""
        if type_ == "bool" and value == "true":
            return True
        return value

    out = dict(data)
    out["types"] = {k: v for k, v in types.items()}
    out["domain"] = walk(DOMAIN, data.get("domain", {}))
    if data.get("primaryType") != DOMAIN:
        out["message"] = walk(data["primaryType"], data.get("message"))
    else:
        out["message"] = {}
    return out
