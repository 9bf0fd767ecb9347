"""What a send is checked against, and what it raises when a check fails: the typed send
errors, the token check (a known token's decimals never change) and the signed-bytes check (a
signer's answer must be exactly the reviewed transaction, from the reviewed account)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chains.evm import decode_erc20_transfer
from chains.models import Asset
from said import Said

if TYPE_CHECKING:
    from wallet.send import Review


class SendError(Exception):
    code = "SEND"

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.details = details


class NothingToSend(SendError):
    code = "NOTHING_TO_SEND"


class SignerMismatch(SendError):
    """The signer returned a transaction other than the one reviewed, or from another key."""

    code = "SIGNER_MISMATCH"


class NonceTaken(SendError):
    code = "NONCE_TAKEN"


class NotPending(SendError):
    code = "NOT_PENDING"


class TokenChanged(SendError):
    """The node's answer for a known token's decimals or symbol differs from the token list or
    from what the user confirmed when first using it. A token's decimals never change: either
    the node lies or the contract does, and an amount in base units would mean something else
    than the review shows (10^6 times more for 12 decimals instead of 6)."""

    code = "TOKEN_CHANGED"

    def __init__(self, asset: Asset, symbol: str, decimals: int) -> None:
        super().__init__(
            f"{asset.symbol} ({asset.contract}) was confirmed with {asset.decimals} decimals "
            f"and the symbol {asset.symbol}, but the node now answers {decimals} decimals and "
            f"the symbol {symbol}: a token's decimals never change, so the node or the "
            "contract is not telling the truth. Nothing was signed; try another RPC URL.",
            symbol=asset.symbol,
            contract=asset.contract,
            stored=asset.decimals,
            got=decimals,
        )


def check_token(asset: Asset, symbol: str, decimals: int, *, listed: bool) -> None:
    """TokenChanged unless the node's answer agrees with what the wallet knows of the token.
    A listed token's symbol may be written differently on the list (USDC.e), so only its
    decimals count; a stored token was stored from this contract's own answers."""
    if decimals != asset.decimals or (not listed and symbol != asset.symbol):
        raise TokenChanged(asset, symbol, decimals)


def decode_signed(raw: bytes) -> dict[str, Any]:
    """The fields of a signed EIP-1559 transaction we check, with the recovered sender."""
    from eth_account import Account
    from eth_account.typed_transactions import TypedTransaction

    if raw[:1] != b"\x02":  # we only ever ask for EIP-1559 transactions
        raise SignerMismatch(
            Said(
                "send_checks.signer_returned_transaction_another",
                "the signer returned a transaction of another type; nothing sent",
            )
        )
    from hexbytes import HexBytes

    d = TypedTransaction.from_bytes(HexBytes(raw)).as_dict()
    to = d.get("to") or b""
    from eth_utils import to_checksum_address

    return {
        "sender": Account.recover_transaction(raw),
        "nonce": int(d["nonce"]),
        "to": to_checksum_address(to) if to else None,
        "value": int(d["value"]),
        "data": bytes(d.get("data") or b""),
        "chain_id": int(d.get("chainId") or 0),
        "gas": int(d["gas"]),
        "max_fee_per_gas": int(d.get("maxFeePerGas") or d.get("gasPrice") or 0),
    }


def verify_signed(raw: bytes, review: Review) -> None:
    """The signed bytes must be exactly the reviewed transaction, from the reviewed account: a
    wrong derivation path, a wrong passphrase or a misbehaving device is caught here, before
    anything is stored or sent."""
    d = decode_signed(raw)
    tx = review.tx
    expected = {
        "sender": review.sender,
        "nonce": tx.nonce,
        "to": tx.to,
        "value": tx.value,
        "data": tx.data,
        "chain_id": tx.chain_id,
        "gas": tx.gas,
        "max_fee_per_gas": tx.max_fee_per_gas,
    }
    wrong = sorted(k for k, v in expected.items() if d[k] != v)
    if wrong:
        raise SignerMismatch(
            Said(
                "send_checks.signer_returned_transaction_differs",
                "the signer returned a transaction that differs from the "
                "review ({fields}); nothing was sent",
                fields=", ".join(wrong),
            ),
            fields=",".join(wrong),
        )
    if review.asset.contract is not None and review.kind != "cancel":
        decoded = decode_erc20_transfer(tx.data)
        if decoded != (review.recipient, review.amount):
            raise SignerMismatch(
                Said(
                    "send_checks.token_transfer_does_not",
                    "the token transfer does not match the review; nothing was sent",
                )
            )
