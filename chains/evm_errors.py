"""The EVM backend's own errors (chains/evm.py): what a node refused and why, in the words the
send and swap screens show. Split from chains/evm.py (issue 21); chains.evm re-exports them."""

from __future__ import annotations

from typing import Any

from chains.errors import ChainError


class TxRejected(ChainError):
    """The node refused a signed transaction; `reason` is the node's own words."""

    code = "TX_REJECTED"

    def __init__(self, reason: str) -> None:
        super().__init__(f"The node refused the transaction: {reason}", reason=reason)
        self.reason = reason


class NonceUsed(TxRejected):
    """A transaction with this nonce is already mined: this one can never be."""

    code = "NONCE_USED"


class AlreadyKnown(TxRejected):
    """The node already holds exactly this transaction (a re-broadcast): not an error for us."""

    code = "TX_ALREADY_KNOWN"


class Underpriced(TxRejected):
    """A replacement must pay more than the transaction it replaces."""

    code = "TX_UNDERPRICED"


class WrongChain(ChainError):
    """A node answered for another chain than the network's: every answer it gives would be
    about other money, and what we sign for it would be for the wrong chain."""

    code = "WRONG_CHAIN"

    def __init__(self, url: str, expected: int, got: int | None) -> None:
        said = "no usable chain id" if got is None else f"chain id {got}"
        super().__init__(
            f"refused node {url}: it answered {said}, but this network is chain id {expected}",
            url=url,
            expected=expected,
            got="?" if got is None else got,
        )
        self.url = url


class CallReverted(ChainError):
    """A read-only contract call reverted; the message is the contract's reason."""

    code = "CALL_REVERTED"


class NotAToken(ChainError):
    code = "NOT_A_TOKEN"


def rejected(exc: Any) -> TxRejected:
    """The TxRejected a node's refusal of a broadcast means (web3's Web3RPCError)."""
    msg = getattr(exc, "rpc_response", None)
    text = str((msg or {}).get("error", {}).get("message") if isinstance(msg, dict) else exc)
    low = text.lower()
    if "already known" in low or "already imported" in low or "known transaction" in low:
        return AlreadyKnown(text[:200])
    if "nonce too low" in low or "nonce has already been used" in low:
        return NonceUsed(text[:200])
    if "underpriced" in low or "replacement" in low:
        return Underpriced(text[:200])
    return TxRejected(text[:200])
