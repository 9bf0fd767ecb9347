"""The one thread every device call runs on.

USB/HID libraries and the devices themselves are not safe to drive from two threads at once
(Electrum's `hwd_comms` thread exists for the same reason), so all device I/O is serialised
on a single worker. Interaction callbacks (PIN, passphrase, confirm) run on this thread too and
block it until the human answers; the TUI hands them to its event loop with call_from_thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

THREAD_NAME = "termwallet-device"


class DeviceThread:
    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=THREAD_NAME)
        self._ident: int | None = None

    def _mark(self) -> None:
        self._ident = threading.get_ident()

    def is_current(self) -> bool:
        return self._ident is not None and threading.get_ident() == self._ident

    def submit(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        def job() -> T:
            self._mark()
            return fn(*args, **kwargs)

        return self._executor.submit(job)

    def run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run `fn` on the device thread and wait for it. Called from the device thread itself
        (a signer method calling another), it runs inline: waiting on itself would deadlock."""
        if self.is_current():
            return fn(*args, **kwargs)
        return self.submit(fn, *args, **kwargs).result()

    async def call(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Await `fn` from an asyncio loop without blocking it."""
        import asyncio  # here: the CLI's device commands never need its ~20 ms import

        return await asyncio.wrap_future(self.submit(fn, *args, **kwargs))

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)


_shared: DeviceThread | None = None
_shared_lock = threading.Lock()


def device_thread() -> DeviceThread:
    """The process-wide device thread, started on first use."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = DeviceThread()
        return _shared


class OnDeviceThread:
    """Wraps a signer so every method call runs on the device thread (sync callers wait)."""

    def __init__(self, signer: object, thread: DeviceThread | None = None) -> None:
        self._signer = signer
        self._thread = thread or device_thread()

    @property
    def info(self) -> object:
        return self._signer.info  # type: ignore[attr-defined]

    @property
    def wrapped(self) -> object:
        return self._signer

    def __getattr__(self, name: str) -> object:
        attr = getattr(self._signer, name)
        if not callable(attr):
            return attr

        def call(*args: object, **kwargs: object) -> object:
            return self._thread.run(attr, *args, **kwargs)

        return call

    def __repr__(self) -> str:
        return f"OnDeviceThread({self._signer!r})"
