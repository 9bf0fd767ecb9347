"""A Signer whose device is on another machine, reached through a signer agent's socket
(devices/agent_server.py), usually forwarded by `ssh -R` (`termwallet ssh HOST`).

TERMWALLET_AGENT_SOCK names the socket; TERMWALLET_AGENT_SECRET holds the session secret (hex;
taken out of the environment on first read, so programs this one starts do not inherit it),
else the agent's `secret` file next to the socket is read (an agent on this same machine).
devices/registry.py lists the agent's devices as 'agent:<its id>', e.g. "Trezor One (via
agent on laptop)", and opens them here; every flow then uses them as a local device.

One connection per signer, kept open: a request costs one round trip over the link. A
connection that drops fails the request in flight with AgentDisconnected (a Disconnected:
device wallets look for their device again); the next request connects anew. Reads (keys,
addresses not shown) are retried once on a fresh connection, signatures never: the device may
have signed already, and the person at the device must see it again.
"""

from __future__ import annotations

import contextlib
import os
import socket
import stat
from pathlib import Path
from typing import Any

from devices.agent_protocol import (
    VERSION,
    AgentDisconnected,
    AgentRefused,
    ProtocolError,
    error_from,
    evm_signature_from_json,
    evm_tx_to_json,
    prompt_from_json,
    recv_frame,
    send_frame,
)
from devices.base import Capability, DeviceInfo, Interaction, SignerKind
from devices.errors import DeviceError
from said import Said

SOCK_ENV = "TERMWALLET_AGENT_SOCK"
SECRET_ENV = "TERMWALLET_AGENT_SECRET"  # noqa: S105  (a variable name)
CONNECT_TIMEOUT = 10.0  # seconds to reach the agent and hear its hello over a slow link
_RETRIED = frozenset({"capabilities", "get_xpub", "master_fingerprint", "passphrase_used"})

_secret: str | None = None


def agent_socket() -> str | None:
    return os.environ.get(SOCK_ENV) or None


def unlink_socket_at_exit() -> None:
    """The forwarded socket `termwallet ssh` made on this machine is removed when this
    termwallet ends (sshd leaves it behind); only a socket of this user, as _check_socket."""
    import atexit

    if os.environ.pop("TERMWALLET_AGENT_UNLINK", None) != "1":
        return
    path = agent_socket()

    def unlink() -> None:
        with contextlib.suppress(OSError):
            st = os.lstat(path or "")
            if stat.S_ISSOCK(st.st_mode) and st.st_uid == os.getuid():
                os.unlink(path or "")

    if path is not None:
        atexit.register(unlink)


def _session_secret(sock_path: str) -> bytes:
    global _secret
    given = os.environ.pop(SECRET_ENV, None)
    if given:
        _secret = given
    text = _secret
    if text is None:
        # An agent on this machine: its secret file, readable by this user only.
        with contextlib.suppress(OSError):
            text = (Path(sock_path).parent / "secret").read_text().strip()
    if not text:
        raise AgentRefused(
            Said(
                "agent_client.not_set_start_remote",
                "{variable} is not set: start the remote termwallet with "
                "`termwallet ssh HOST` on the machine with the device",
                variable=SECRET_ENV,
            )
        )
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise AgentRefused(
            Said(
                "agent_client.not_hex_use_termwallet",
                "{variable} is not hex: use `termwallet ssh HOST`",
                variable=SECRET_ENV,
            )
        ) from None


def _check_socket(path: str) -> None:
    """Only a socket of this user, closed to others: a socket another user made could be a
    fake agent handing out its own addresses."""
    try:
        st = os.stat(path)
    except OSError as exc:
        raise AgentDisconnected(
            Said(
                "agent_client.no_signer_agent_at",
                "No signer agent at {path} ({strerror}): is `termwallet ssh` still connected?",
                path=path,
                strerror=exc.strerror,
            )
        ) from None
    if not stat.S_ISSOCK(st.st_mode):
        raise AgentRefused(
            Said(
                "agent_client.not_socket_must_name",
                "{path} is not a socket: {variable} must name the agent's socket",
                path=path,
                variable=SOCK_ENV,
            )
        )
    if st.st_uid != os.getuid():
        raise AgentRefused(
            Said(
                "agent_client.belongs_another_user_uid",
                "{path} belongs to another user (uid {uid}): not used as a signer agent",
                path=path,
                uid=st.st_uid,
            )
        )
    if st.st_mode & 0o077:
        raise AgentRefused(
            Said(
                "agent_client.open_other_users_mode",
                "{path} is open to other users (mode {mode}): not used as a signer agent",
                path=path,
                mode=format(st.st_mode & 511, "o"),
            )
        )


class AgentConnection:
    """One session with an agent: connected and greeted, optionally bound to a device."""

    def __init__(self, path: str) -> None:
        _check_socket(path)
        secret = _session_secret(path)
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(CONNECT_TIMEOUT)
        try:
            self.sock.connect(path)
            send_frame(
                self.sock,
                {"v": VERSION, "op": "hello", "secret": secret.hex(), "host": socket.gethostname()},
            )
            hello = self._answer(None)
        except (OSError, EOFError) as exc:
            self.close()
            raise AgentDisconnected(
                Said(
                    "agent_client.signer_agent_at_did",
                    "The signer agent at {path} did not answer ({kind}): is "
                    "`termwallet ssh` still connected, and the agent running on "
                    "the other side?",
                    path=path,
                    kind=type(exc).__name__,
                )
            ) from None
        except BaseException:
            self.close()
            raise
        self.sock.settimeout(None)  # a signature waits for a person at the device
        if not isinstance(hello, dict) or hello.get("v") != VERSION:
            self.close()
            raise ProtocolError(
                Said(
                    "agent_client.signer_agent_speaks_another",
                    "the signer agent speaks another protocol version",
                )
            )
        self.host = str(hello.get("host") or "?")[:64]
        self.devices: list[dict[str, Any]] = [
            d for d in hello.get("devices") or () if isinstance(d, dict)
        ]

    def request(self, message: dict[str, Any], interaction: Interaction | None) -> Any:
        send_frame(self.sock, message)
        return self._answer(interaction)

    def _answer(self, interaction: Interaction | None) -> Any:
        while True:
            frame = recv_frame(self.sock)
            if "ok" in frame:
                return frame["ok"]
            if "error" in frame:
                raise error_from(frame["error"])
            event = frame.get("event")
            if interaction is None:
                continue
            if event == "confirm" and isinstance(frame.get("prompt"), dict):
                try:
                    prompt = prompt_from_json(frame["prompt"])
                except (KeyError, TypeError, ValueError):
                    continue  # a malformed screen description is not worth failing the request
                interaction.confirm_on_device(prompt)
            elif event == "finished":
                interaction.finished()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


def list_devices(path: str) -> tuple[str, list[dict[str, Any]]]:
    """(agent's host name, its devices) for the registry."""
    conn = AgentConnection(path)
    try:
        return conn.host, conn.devices
    finally:
        conn.close()


def _hung_up(sock: socket.socket) -> bool:
    """The agent closed this connection while it was idle (nothing was being asked): its
    end of file is waiting to be read."""
    import select

    try:
        readable, _, _ = select.select([sock], [], [], 0)
        return bool(readable) and sock.recv(1, socket.MSG_PEEK) == b""
    except (OSError, ValueError):
        return True


class AgentSigner:
    """devices.base.Signer over an agent session bound to one of the agent's devices."""

    def __init__(self, path: str, device_id: str, interaction: Interaction | None = None) -> None:
        self._path = path
        self._device_id = device_id
        self._interaction = interaction
        self._conn: AgentConnection | None = None
        self.host = "?"
        self.info = DeviceInfo(kind=SignerKind.TREZOR, model="device")
        self._connect()

    @classmethod
    def open(cls, device_id: str, interaction: Interaction | None = None) -> AgentSigner:
        path = agent_socket()
        if path is None:
            raise AgentDisconnected(
                Said(
                    "agent_client.not_set_no_signer",
                    "{variable} is not set: no signer agent to ask",
                    variable=SOCK_ENV,
                )
            )
        return cls(path, device_id, interaction)

    def __repr__(self) -> str:
        return f"AgentSigner({self.info.model!r}, host={self.host!r})"

    def _connect(self) -> AgentConnection:
        if self._conn is not None and _hung_up(self._conn.sock):
            self._drop()  # the agent ended the session (idle, restarted): a new one, silently
        if self._conn is not None:
            return self._conn
        conn = AgentConnection(self._path)
        try:
            opened = conn.request({"op": "open", "device": self._device_id}, self._interaction)
        except (OSError, EOFError):
            conn.close()
            raise AgentDisconnected(
                Said(
                    "agent_client.signer_agent_closed_connection",
                    "The signer agent closed the connection while opening",
                )
            ) from None
        except BaseException:
            conn.close()
            raise
        info = opened.get("info") or {}
        try:
            kind = SignerKind(str(info.get("kind")))
        except ValueError:
            kind = SignerKind.HWI
        self.host = conn.host
        self.info = DeviceInfo(
            kind=kind,
            model=str(info.get("model") or "device")[:64],
            firmware=info.get("firmware"),
            label=info.get("label"),
            path=f"agent:{conn.host}:{self._device_id}",
        )
        self.chains = tuple(opened.get("chains") or ())
        self._conn = conn
        return conn

    def _call(self, method: str, **args: Any) -> Any:
        tries = 2 if method in _RETRIED else 1
        for attempt in range(tries):
            conn = self._connect()
            try:
                return conn.request(
                    {"op": "call", "method": method, "args": args}, self._interaction
                )
            except (OSError, EOFError):
                self._drop()
                if attempt + 1 < tries:
                    continue
                raise AgentDisconnected(
                    Said(
                        "agent_client.connection_signer_agent_dropped",
                        "The connection to the signer agent on {host} dropped during "
                        "{method}: nothing was sent from here. Check the agent and "
                        "try again; the device will ask again.",
                        host=self.host,
                        method=method,
                    )
                ) from None
            except DeviceError as exc:
                if exc.code == "AGENT_PROTOCOL":
                    self._drop()
                raise
        raise AssertionError("unreachable")

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    # -- Signer --------------------------------------------------------------------------------

    def capabilities(self) -> frozenset[Capability]:
        known = {c.value for c in Capability}
        return frozenset(Capability(c) for c in self._call("capabilities") if c in known)

    def get_xpub(self, path: str) -> str:
        return str(self._call("get_xpub", path=path))

    def get_address(self, chain: str, path: str, *, display: bool = False) -> str:
        if display:
            return str(self._call("get_address", chain=chain, path=path, display=True))
        # Silent reads are retried once: nothing is shown or signed.
        for attempt in range(2):
            try:
                return str(self._call("get_address", chain=chain, path=path, display=False))
            except AgentDisconnected:
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def sign_evm_tx(self, path: str, tx: Any) -> Any:
        return evm_signature_from_json(self._call("sign_evm_tx", path=path, tx=evm_tx_to_json(tx)))

    def sign_message(self, path: str, message: bytes) -> bytes:
        return bytes.fromhex(self._call("sign_message", path=path, message=bytes(message).hex()))

    def sign_btc_message(self, chain: str, path: str, message: bytes, fmt: str) -> bytes:
        raw = self._call(
            "sign_btc_message", chain=chain, path=path, message=bytes(message).hex(), fmt=fmt
        )
        return bytes.fromhex(raw)

    def sign_typed_data(self, path: str, data: dict[str, Any]) -> bytes:
        return bytes.fromhex(self._call("sign_typed_data", path=path, data=data))

    def sign_psbt(self, psbt: bytes, chain: str) -> bytes:
        return bytes.fromhex(self._call("sign_psbt", psbt=bytes(psbt).hex(), chain=chain))

    def master_fingerprint(self) -> bytes:
        return bytes.fromhex(self._call("master_fingerprint"))

    @property
    def fingerprint(self) -> bytes:
        return self.master_fingerprint()

    def current_app(self) -> tuple[str, str]:
        name, version = self._call("current_app")
        return str(name), str(version)

    @property
    def passphrase_used(self) -> bool:
        return bool(self._call("passphrase_used"))

    def close(self) -> None:
        """Tell the agent this signer is done (it closes the device when no other session
        uses it, and answers when that is done), then hang up."""
        conn = self._conn
        if conn is not None:
            conn.sock.settimeout(CONNECT_TIMEOUT)
            with contextlib.suppress(OSError, EOFError, DeviceError):
                conn.request({"op": "close"}, None)
        self._drop()
