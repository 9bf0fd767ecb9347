"""The signer agent: serves the devices attached to this machine (the laptop) over a Unix
socket, for a termwallet running elsewhere (a server reached over `ssh -R`).

Who may ask: a process of this user (the socket lives in a 0700 directory, is itself 0600,
and SO_PEERCRED is checked on Linux) that knows the session secret. What it may ask: the
Signer methods of devices/base.py on the one device its session opened, for the chains and
accounts the agent was started with. Everything else is refused with AgentRefused, whose
message says what to do. Each request is told to the person at the agent (`announce`) before
the device is asked; the device's own screen stays the place of final confirmation, and PIN
and passphrase are asked here (the Interaction given), never sent to the server.

Device calls run on the one device thread (devices/thread.py), whichever connection asks.
What each request may ask and the words told: devices/agent_requests.py.
"""

from __future__ import annotations

import contextlib
import hmac
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devices.agent_grant import ALL_CHAINS, Grant
from devices.agent_peer import forwarding_host, peer_credentials, private_directory
from devices.agent_protocol import (
    METHODS,
    VERSION,
    AgentRefused,
    ProtocolError,
    error_frame,
    prompt_to_json,
    recv_frame,
    send_frame,
)
from devices.agent_requests import SILENT, AgentRequest, Announce, is_hex, prepare_request
from devices.base import (
    DevicePrompt,
    Interaction,
    OnDevice,
    PinKind,
)
from devices.errors import DeviceError
from said import Said

SOCKET_NAME = "agent.sock"
DEFAULT_IDLE = 15 * 60.0  # seconds without a request before a session is closed


@dataclass
class AgentConfig:
    secret: bytes
    directory: Path  # 0700, holds the socket
    chains: frozenset[str] = frozenset(ALL_CHAINS)
    accounts: frozenset[int] = frozenset({0})
    idle_timeout: float = DEFAULT_IDLE
    server_name: str | None = None  # set by `termwallet ssh HOST`: the host it connects to
    announce: Announce = lambda _r: None
    interaction: Interaction | None = None  # PIN and passphrase, in the agent's terminal
    software: Callable[[], Any] | None = None  # the software signer, only when asked for
    # Tests put a recorded device here; by default devices/registry.py finds and opens.
    discover: Callable[[], Any] | None = None
    open_entry: Callable[[Any, Interaction | None], Any] | None = None
    # The thread device calls run on: the process's device thread (devices/thread.py), or a
    # test's own when the wallet asking runs in the same process.
    thread: Any = None


# --- the server ---------------------------------------------------------------------------------


class _Relay:
    """The Interaction the agent opens devices with: PIN and passphrase go to the agent's
    terminal; what the device shows is told there too and sent to the server asking (so its
    own "confirm on your device" screen appears), as events before the answer."""

    def __init__(self, local: Interaction | None) -> None:
        self.local = local
        self.session: _Session | None = None

    def get_pin(self, kind: PinKind) -> str:
        if self.local is None:
            from devices.errors import DeviceLocked

            raise DeviceLocked(
                "The device asks for its PIN: run `termwallet agent` in a terminal on the "
                "machine it is plugged into, and enter the PIN there."
            )
        return self.local.get_pin(kind)

    def get_passphrase(self, *, on_device_ok: bool) -> str | OnDevice:
        if self.local is None:
            from devices.errors import DeviceLocked

            raise DeviceLocked(
                "The device asks for its passphrase: run `termwallet agent` in a terminal on "
                "the machine it is plugged into, and enter it there."
            )
        return self.local.get_passphrase(on_device_ok=on_device_ok)

    def confirm_on_device(self, prompt: DevicePrompt) -> None:
        if self.local is not None:
            self.local.confirm_on_device(prompt)
        if self.session is not None:
            self.session.event({"event": "confirm", "prompt": prompt_to_json(prompt)})

    def finished(self) -> None:
        if self.local is not None:
            self.local.finished()
        if self.session is not None:
            self.session.event({"event": "finished"})


class SignerAgent:
    def __init__(self, config: AgentConfig) -> None:
        self.config = config
        self.socket_path = private_directory(config.directory) / SOCKET_NAME
        self._listener: socket.socket | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()  # guards _open
        self._open_lock = threading.RLock()
        # One device request at a time (the device thread serialises them anyway): the relay
        # sends a device's screens to the session whose request it is.
        self._busy = threading.Lock()
        self._open: dict[str, Any] = {}  # agent-side device id -> opened signer
        self._relay = _Relay(config.interaction)
        self._sessions: set[_Session] = set()
        self._sessions_lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> SignerAgent:
        with contextlib.suppress(FileNotFoundError):
            self.socket_path.unlink()  # a stale socket of an agent that died (our directory)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old = os.umask(0o177)  # the socket is born 0600: no moment where others may connect
        try:
            listener.bind(str(self.socket_path))
        finally:
            os.umask(old)
        listener.listen(8)
        self._listener = listener
        thread = threading.Thread(target=self._accept_loop, name="termwallet-agent", daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def serve_forever(self) -> None:
        self._stop.wait()

    def stop(self) -> None:
        self._stop.set()
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
        for session in list(self._sessions):
            with contextlib.suppress(OSError):
                session.conn.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:  # each closes what its session used
            if thread is not threading.current_thread():
                thread.join(10)
        self._close_devices()
        with contextlib.suppress(FileNotFoundError):
            self.socket_path.unlink()

    def __enter__(self) -> SignerAgent:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            thread = threading.Thread(
                target=self._serve, args=(conn,), name="termwallet-agent-conn", daemon=True
            )
            self._threads = [t for t in self._threads if t.is_alive()]
            self._threads.append(thread)
            thread.start()

    # -- devices -----------------------------------------------------------------------------

    def _thread(self) -> Any:
        if self.config.thread is None:
            from devices.thread import device_thread

            self.config.thread = device_thread()
        return self.config.thread

    def devices(self) -> list[dict[str, Any]]:
        listed: list[dict[str, Any]] = []
        if self.config.software is not None:
            listed.append({"id": "software", "kind": "emulator", "model": "software wallet"})
        discover = self.config.discover or _local_devices
        found = self._thread().run(discover)
        with self._lock:
            opened = {k: v.info.model for k, v in self._open.items()}
        for d in found.devices:
            # An open device is named by its model ("Trezor One"), not its kind ("Trezor").
            model = opened.get(d.id, d.model)
            listed.append({"id": d.id, "kind": str(d.kind), "model": model, "detail": d.detail})
        return listed

    def _device(self, device_id: str) -> Any:
        # Opening and closing take turns (_open_lock): a session that ends closes the devices
        # before the next one opens them, as a local termwallet's close and the next open.
        with self._open_lock:
            with self._lock:
                signer = self._open.get(device_id)
            if signer is not None:
                return signer
            if device_id == "software" and self.config.software is not None:
                signer = self.config.software()
            else:
                discover = self.config.discover or _local_devices
                from devices.registry import find

                entry = find(device_id, self._thread().run(discover))
                opener = self.config.open_entry
                if opener is None:
                    from devices.registry import open_entry as opener
                signer = self._thread().run(opener, entry, self._relay)
                local = self.config.interaction
                if local is not None and hasattr(local, "device"):
                    local.device = signer.info.model  # "Enter the PIN of your Trezor One"
            with self._lock:
                self._open[device_id] = signer
            return signer

    def _close_devices(self) -> None:
        with self._open_lock:
            with self._lock:
                opened, self._open = self._open, {}
            for signer in opened.values():
                with contextlib.suppress(DeviceError):
                    self._thread().run(signer.close)

    def _leave(self, session: _Session) -> None:
        """`session` is over: when it was the last, the devices are closed (the server's
        termwallet ended, or went idle), as a local termwallet would close them, so a Trezor
        forgets its passphrase session and the next session starts afresh."""
        with self._sessions_lock:
            if session not in self._sessions:
                return
            self._sessions.discard(session)
            unused = not self._sessions
        if unused:
            self._close_devices()

    # -- one connection ----------------------------------------------------------------------

    def _serve(self, conn: socket.socket) -> None:
        session = _Session(self, conn)
        with self._sessions_lock:
            self._sessions.add(session)
        try:
            session.run()
        finally:
            session.close()
            self._leave(session)


class _Session:
    def __init__(self, agent: SignerAgent, conn: socket.socket) -> None:
        self.agent = agent
        self.conn = conn
        self.server = "?"
        self.via_ssh: str | None = None
        self.device_id: str | None = None
        self.signer: Any = None
        self.grant = Grant(agent.config.chains, agent.config.accounts)
        self.idle_closed = False
        self.fingerprint: bytes | None = None
        self._send_lock = threading.Lock()

    def event(self, message: dict[str, Any]) -> None:
        with self._send_lock, contextlib.suppress(OSError):
            send_frame(self.conn, message)

    def reply(self, message: dict[str, Any]) -> None:
        with self._send_lock:
            send_frame(self.conn, message)

    def refuse(self, exc: AgentRefused, *, tell: bool = True) -> None:
        if tell:
            self.agent.config.announce(
                AgentRequest(server=self.server, method="", event="refused", detail=str(exc))
            )
        with contextlib.suppress(OSError):
            self.reply(error_frame(exc))

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.conn.close()

    def run(self) -> None:
        config = self.agent.config
        peer = peer_credentials(self.conn)
        uid = None if peer is None else peer[1]
        if peer is not None:
            self.via_ssh = forwarding_host(peer[0])
        if uid is not None and uid != os.getuid():
            # The socket's mode keeps other users out already; this holds if it is loosened.
            self.refuse(
                AgentRefused(f"The signer agent serves only its own user; uid {uid} was refused.")
            )
            return
        self.conn.settimeout(config.idle_timeout)
        try:
            if not self._hello():
                return
            while True:
                try:
                    message = recv_frame(self.conn)
                except TimeoutError:
                    self.idle_closed = True
                    config.announce(
                        AgentRequest(
                            server=self.server,
                            method="",
                            event="closed",
                            detail=f"idle for {int(config.idle_timeout)} s",
                        )
                    )
                    return
                self._handle(message)
        except (EOFError, OSError):
            return
        except ProtocolError as exc:
            self.refuse(exc)

    def _hello(self) -> bool:
        config = self.agent.config
        message = recv_frame(self.conn)
        if message.get("op") != "hello" or message.get("v") != VERSION:
            self.refuse(
                ProtocolError(
                    f"This signer agent speaks protocol {VERSION}; the termwallet asking "
                    f"speaks {message.get('v')!r}. Use the same termwallet version on both ends."
                )
            )
            return False
        claimed = str(message.get("host") or "?")[:64]
        if config.server_name:
            self.server = config.server_name
        elif self.via_ssh:
            self.server = f"{self.via_ssh[:64]} (ssh)"
        else:
            self.server = f"{claimed} (as it says)"
        secret = message.get("secret")
        given = bytes.fromhex(secret) if isinstance(secret, str) and is_hex(secret) else b""
        if not hmac.compare_digest(given, config.secret):
            self.refuse(
                AgentRefused(
                    "The signer agent refused a connection without this session's secret: "
                    "start the remote termwallet through `termwallet ssh HOST`."
                )
            )
            return False
        self.reply(
            {"ok": {"v": VERSION, "host": socket.gethostname(), "devices": self.agent.devices()}}
        )
        return True

    def _handle(self, message: dict[str, Any]) -> None:
        op = message.get("op")
        try:
            if op == "open":
                self.reply({"ok": self._open_device(message)})
            elif op == "call":
                self.reply({"ok": self._call(message)})
            elif op == "close":
                # The server's signer is closed: the devices close (when no other session
                # uses them) before the answer, so its next session finds them closed.
                self.agent._leave(self)
                self.reply({"ok": True})
            elif op == "devices":
                self.reply({"ok": self.agent.devices()})
            else:
                raise ProtocolError(
                    Said(
                        "agent_server.unknown_request",
                        "unknown request {request!r}",
                        request=str(op)[:32],
                    )
                )
        except AgentRefused as exc:
            self.refuse(exc)
        except DeviceError as exc:
            self.reply(error_frame(exc))

    def _open_device(self, message: dict[str, Any]) -> dict[str, Any]:
        device_id = str(message.get("device") or "")
        if self.device_id is not None and device_id != self.device_id:
            raise AgentRefused(
                Said(
                    "agent_server.agent_session_bound_open",
                    "This agent session is bound to {device_id}; open another "
                    "session for {other_device}.",
                    device_id=self.device_id,
                    other_device=device_id,
                )
            )
        self.signer = self.agent._device(device_id)
        self.device_id = device_id
        info = self.signer.info
        self.agent.config.announce(
            AgentRequest(
                server=self.server,
                method="open",
                event="session",
                detail=f"{info.model}; {self.grant.describe()}",
            )
        )
        return {
            "info": {
                "kind": str(info.kind),
                "model": info.model,
                "firmware": info.firmware,
                "label": info.label,
            },
            "chains": sorted(self.grant.chains),
            "accounts": sorted(self.grant.accounts),
        }

    def _call(self, message: dict[str, Any]) -> Any:

        if self.signer is None:
            raise AgentRefused(
                Said(
                    "agent_server.open_device_before_asking",
                    "open a device before asking the signer agent to sign",
                )
            )
        method = str(message.get("method") or "")
        if method not in METHODS:
            raise AgentRefused(
                Said(
                    "agent_server.signer_agent_does_not",
                    "the signer agent does not serve {method!r}",
                    method=method[:32],
                )
            )
        args = message.get("args") or {}
        if not isinstance(args, dict):
            raise ProtocolError(
                Said(
                    "agent_server.request_s_arguments_are",
                    "the request's arguments are not an object",
                )
            )
        call, request = prepare_request(
            self.signer, self.grant, self.server, method, args, self._fingerprint
        )
        if method not in SILENT:
            self.agent.config.announce(request)
        relay = self.agent._relay
        with self.agent._busy:  # one request on the devices at a time, whoever asks
            relay.session = self
            try:
                result = self.agent._thread().run(call)
            finally:
                relay.session = None
        return result

    def _fingerprint(self) -> bytes:
        """The device's master fingerprint, asked once per session: checking a PSBT's keys
        costs the device no extra exchange after a device wallet's own check asked it."""
        if self.fingerprint is None:
            self.fingerprint = bytes(self.agent._thread().run(self.signer.master_fingerprint))
        return self.fingerprint


def _local_devices() -> Any:
    """The devices plugged in here, never a signer agent's (the agent would ask itself)."""
    from devices.registry import discover

    return discover(agents=False)
