"""A signer agent on the "laptop" whose Trezor One is a recording (tests/devices/
transcripts): `python -m tests.tui.agent_replay TRANSCRIPT AGENT_DIR SECRET_HEX`.

The agent, its protocol and the TrezorSigner are the real code; only the USB link is the
replay, which fails on any byte the adapter sends that the device never saw. Prints "ready"
when it listens; on SIGTERM it writes whether every recorded exchange was made, then stops.
"""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path
from typing import Any

UDP = "udp:127.0.0.1:21324"


def main(transcript: str, directory: str, secret: str) -> int:
    from devices import registry
    from devices.agent_server import AgentConfig, SignerAgent
    from devices.base import SignerKind
    from devices.transcript import Transcript, replay_trezor_transport
    from devices.trezor import TrezorSigner

    transport = replay_trezor_transport(Transcript.load(Path(transcript)), path=UDP)
    told: list[str] = []

    def discover() -> registry.Discovery:
        entry = registry.DeviceEntry(f"trezor:{UDP}", SignerKind.TREZOR, "Trezor", UDP)
        return registry.Discovery(devices=[entry])

    def open_entry(entry: Any, interaction: Any) -> Any:
        return TrezorSigner(transport, interaction)

    def announce(request: Any) -> None:
        told.append(f"{request.event} {request.method} {request.detail}")
        print(told[-1], flush=True)

    config = AgentConfig(
        secret=bytes.fromhex(secret),
        directory=Path(directory),
        discover=discover,
        open_entry=open_entry,
        announce=announce,
    )
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    with SignerAgent(config):
        print("ready", flush=True)
        done.wait()
    (Path(directory) / "finished").write_text(str(transport.cursor.finished))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(*sys.argv[1:4]))
