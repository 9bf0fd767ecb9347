"""Which signers exist, found lazily, and how a caller picks one.

Nothing here imports a device library at import time: `discover()` imports each adapter when
it is asked, and a library that cannot load (or libusb/hidapi missing) becomes a `Problem`
entry that says so instead of an exception. With no device present, callers use the software
signer and `Selection.fallback` tells the header to say so.

Selection API for `--device ID` (address/send) and the TUI:

    entries = discover()                      # list[DeviceEntry], each with a stable `id`
    sel = select(device_id, interaction=ui, software=lambda: keystore_signer())
    sel.signer (runs on the device thread), sel.entry, sel.fallback (True: software signer)

IDs: 'trezor:<trezorlib path>' (e.g. 'trezor:udp:127.0.0.1:21324', 'trezor:webusb:001:4'),
'ledger:<hid path>' or 'ledger:tcp:127.0.0.1:9999' (speculos), 'hwi:<type>:<path>',
'software', 'agent:<the agent's id>' (a signer agent's device, TERMWALLET_AGENT_SOCK; see
devices/agent_client.py). `select` accepts a unique prefix ('trezor' when one Trezor is
plugged in, 'agent' when the agent serves one).
speculos is listed from TERMWALLET_SPECULOS (comma-separated 'host:port's) and
TERMWALLET_SPECULOS_BTC, each only while something accepts connections there.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from devices.base import Interaction, SignerKind
from devices.errors import DeviceError, Disconnected, LibraryMissing, Unsupported
from said import Said

# speculos APDU ports to list: '127.0.0.1:9999', or several comma-separated (one speculos runs
# one app, so the Ethereum and Bitcoin apps are two). The _BTC variable (the Bitcoin app's, as
# the tests name it) is listed too.
SPECULOS_ENVS = ("TERMWALLET_SPECULOS", "TERMWALLET_SPECULOS_BTC")
SPECULOS_CONNECT_TIMEOUT = 0.25  # seconds; speculos runs on this machine or next to it
SOFTWARE_ID = "software"


@dataclass(frozen=True)
class DeviceEntry:
    id: str
    kind: SignerKind
    model: str
    path: str
    detail: str = ""  # e.g. firmware, or the HWI fingerprint


@dataclass(frozen=True)
class Problem:
    """A device kind that cannot be used, and why (code from devices.errors)."""

    kind: SignerKind
    code: str
    message: str


@dataclass
class Discovery:
    devices: list[DeviceEntry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "devices": [
                {
                    "id": d.id,
                    "kind": str(d.kind),
                    "model": d.model,
                    "path": d.path,
                    "detail": d.detail,
                }
                for d in self.devices
            ],
            "problems": [
                {"kind": str(p.kind), "code": p.code, "message": p.message} for p in self.problems
            ],
        }


def _trezors(out: Discovery) -> None:
    try:
        from trezorlib.transport import enumerate_devices
    except ImportError as exc:
        out.problems.append(
            Problem(SignerKind.TREZOR, LibraryMissing.code, f"trezorlib cannot load: {exc}")
        )
        return
    for transport in enumerate_devices():
        path = str(transport.get_path())
        out.devices.append(DeviceEntry(f"trezor:{path}", SignerKind.TREZOR, "Trezor", path))


def _ledgers(out: Discovery) -> None:
    try:
        from devices.ledger import hid_devices
    except ImportError as exc:
        out.problems.append(
            Problem(SignerKind.LEDGER, LibraryMissing.code, f"ledgerwallet cannot load: {exc}")
        )
        return
    try:
        for dev in hid_devices():
            path = dev.path.decode() if isinstance(dev.path, bytes) else str(dev.path)
            out.devices.append(DeviceEntry(f"ledger:{path}", SignerKind.LEDGER, "Ledger", path))
    except LibraryMissing as exc:
        out.problems.append(Problem(SignerKind.LEDGER, exc.code, str(exc)))
    for address in speculos_addresses():
        # Listed only when something accepts a connection there: a variable left set after
        # speculos stopped would otherwise offer a device that fails when chosen.
        if _accepts(address):
            path = f"tcp:{address}"
            out.devices.append(
                DeviceEntry(f"ledger:{path}", SignerKind.LEDGER, "Ledger (speculos)", path)
            )


def speculos_addresses() -> list[str]:
    """'host:port' entries of the speculos variables, in order, each once."""
    found: list[str] = []
    for name in SPECULOS_ENVS:
        for part in os.environ.get(name, "").split(","):
            address = part.strip()
            if address and address not in found:
                found.append(address)
    return found


def _accepts(address: str) -> bool:
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        return False
    try:
        with socket.create_connection((host.strip("[]"), int(port)), SPECULOS_CONNECT_TIMEOUT):
            return True
    except (OSError, ValueError):
        return False


def _trezor_at(path: str, out: Discovery) -> None:
    """The Trezor at one trezorlib path (or path prefix), without enumerating the others."""
    try:
        from trezorlib.transport import TransportException

        from devices.trezor import find_transport
    except ImportError as exc:
        out.problems.append(
            Problem(SignerKind.TREZOR, LibraryMissing.code, f"trezorlib cannot load: {exc}")
        )
        return
    try:
        transport = find_transport(path)
    except TransportException:
        return  # nothing there: find() says that no such device is connected
    full = str(transport.get_path())
    out.devices.append(DeviceEntry(f"trezor:{full}", SignerKind.TREZOR, "Trezor", full))


def _hwi(out: Discovery) -> None:
    try:
        from devices.hwi import enumerate_devices, model_name
    except ImportError as exc:
        out.problems.append(Problem(SignerKind.HWI, LibraryMissing.code, f"hwilib: {exc}"))
        return
    try:
        found = enumerate_devices()
    except LibraryMissing as exc:
        out.problems.append(Problem(SignerKind.HWI, exc.code, str(exc)))
        return
    for d in found:
        if d.get("type") in ("trezor", "ledger"):
            continue  # listed by their own adapters above
        path = str(d.get("path"))
        detail = str(d.get("fingerprint") or d.get("error") or "")
        out.devices.append(
            DeviceEntry(
                f"hwi:{d.get('type')}:{path}",
                SignerKind.HWI,
                model_name(str(d.get("type") or d.get("model"))),
                path,
                detail,
            )
        )


_PROBES: dict[SignerKind, Callable[[Discovery], None]] = {
    SignerKind.TREZOR: _trezors,
    SignerKind.LEDGER: _ledgers,
    SignerKind.HWI: _hwi,
}


AGENT_PREFIX = "agent:"


def _agents(out: Discovery, kinds: Collection[SignerKind] | None = None) -> None:
    """The devices of the signer agent TERMWALLET_AGENT_SOCK names (devices/agent_client.py):
    ids 'agent:<the agent's id>', listed under their own kind so device wallets find them."""
    if not os.environ.get("TERMWALLET_AGENT_SOCK"):
        return  # no agent: its client module is not even loaded
    from devices.agent_client import agent_socket, list_devices

    path = agent_socket()
    if path is None:
        return
    try:
        host, listed = list_devices(path)
    except DeviceError as exc:
        out.problems.append(Problem(SignerKind.AGENT, exc.code, str(exc)))
        return
    for d in listed:
        try:
            kind = SignerKind(str(d.get("kind")))
        except ValueError:
            continue
        if kinds is not None and kind not in kinds:
            continue
        remote = _printable(d.get("id"), 200)
        model = _printable(d.get("model") or kind.brand, 64)
        out.devices.append(
            DeviceEntry(
                f"{AGENT_PREFIX}{remote}",
                kind,
                f"{model} (via agent on {_printable(host, 64)})",
                remote,
                _printable(d.get("detail"), 100),
            )
        )


def _printable(value: object, limit: int) -> str:
    """An agent's words, as lists and screens show them: no control or escape characters
    (the agent is another machine's program)."""
    text = str(value or "")[:limit]
    return "".join(c if c.isprintable() else "\ufffd" for c in text)


def discover(kinds: Collection[SignerKind] | None = None, *, agents: bool = True) -> Discovery:
    """Every device we can see now (of `kinds`, default all), a signer agent's included unless
    `agents` is False (the agent itself: it serves what is plugged in here, never another
    agent's devices, nor its own through a socket variable left set). Slow (USB
    enumeration): call it on the device thread."""
    out = Discovery()
    for kind, probe in _PROBES.items():
        if kinds is not None and kind not in kinds:
            continue
        try:
            probe(out)
        except DeviceError as exc:
            out.problems.append(Problem(kind, exc.code, str(exc)))
    if agents:
        _agents(out, kinds)
    return out


def discover_for(device_id: str) -> Discovery:
    """What `find(device_id, ...)` needs to see, and no more: an id naming its kind
    ('trezor:…', 'ledger:…', 'hwi:…') enumerates that kind only, and a Trezor path is looked
    up alone. Loading every backend costs more than the device's answer (HWI's import alone
    ~150 ms, each Trezor transport library ~100 ms)."""
    kind, _, rest = device_id.partition(":")
    if device_id.startswith(AGENT_PREFIX) or device_id == AGENT_PREFIX[:-1]:
        out = Discovery()
        _agents(out)
        return out
    if kind == SignerKind.TREZOR and rest:
        out = Discovery()
        try:
            _trezor_at(rest, out)
        except DeviceError as exc:
            out.problems.append(Problem(SignerKind.TREZOR, exc.code, str(exc)))
        return out
    if kind in _PROBES:
        return discover({SignerKind(kind)})
    return discover()


class AccountMismatch(DeviceError):
    """The device holds another seed (or passphrase) than the wallet's accounts."""

    code = "ACCOUNT_MISMATCH"


def check_accounts(signer: Any, chain: str, accounts: list[tuple[str, str]]) -> None:
    """Ask the device for each (address, path) of the wallet, silently; raise AccountMismatch
    on the first address the device does not derive. Call it before signing with a device
    that was just selected: a different seed would sign for addresses we do not show."""
    for address, path in accounts:
        got = signer.get_address(chain, path)
        if got.lower() != address.lower():
            raise AccountMismatch(
                "This device holds another wallet: its address at the wallet's path differs. "
                "Check the seed or passphrase on the device.",
                path=path,
            )


@dataclass
class Selection:
    signer: Any
    entry: DeviceEntry
    fallback: bool  # True: no device was asked for or found, this is the software signer


def open_entry(entry: DeviceEntry, interaction: Interaction | None) -> Any:
    if entry.id.startswith(AGENT_PREFIX):
        from devices.agent_client import AgentSigner

        return AgentSigner.open(entry.path, interaction)
    if entry.kind is SignerKind.TREZOR:
        from devices.trezor import TrezorSigner

        return TrezorSigner.open(entry.path, interaction)
    if entry.kind is SignerKind.LEDGER:
        from devices.ledger import LedgerSigner, tcp_device

        if entry.path.startswith("tcp:"):
            return LedgerSigner(tcp_device(entry.path[4:]), interaction, path=entry.path)
        from ledgerwallet.transport.hid import HidDevice

        return LedgerSigner(HidDevice(entry.path.encode()), interaction, path=entry.path)
    if entry.kind is SignerKind.HWI:
        from devices.hwi import HwiSigner

        _, dtype, path = entry.id.split(":", 2)
        return HwiSigner.open(dtype, path)
    raise Unsupported(Said("registry.cannot_open", "cannot open {id}", id=entry.id))


def find(device_id: str, discovery: Discovery) -> DeviceEntry:
    exact = [d for d in discovery.devices if d.id == device_id]
    if exact:
        return exact[0]
    matches = [d for d in discovery.devices if d.id.startswith(device_id)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise Disconnected(
            f"No device {device_id!r} is connected: run `termwallet devices` to list them."
        )
    raise Unsupported(
        Said(
            "registry.matches_devices_give_more",
            "{device_id!r} matches {count} devices: give more of the id ({ids})",
            device_id=device_id,
            count=len(matches),
            ids=", ".join(d.id for d in matches),
        )
    )


def select(
    device_id: str | None,
    *,
    interaction: Interaction | None,
    software: Callable[[], Any],
    discovery: Discovery | None = None,
) -> Selection:
    """The signer for `device_id`; None or 'software' gives the software signer (fallback)."""
    software_entry = DeviceEntry(SOFTWARE_ID, SignerKind.EMULATOR, "software", "")
    if device_id in (None, SOFTWARE_ID):
        return Selection(software(), software_entry, fallback=True)
    entry = find(device_id, discovery or discover_for(device_id))
    return Selection(open_entry(entry, interaction), entry, fallback=False)
