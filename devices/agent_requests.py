"""What a signer agent's session asks of its device, and what the person at the agent is told:
each Signer method checked against the session's grant and turned into the device call plus an
AgentRequest (the structured words; tui/commands/agent.py prints them). Socket and sessions:
devices/agent_server.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from devices.agent_grant import Grant
from devices.agent_protocol import (
    AgentRefused,
    ProtocolError,
    evm_signature_to_json,
    evm_tx_from_json,
)
from devices.base import (
    DevicePrompt,
    PromptAmount,
    PromptKind,
    PromptOutput,
)
from devices.coins import UTXO_CHAINS
from said import Said

_SYMBOLS = {"btc": "BTC", "btc-testnet": "tBTC", "btc-regtest": "rBTC", "ltc": "LTC"}
_SYMBOLS |= {"ltc-testnet": "tLTC", "ltc-regtest": "rLTC"}
CHANGE_MARK = " (change, as the server says)"
# Asked by every session as it starts: not told, they show and sign nothing.
SILENT = frozenset({"capabilities", "master_fingerprint", "current_app", "passphrase_used"})


@dataclass(frozen=True)
class AgentRequest:
    """What a request asks, for the person at the agent: structured, the UI words it."""

    server: str  # who asked: the name `termwallet ssh` was given, else what the server says
    method: str
    chain: str | None = None
    path: str | None = None
    prompt: DevicePrompt | None = None  # what the device will show, for signing and display
    message: bytes | None = None  # sign_message: the bytes to sign
    event: str = "request"  # or "refused", "session", "closed"
    detail: str = ""


Announce = Callable[[AgentRequest], None]


def prepare_request(
    signer: Any,
    grant: Grant,
    server: str,
    method: str,
    args: dict[str, Any],
    fingerprint: Callable[[], bytes],
) -> tuple[Callable[[], Any], AgentRequest]:
    """The device call for `method` after the grant allows it, and what to tell the person at
    the agent. `fingerprint` is the session's once-asked master fingerprint."""
    model = signer.info.model
    if method == "capabilities":
        return lambda: sorted(str(c) for c in signer.capabilities()), AgentRequest(
            server=server, method=method
        )
    if method == "master_fingerprint":
        return lambda: fingerprint().hex(), AgentRequest(server=server, method=method)
    if method == "current_app":
        return lambda: list(signer.current_app()), AgentRequest(server=server, method=method)
    if method == "passphrase_used":
        return lambda: bool(getattr(signer, "passphrase_used", False)), AgentRequest(
            server=server, method=method
        )
    path = _text(args, "path") if method != "sign_psbt" else ""
    if method == "get_xpub":
        grant.check_path(path, None)
        return lambda: str(signer.get_xpub(path)), AgentRequest(
            server=server, method=method, path=path
        )
    if method == "get_address":
        chain = _text(args, "chain")
        display = bool(args.get("display"))
        grant.check_path(path, chain)
        prompt = (
            DevicePrompt(kind=PromptKind.VERIFY_ADDRESS, device=model, chain=chain, path=path)
            if display
            else None
        )
        return lambda: str(signer.get_address(chain, path, display=display)), AgentRequest(
            server=server, method=method, chain=chain, path=path, prompt=prompt
        )
    if method == "sign_evm_tx":
        from devices.evmtx import evm_prompt

        grant.check_path(path, "eth")
        tx = evm_tx_from_json(args.get("tx"))
        return lambda: evm_signature_to_json(signer.sign_evm_tx(path, tx)), AgentRequest(
            server=server,
            method=method,
            chain="eth",
            path=path,
            prompt=evm_prompt(model, path, tx),
        )
    if method == "sign_message":
        grant.check_path(path, "eth")
        data = _hex(args, "message")
        return lambda: bytes(signer.sign_message(path, data)).hex(), AgentRequest(
            server=server, method=method, chain="eth", path=path, message=data
        )
    if method == "sign_btc_message":
        chain = _text(args, "chain")
        fmt = _text(args, "fmt")
        grant.check_path(path, chain)
        data = _hex(args, "message")
        return lambda: bytes(signer.sign_btc_message(chain, path, data, fmt)).hex(), (
            AgentRequest(server=server, method=method, chain=chain, path=path, message=data)
        )
    if method == "sign_typed_data":
        from devices.evmtx import typed_data_hashes

        grant.check_path(path, "eth")
        doc = args.get("data")
        if not isinstance(doc, dict):
            raise ProtocolError(
                Said("agent_requests.typed_data_not_object", "the typed data is not an object")
            )
        domain, body = typed_data_hashes(doc)
        prompt = DevicePrompt(
            kind=PromptKind.SIGN_TYPED_DATA,
            device=model,
            path=path,
            # A domain-only document (primaryType EIP712Domain) has no message hash.
            hashes=(domain.hex(),) if body is None else (domain.hex(), body.hex()),
        )
        return lambda: bytes(signer.sign_typed_data(path, doc)).hex(), AgentRequest(
            server=server, method=method, chain="eth", path=path, prompt=prompt
        )
    if method == "sign_psbt":
        chain = _text(args, "chain")
        grant.check_chain(chain)
        psbt = _hex(args, "psbt")
        prompt = psbt_prompt(psbt, chain, signer, grant, fingerprint)
        return lambda: bytes(signer.sign_psbt(psbt, chain)).hex(), AgentRequest(
            server=server, method=method, chain=chain, prompt=prompt
        )
    raise AgentRefused(
        Said(
            "agent_requests.signer_agent_does_not",
            "the signer agent does not serve {method!r}",
            method=method,
        )
    )


def psbt_prompt(
    data: bytes, chain: str, signer: Any, grant: Grant, fingerprint: Callable[[], bytes]
) -> DevicePrompt:
    """Every output (change marked as the PSBT's claim) and the fee, after checking that
    every key of ours the PSBT's inputs name is in the granted accounts."""
    from devices.psbt import parse_psbt

    psbt = parse_psbt(data)
    ours = fingerprint() if hasattr(signer, "master_fingerprint") else None
    net = UTXO_CHAINS[chain]

    def our_paths(scope: Any) -> list[str]:
        ders = [d for d in scope.bip32_derivations.values()]
        ders += [d for _leaves, d in scope.taproot_bip32_derivations.values()]
        return [
            "m/"
            + "/".join(f"{i & 0x7FFFFFFF}" + ("'" if i & 0x80000000 else "") for i in d.derivation)
            for d in ders
            if ours is None or d.fingerprint == ours
        ]

    total_in = 0
    for i, inp in enumerate(psbt.inputs):
        paths = our_paths(inp)
        for path in paths:
            grant.check_path(path, chain)
        utxo = inp.utxo if (inp.witness_utxo or inp.non_witness_utxo) else None
        if utxo is None:
            raise AgentRefused(
                Said(
                    "agent_requests.input_psbt_has_no",
                    "input {i} of the PSBT has no amount: nothing was signed",
                    i=i,
                )
            )
        total_in += utxo.value
    shown = []
    total_out = 0
    symbol = _SYMBOLS.get(chain, chain.upper())
    # embit's address() reads only the bech32 prefix for segwit outputs.
    network = {"bech32": net.hrp, "p2pkh": b"", "p2sh": b""}
    for out in psbt.outputs:
        total_out += out.value
        try:
            address = out.script_pubkey.address(network)
        except Exception:
            address = "script " + out.script_pubkey.data.hex()[:40]
        if our_paths(out):
            # Change by the PSBT's word only: the agent cannot derive the key to check it
            # (a device does, and hides it), so it is listed, and marked as a claim.
            address += CHANGE_MARK
        shown.append(
            PromptOutput(
                address=address,
                amount=PromptAmount(value=out.value, decimals=8, symbol=symbol),
            )
        )
    return DevicePrompt(
        kind=PromptKind.SIGN_PSBT,
        device=signer.info.model,
        chain=chain,
        outputs=tuple(shown),
        fee=PromptAmount(value=total_in - total_out, decimals=8, symbol=symbol),
    )


def is_hex(value: str) -> bool:
    try:
        bytes.fromhex(value)
    except ValueError:
        return False
    return True


def _text(args: dict[str, Any], name: str) -> str:
    value = args.get(name)
    if not isinstance(value, str) or len(value) > 200:
        raise ProtocolError(
            Said(
                "agent_requests.request_s_missing_malformed",
                "the request's {name} is missing or malformed",
                name=name,
            )
        )
    return value


def _hex(args: dict[str, Any], name: str) -> bytes:
    value = args.get(name)
    if not isinstance(value, str) or not is_hex(value):
        raise ProtocolError(
            Said("agent_requests.request_s_not_hex", "the request's {name} is not hex", name=name)
        )
    return bytes.fromhex(value)
