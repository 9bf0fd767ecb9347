"""Signed messages (issue 20): prove an address is yours, or check someone else's proof.

Bitcoin and Litecoin: BIP322 simple (native segwit and taproot) and the legacy signed message
("Bitcoin Signed Message", BIP137 headers; not for taproot), base64 as Sparrow, Electrum and
Bitcoin Core print them. EVM networks: EIP-191 personal_sign, 0x and 65 bytes hex as MetaMask
prints it. The cryptography is devices/btcmsg.py's and eth-account's; this module picks the
signer's path, checks what a signer returns before anyone sees it, and verifies without any
signer at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from said import Said
from wallet.keys import ScriptKind, address_path, chain_spec

FORMATS = ("bip322", "legacy")
EIP191 = "eip191"
# Big enough for any proof-of-ownership text; a file of megabytes is a mistake, and a device
# shows (and the Ledger apps accept) only so much.
MAX_MESSAGE = 16 * 1024


class MessageError(ValueError):
    """Why a message cannot be signed or a signature cannot be checked, for the user."""


@dataclass(frozen=True)
class SignedMessage:
    chain: str
    address: str
    path: str
    format: str  # bip322 | legacy | eip191
    signature: str  # base64 (Bitcoin-like) or 0x-hex (EVM)


@dataclass(frozen=True)
class Verification:
    valid: bool
    format: str | None  # the format the signature was read as (None: unreadable)


def is_evm(chain: str) -> bool:
    from devices.coins import EVM_CHAINS

    return chain in EVM_CHAINS


def signing_path(chain: str, script: str, account: int, index: int, *, change: bool) -> str:
    if is_evm(chain):  # one key family for every EVM network (wallet/keys.py)
        return address_path("eth", ScriptKind.ETH, account, index, change=change)
    chain_spec(chain)  # an unknown network is refused by name
    return address_path(chain, ScriptKind(script), account, index, change=change)


# A BIP322 simple signature is a witness of a few hundred bytes; anything far longer is not
# one, and is refused before it is decoded.
MAX_SIGNATURE_TEXT = 4096


# How far `find_address` looks: the gap a wallet scans (and then some), for a few accounts.
SEARCH_ACCOUNTS = 5
SEARCH_INDEXES = 200


@dataclass(frozen=True)
class AddressSpot:
    script: str  # eth | p2wpkh | p2tr
    account: int
    index: int
    change: bool


def find_address(book: object, chain: str, address: str) -> AddressSpot:
    """Where `address` is in this wallet's accounts (wallet/accounts.AccountBook `book`):
    Ethereum accounts 0..19, Bitcoin-like accounts 0..4 with the first 200 receiving and
    change addresses each, derived from the stored keys. MessageError when it is not there."""
    from wallet.accounts import AccountError

    wanted = address.strip()
    if is_evm(chain):
        for account in range(20):
            try:
                mine = book.address(chain, ScriptKind.ETH, account)  # type: ignore[attr-defined]
            except AccountError:
                break
            if mine.lower() == wanted.lower():
                return AddressSpot("eth", account, 0, False)
    else:
        chain_spec(chain)
        # Addresses a sync has seen are in the store: no derivation needed.
        row = book._db.execute(  # type: ignore[attr-defined]
            "SELECT a.script, a.account_index, u.change, u.idx FROM utxo_addresses u "
            "JOIN accounts a ON a.id = u.account_id WHERE u.network = ? AND u.address = ? "
            "AND a.watch_only = 0 AND (? IS NULL OR a.wallet_id = ?) LIMIT 1",
            (chain, wanted, book.wallet_id, book.wallet_id),  # type: ignore[attr-defined]
        ).fetchone()
        if row is not None and row[0] in ("p2wpkh", "p2tr") and row[1] is not None:
            return AddressSpot(str(row[0]), int(row[1]), int(row[3]), bool(row[2]))
        for kind in (ScriptKind.P2WPKH, ScriptKind.P2TR):
            for account in range(SEARCH_ACCOUNTS):
                if book.find(chain, kind, account) is None:  # type: ignore[attr-defined]
                    continue
                for change in (False, True):
                    for index in range(SEARCH_INDEXES):
                        mine = book.address(chain, kind, account, index, change=change)  # type: ignore[attr-defined]
                        if mine == wanted or mine == wanted.lower():
                            return AddressSpot(kind.value, account, index, change)
    raise MessageError(
        Said(
            "messages.not_one_wallet_s",
            "{address} is not one of this wallet's {chain} addresses "
            "(accounts 0-{last_account}, first {indexes} of "
            "each): pick it with --account, --index and --type instead",
            address=address,
            chain=chain,
            last_account=SEARCH_ACCOUNTS - 1,
            indexes=SEARCH_INDEXES,
        )
    )


def _check_size(message: bytes, signature: str = "") -> None:
    if len(message) > MAX_MESSAGE:
        raise MessageError(
            Said(
                "messages.message_longer_than_bytes",
                "the message is longer than {max_bytes} bytes",
                max_bytes=MAX_MESSAGE,
            )
        )
    if len(signature) > MAX_SIGNATURE_TEXT:
        raise MessageError(
            Said(
                "messages.not_message_signature_far",
                "that is not a message signature: it is far too long",
            )
        )


def sign(
    signer: object, chain: str, address: str, path: str, message: bytes, fmt: str | None
) -> SignedMessage:
    """Sign `message` for `address` (at `path`) with `signer`; the result is verified against
    `address` before it is returned, so a signer with another seed never yields a proof."""
    _check_size(message)
    if is_evm(chain):
        if fmt not in (None, EIP191):
            raise MessageError(
                Said(
                    "messages.evm_messages_are_signed",
                    "EVM messages are signed with EIP-191 (personal_sign) only",
                )
            )
        raw = bytes(signer.sign_message(path, message))  # type: ignore[attr-defined]
        text = "0x" + raw.hex()
        used = EIP191
    else:
        used = fmt or "bip322"
        if used not in FORMATS:
            raise MessageError(
                Said("messages.format_bip322_legacy", "the format is bip322 or legacy")
            )
        from devices import btcmsg

        raw = bytes(signer.sign_btc_message(chain, path, message, used))  # type: ignore[attr-defined]
        text = btcmsg.encode(raw)
    check = verify(chain, address, message, text)
    if not check.valid:
        raise MessageError(
            Said(
                "messages.signer_s_signature_does",
                "the signer's signature does not verify for {address}: it "
                "holds another key (another seed or passphrase). Nothing was "
                "signed for this address.",
                address=address,
            )
        )
    return SignedMessage(chain=chain, address=address, path=path, format=used, signature=text)


_EVM_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")


def verify(chain: str, address: str, message: bytes, signature: str) -> Verification:
    """Whether `signature` proves `address` signed `message`. No signer, no network."""
    _check_size(message, signature)
    if is_evm(chain):
        return _verify_evm(address, message, signature)
    return _verify_utxo(chain, address, message, signature)


def _verify_evm(address: str, message: bytes, signature: str) -> Verification:
    from eth_account import Account
    from eth_account.messages import encode_defunct

    if not _EVM_ADDRESS.fullmatch(address.strip()):
        raise MessageError(
            Said("messages.evm_address_0x_40", "an EVM address is 0x and 40 hex digits")
        )
    text = signature.strip().removeprefix("0x")
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raise MessageError(
            Said("messages.eip_191_signature_0x", "an EIP-191 signature is 0x and 130 hex digits")
        ) from None
    if len(raw) != 65:
        raise MessageError(
            Said("messages.eip_191_signature_0x", "an EIP-191 signature is 0x and 130 hex digits")
        )
    try:
        signer = Account.recover_message(encode_defunct(primitive=message), signature=raw)
    except Exception:  # a signature off the curve, or v not 27/28/0/1
        return Verification(False, EIP191)
    return Verification(signer.lower() == address.strip().lower(), EIP191)


def _verify_utxo(chain: str, address: str, message: bytes, signature: str) -> Verification:
    from chains.utxo import AddressError, address_to_script
    from chains.utxo_networks import UTXO_NETWORKS
    from devices import btcmsg

    net = UTXO_NETWORKS.get(chain)
    if net is None:
        raise MessageError(Said("messages.no_network", "no network {chain!r}", chain=chain))
    try:
        script = address_to_script(address, net)
    except AddressError as exc:
        raise MessageError(str(exc)) from None
    try:
        raw = btcmsg.decode(signature)
    except btcmsg.MessageSignatureError as exc:
        raise MessageError(str(exc)) from None
    # A 65-byte value with a BIP137 header is a legacy signature; a BIP322 witness never has
    # that shape (it starts with its item count, 1 or 2).
    if len(raw) == 65 and 27 <= raw[0] <= 42:
        return Verification(btcmsg.verify_legacy(message, chain, script, raw), "legacy")
    try:
        return Verification(btcmsg.verify_bip322(message, script, raw), "bip322")
    except btcmsg.MessageSignatureError as exc:
        raise MessageError(str(exc)) from None
