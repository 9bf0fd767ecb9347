"""The signer agent's wire format: one JSON object per frame, each frame a 4-byte big-endian
length then that many bytes of UTF-8. Shared by devices/agent_server.py (the laptop) and
devices/agent_client.py (the server).

Why hand-rolled rather than a library: the protocol is five message kinds over a stream that
OpenSSH already authenticates and encrypts; JSON-RPC or gRPC would add a dependency and
nothing this needs (no batching, no schema compiler). Bytes travel as hex strings, integers
as JSON integers (Python's json keeps them exact at any size: wei amounts never become floats).

A session (one connection):

    client -> {"v": 1, "op": "hello", "secret": hex, "host": "<server's name>"}
    agent  -> {"ok": {"v": 1, "host": "<laptop's name>", "devices": [entry, ...]}}
    client -> {"op": "open", "device": "<agent-side id>"}
    agent  -> {"ok": {"info": {...}, "chains": [...], "accounts": [...]}}
    client -> {"op": "call", "method": "get_address", "args": {...}}
    agent  -> {"event": "confirm", "prompt": {...}} / {"event": "finished"}   (0 or more)
    agent  -> {"ok": result}  or  {"error": {"code": "...", "message": "..."}}

Every answer is one of "ok" or "error"; events come only between a call and its answer, so a
signature costs one round trip over the link plus what the device takes.
"""

from __future__ import annotations

import json
import re
import socket
import struct
from dataclasses import asdict
from typing import Any

from devices.base import DevicePrompt, PromptAmount, PromptKind, PromptOutput
from devices.errors import DeviceError, Disconnected
from said import Said

VERSION = 1
MAX_FRAME = 16 * 1024 * 1024  # a PSBT with many full previous transactions fits
_HEADER = struct.Struct(">I")

# The Signer methods the agent serves (devices/base.py), plus what device wallets ask
# (wallet/device_wallet.py: the master fingerprint, a Ledger's open app, the passphrase flag).
METHODS = frozenset(
    {
        "capabilities",
        "get_xpub",
        "get_address",
        "sign_evm_tx",
        "sign_message",
        "sign_btc_message",
        "sign_typed_data",
        "sign_psbt",
        "master_fingerprint",
        "current_app",
        "passphrase_used",
    }
)


class AgentRefused(DeviceError):
    """The agent refused the request (no secret, another user, a chain or account the session
    did not open, an unknown device): the message says which and what to do."""

    code = "AGENT_REFUSED"


class AgentDisconnected(Disconnected):
    """The connection to the agent dropped (ssh ended, the agent stopped). A Disconnected, so
    device wallets look for their device again on the next call."""

    code = "AGENT_DISCONNECTED"


class ProtocolError(AgentRefused):
    code = "AGENT_PROTOCOL"


def send_frame(sock: socket.socket, message: dict[str, Any]) -> None:
    body = json.dumps(message, separators=(",", ":")).encode()
    if len(body) > MAX_FRAME:
        raise ProtocolError(
            Said(
                "agent_protocol.request_too_large_signer",
                "the request is too large for the signer agent",
            )
        )
    sock.sendall(_HEADER.pack(len(body)) + body)


def _read_exact(sock: socket.socket, n: int) -> bytes:
    chunks = []
    while n:
        chunk = sock.recv(min(n, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def recv_frame(sock: socket.socket) -> dict[str, Any]:
    """The next message; EOFError when the peer closed the connection between frames or in one."""
    (length,) = _HEADER.unpack(_read_exact(sock, _HEADER.size))
    if length > MAX_FRAME:
        raise ProtocolError(
            Said(
                "agent_protocol.frame_bytes_more_than",
                "a frame of {length} bytes is more than the agent accepts",
                length=length,
            )
        )
    try:
        message = json.loads(_read_exact(sock, length))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ProtocolError(
            Said(
                "agent_protocol.signer_agent_s_peer_2",
                "the signer agent's peer sent something that is not JSON",
            )
        ) from None
    if not isinstance(message, dict):
        raise ProtocolError(
            Said(
                "agent_protocol.signer_agent_s_peer",
                "the signer agent's peer sent a frame that is not an object",
            )
        )
    return message


# --- errors ---------------------------------------------------------------------------------


def error_frame(exc: DeviceError) -> dict[str, Any]:
    # Only plain values of the details travel (a wanted app, a path, a fingerprint).
    details = {k: v for k, v in exc.details.items() if isinstance(v, str | int | bool) or v is None}
    return {"error": {"code": exc.code, "message": str(exc), "details": details}}


def _error_classes() -> dict[str, type[DeviceError]]:
    from devices import errors

    found: dict[str, type[DeviceError]] = {}
    for value in vars(errors).values():
        if isinstance(value, type) and issubclass(value, DeviceError):
            found[value.code] = value
    for cls in (AgentRefused, AgentDisconnected, ProtocolError):
        found[cls.code] = cls
    return found


def error_from(body: Any) -> DeviceError:
    """The typed error an agent's error frame names (devices/errors.py and ours). A code of a
    class outside those modules (SIGNING_REFUSED, BAD_PSBT: their modules load heavy
    libraries) becomes a DeviceError that keeps the code, so messages and tickets name it."""
    if not isinstance(body, dict):
        return ProtocolError("the signer agent answered with a malformed error")
    code = str(body.get("code") or "DEVICE")
    message = str(body.get("message") or "the signer agent refused the request")[:500]
    raw = body.get("details")
    details = {
        k: v
        for k, v in (raw.items() if isinstance(raw, dict) else ())
        if isinstance(k, str)
        and k.isidentifier()
        and k != "message"
        and (isinstance(v, str | int | bool) or v is None)
    }
    cls = _error_classes().get(code, DeviceError)
    exc = cls.__new__(cls)
    DeviceError.__init__(exc, message, **details)
    if cls is DeviceError and re.fullmatch(r"[A-Z][A-Z0-9_]{0,40}", code):
        exc.code = code
    if "wanted" in details:  # WrongApp names the app to open
        exc.wanted = str(details["wanted"])  # type: ignore[attr-defined]
    return exc


# --- values -----------------------------------------------------------------------------------


def prompt_to_json(prompt: DevicePrompt) -> dict[str, Any]:
    return asdict(prompt)


def prompt_from_json(body: dict[str, Any]) -> DevicePrompt:
    def amount(a: Any) -> PromptAmount | None:
        if not isinstance(a, dict):
            return None
        return PromptAmount(
            value=int(a["value"]), decimals=int(a["decimals"]), symbol=str(a["symbol"])
        )

    outputs = tuple(
        PromptOutput(address=str(o["address"]), amount=amount(o["amount"]))  # type: ignore[arg-type]
        for o in body.get("outputs") or ()
    )
    return DevicePrompt(
        kind=PromptKind(body["kind"]),
        device=str(body.get("device") or "device"),
        chain=body.get("chain"),
        chain_id=body.get("chain_id"),
        path=body.get("path"),
        address=body.get("address"),
        amount=amount(body.get("amount")),
        fee=amount(body.get("fee")),
        outputs=outputs,
        has_data=bool(body.get("has_data")),
        hashes=tuple(str(h) for h in body.get("hashes") or ()),
    )


def evm_tx_to_json(tx: Any) -> dict[str, Any]:
    body = tx.model_dump()
    body["data"] = bytes(tx.data).hex()
    if tx.access_list is not None:  # EIP-2930 lists: storage keys as hex, as JSON carries them
        body["access_list"] = [
            {"address": e.address, "storage_keys": ["0x" + k.hex() for k in e.storage_keys]}
            for e in tx.access_list
        ]
    return body


def evm_tx_from_json(body: Any) -> Any:
    from devices.models import EvmTx

    if not isinstance(body, dict):
        raise ProtocolError(
            Said("agent_protocol.transaction_not_object", "the transaction is not an object")
        )
    fields = dict(body)
    try:
        fields["data"] = bytes.fromhex(str(fields.get("data") or ""))
        return EvmTx(**fields)
    except (ValueError, TypeError) as exc:
        raise ProtocolError(
            Said(
                "agent_protocol.transaction_malformed",
                "the transaction is malformed ({kind})",
                kind=type(exc).__name__,
            )
        ) from None


def evm_signature_to_json(sig: Any) -> dict[str, Any]:
    return {
        "v": sig.v,
        "r": sig.r,
        "s": sig.s,
        "raw_transaction": bytes(sig.raw_transaction).hex(),
        "tx_hash": bytes(sig.tx_hash).hex(),
    }


def evm_signature_from_json(body: Any) -> Any:
    from devices.models import EvmSignature

    try:
        return EvmSignature(
            v=int(body["v"]),
            r=int(body["r"]),
            s=int(body["s"]),
            raw_transaction=bytes.fromhex(body["raw_transaction"]),
            tx_hash=bytes.fromhex(body["tx_hash"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ProtocolError(
            Said(
                "agent_protocol.agent_s_signature_malformed",
                "the agent's signature is malformed ({kind})",
                kind=type(exc).__name__,
            )
        ) from None
