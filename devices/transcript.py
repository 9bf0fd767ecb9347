"""Record a device's real byte exchanges, and replay them strictly.

The emulators (speculos, the Trezor One emulator) are not in any registry, so CI cannot start
them. A live run records every chunk our adapter writes and every chunk the emulator answers;
CI replays that file through the same adapter code. Replay fails on the first write that
differs from the recording, so a change in what the adapter sends fails the test.

Trezor: 64-byte protocol-v1 chunks at trezorlib's Transport level (below our adapter and below
trezorlib's message encoding). Ledger: APDUs at ledgerwallet's Device level.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devices.errors import DeviceError

WRITE = "write"
READ = "read"
TIMEOUT = "timeout"  # a read that timed out (trezorlib's probe expects one)


class TranscriptMismatch(DeviceError):
    """The adapter sent something the recorded device never saw, or more than it saw."""

    code = "TRANSCRIPT_MISMATCH"


@dataclass
class Transcript:
    device: str  # e.g. "trezor-one-emulator 1.14.1", "speculos 0.25.5 nanox Ethereum 1.10.4-dev"
    # What the emulator held: a label saying it was a random throwaway test seed read from the
    # emulator at record time (the words themselves are in meta["emulator_seed"], so a replay
    # can derive its expectations from them); never a wallet's.
    seed: str
    events: list[dict[str, str]] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)

    def add(self, op: str, data: bytes = b"") -> None:
        self.events.append({"op": op, "hex": data.hex()})

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        body = {"device": self.device, "seed": self.seed, "meta": self.meta, "events": self.events}
        path.write_text(json.dumps(body, indent=1) + "\n")

    @classmethod
    def load(cls, path: Path) -> Transcript:
        body = json.loads(path.read_text())
        return cls(body["device"], body["seed"], body["events"], body.get("meta", {}))


class Cursor:
    """Walks a transcript: each write must equal the next recorded write."""

    def __init__(self, transcript: Transcript) -> None:
        self.events = transcript.events
        self.pos = 0

    def _next(self, wanted: str) -> dict[str, str]:
        if self.pos >= len(self.events):
            raise TranscriptMismatch(f"unexpected {wanted} after the end of the transcript")
        ev = self.events[self.pos]
        if wanted == READ and ev["op"] in (READ, TIMEOUT):
            self.pos += 1
            return ev
        if ev["op"] != wanted:
            raise TranscriptMismatch(
                f"event {self.pos}: the adapter did a {wanted}, the device saw a {ev['op']}"
            )
        self.pos += 1
        return ev

    def write(self, data: bytes) -> None:
        ev = self._next(WRITE)
        if ev["hex"] != data.hex():
            raise TranscriptMismatch(
                f"event {self.pos - 1}: the adapter wrote {data.hex()}, "
                f"the recording has {ev['hex']}"
            )

    def read(self) -> bytes | None:
        """The recorded answer, or None where the recorded read timed out."""
        ev = self._next(READ)
        return None if ev["op"] == TIMEOUT else bytes.fromhex(ev["hex"])

    @property
    def finished(self) -> bool:
        return self.pos == len(self.events)


# --- Trezor: trezorlib Transport subclasses, built on first use (trezorlib is heavy) ----------


def recording_trezor_transport(inner: Any, transcript: Transcript) -> Any:
    """A trezorlib Transport that forwards to `inner` and records every chunk."""
    from trezorlib.transport import Timeout, Transport

    class Recording(Transport):  # type: ignore[misc]
        PATH_PREFIX = inner.PATH_PREFIX
        CHUNK_SIZE = inner.CHUNK_SIZE
        ENABLED = False

        def get_path(self) -> str:
            return str(inner.get_path())

        def is_open(self) -> bool:
            return bool(inner.is_open())

        def _open(self) -> None:
            inner.open()

        def _close(self) -> None:
            inner.close()

        def write_chunk(self, chunk: bytes, /) -> None:
            transcript.add(WRITE, chunk)
            inner.write_chunk(chunk)

        def read_chunk(self, *, timeout: float | None = None) -> bytes:
            try:
                chunk = bytes(inner.read_chunk(timeout=timeout))
            except Timeout:
                transcript.add(TIMEOUT)
                raise
            transcript.add(READ, chunk)
            return chunk

    return Recording()


def replay_trezor_transport(transcript: Transcript, path: str = "replay:trezor") -> Any:
    """A trezorlib Transport that answers from a transcript; `.cursor.finished` tells whether
    the adapter made every recorded exchange."""
    from trezorlib.transport import Timeout, Transport

    cursor = Cursor(transcript)

    class Replay(Transport):  # type: ignore[misc]
        PATH_PREFIX = "replay"
        CHUNK_SIZE = 64
        ENABLED = False

        def __init__(self) -> None:
            self.cursor = cursor
            self._is_open = False

        def get_path(self) -> str:
            return path

        def is_open(self) -> bool:
            return self._is_open

        def _open(self) -> None:
            self._is_open = True

        def _close(self) -> None:
            self._is_open = False

        def write_chunk(self, chunk: bytes, /) -> None:
            cursor.write(chunk)

        def read_chunk(self, *, timeout: float | None = None) -> bytes:
            data = cursor.read()
            if data is None:
                raise Timeout("recorded timeout")
            return data

    return Replay()


# --- Ledger: ledgerwallet Device wrappers (APDU level) ----------------------------------------


class RecordingLedgerDevice:
    """Forwards APDUs to a ledgerwallet Device and records each command and answer."""

    def __init__(self, inner: Any, transcript: Transcript) -> None:
        self.inner = inner
        self.transcript = transcript

    def open(self) -> None:
        self.inner.open()

    def close(self) -> None:
        self.inner.close()

    def exchange(self, data: bytes, timeout: int = 0) -> bytes:
        self.transcript.add(WRITE, data)
        answer = bytes(self.inner.exchange(data, timeout))
        self.transcript.add(READ, answer)
        return answer


class ReplayLedgerDevice:
    """Answers APDUs from a transcript; fails on any APDU that differs from the recording."""

    def __init__(self, transcript: Transcript) -> None:
        self.cursor = Cursor(transcript)

    def open(self) -> None:
        pass

    def close(self) -> None:
        pass

    def exchange(self, data: bytes, timeout: int = 0) -> bytes:
        self.cursor.write(data)
        answer = self.cursor.read()
        if answer is None:
            raise TranscriptMismatch("a Ledger exchange cannot time out in a recording")
        return answer
