"""anvil as a child process: a local Ethereum devnet on 127.0.0.1 for the demo and the tests.

Deterministic by construction: a fixed chain id, anvil's public dev mnemonic, a fixed genesis
timestamp and a fixed block-timestamp step, so the same transactions give the same addresses,
blocks and timestamps on every run (screenshots stay stable).
"""

from __future__ import annotations

import re
import subprocess
import time
import weakref
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

from chains.devnet.artifacts import anvil_path
from chains.devnet.errors import DevnetError, DevnetStartFailed
from said import Said

HOST = "127.0.0.1"  # never 0.0.0.0: the devnet's accounts are unlocked
CHAIN_ID = 31337
# Hardhat's and anvil's published test mnemonic. It is public on purpose: anvil prints the keys
# it derives to its log, so no user's mnemonic may ever be handed to anvil.
DEV_MNEMONIC = "test test test test test test test test test test test junk"
GENESIS_TIMESTAMP = 1_767_225_600  # 2026-01-01T00:00:00Z
BLOCK_TIME_STEP = 12  # seconds between consecutive blocks' timestamps, whatever the wall clock
HARDFORK = "prague"  # pinned: gas costs (and so balances after fees) depend on it
DEV_ACCOUNTS = 10
DEV_BALANCE_ETH = 10_000

_LISTENING = re.compile(rb"Listening on 127\.0\.0\.1:(\d+)")
_LOG_TAIL_LINES = 25


class Anvil:
    """Start with `with Anvil(log_dir) as node: node.rpc_url`, or start()/stop().

    Its stdout and stderr go to `log_dir/anvil.log` (overwritten on each start). The process is
    stopped on stop(), on leaving the context, when this object is collected, and at
    interpreter exit, whichever comes first.
    """

    def __init__(
        self,
        log_dir: Path,
        *,
        startup_timeout: float = 20.0,
        extra_args: tuple[str, ...] = (),
    ) -> None:
        self.log_dir = Path(log_dir)
        self.log_path = self.log_dir / "anvil.log"
        self.startup_timeout = startup_timeout
        self.extra_args = extra_args
        self._proc: subprocess.Popen[bytes] | None = None
        self._finalizer: weakref.finalize[Any, Any] | None = None
        self._port: int | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def command(self) -> list[str]:
        return [
            str(anvil_path()),
            "--host", HOST,
            "--port", "0",  # the OS picks a free port; anvil logs which (no probe-then-bind race)
            "--chain-id", str(CHAIN_ID),
            "--mnemonic", DEV_MNEMONIC,
            "--accounts", str(DEV_ACCOUNTS),
            "--balance", str(DEV_BALANCE_ETH),
            "--timestamp", str(GENESIS_TIMESTAMP),
            "--hardfork", HARDFORK,
            "--color", "never",
            *self.extra_args,
        ]  # fmt: skip

    def start(self) -> str:
        """Start anvil and wait until it answers; its RPC URL."""
        if self._proc is None:
            self.spawn()
        elif self._port is not None:
            raise DevnetError(
                Said(
                    "devnet.anvil.anvil_already_started_stop",
                    "this anvil is already started; stop() it first",
                )
            )
        proc = self._proc
        assert proc is not None
        try:
            self._port = self._wait_ready(proc)
            # Each new block is exactly BLOCK_TIME_STEP seconds after the previous one, so block
            # timestamps do not depend on how fast this machine runs.
            self.request("anvil_setBlockTimestampInterval", [BLOCK_TIME_STEP])
        except BaseException:
            self.stop()
            raise
        return self.rpc_url

    def spawn(self) -> None:
        """Only run the process, without waiting for it: the demo spawns anvil before its
        first frame (anvil needs about 0.25 s to answer) and start() waits later."""
        if self._proc is not None:
            raise DevnetError(
                Said(
                    "devnet.anvil.anvil_already_started_stop",
                    "this anvil is already started; stop() it first",
                )
            )
        cmd = self.command()  # raises DevnetMissing before anything is created
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("wb")
        try:
            proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.log_dir,
            )
        except OSError as exc:
            log.close()
            raise DevnetStartFailed(
                Said(
                    "devnet.anvil.could_not_run_anvil",
                    "Could not run anvil ({command}): {exc}",
                    command=cmd[0],
                    exc=exc,
                )
            ) from exc
        self._proc = proc
        self._finalizer = weakref.finalize(self, _terminate, proc, log)

    def stop(self) -> None:
        """Terminate, wait, then kill. Safe to call twice."""
        if self._finalizer is not None:
            self._finalizer()  # runs _terminate once; later calls (and collection) are no-ops
            self._finalizer = None
        self._proc, self._port = None, None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- state -------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def port(self) -> int:
        if self._port is None:
            raise DevnetError(Said("devnet.anvil.anvil_not_running", "anvil is not running"))
        return self._port

    @property
    def rpc_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def request(self, method: str, params: list[Any] | None = None, timeout: float = 10.0) -> Any:
        """One JSON-RPC call to this anvil (for its anvil_*/evm_* methods and readiness)."""
        return rpc_call(self.rpc_url, method, params or [], timeout=timeout)

    # -- internals ---------------------------------------------------------------------------

    def _wait_ready(self, proc: subprocess.Popen[bytes]) -> int:
        deadline = time.monotonic() + self.startup_timeout
        port: int | None = None
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise DevnetStartFailed(
                    Said(
                        "devnet.anvil.anvil_exited_with_code",
                        "anvil exited with code {returncode} before it was ready. "
                        "Its log ({log_path}) ends with:\n{log_tail}",
                        returncode=proc.returncode,
                        log_path=self.log_path,
                        log_tail=self.log_tail(),
                    ),
                    returncode=proc.returncode,
                )
            if port is None:
                m = _LISTENING.search(self.log_path.read_bytes())
                port = int(m.group(1)) if m else None
            if port is not None:
                try:
                    chain_id = int(rpc_call(f"http://{HOST}:{port}", "eth_chainId", [], 1.0), 16)
                except DevnetError:
                    chain_id = None
                if chain_id == CHAIN_ID:
                    return port
                if chain_id is not None:
                    raise DevnetStartFailed(
                        Said(
                            "devnet.anvil.anvil_port_answers_chain",
                            "anvil on port {port} answers chain id {chain_id}, expected {expected}",
                            port=port,
                            chain_id=chain_id,
                            expected=CHAIN_ID,
                        )
                    )
            time.sleep(0.02)
        raise DevnetStartFailed(
            Said(
                "devnet.anvil.anvil_did_not_answer",
                "anvil did not answer eth_chainId within {startup_timeout} "
                "s. Its log ({log_path}) ends with:\n{log_tail}",
                startup_timeout=format(self.startup_timeout, "g"),
                log_path=self.log_path,
                log_tail=self.log_tail(),
            )
        )

    def log_tail(self, lines: int = _LOG_TAIL_LINES) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:]) or "(empty log)"


def rpc_call(url: str, method: str, params: list[Any], timeout: float = 10.0) -> Any:
    """A bare JSON-RPC POST. Used where web3 would be a heavy import for one call."""
    import httpx

    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
    try:
        # trust_env=False: a loopback devnet must never be reached through an HTTP(S)_PROXY.
        with httpx.Client(timeout=timeout, trust_env=False) as client:
            reply = client.post(url, json=body).json()
    except (httpx.HTTPError, ValueError) as exc:
        raise DevnetError(
            Said(
                "devnet.anvil.devnet_at_did_not",
                "devnet at {url} did not answer {method}: {exc}",
                url=url,
                method=method,
                exc=exc,
            )
        ) from exc
    if "error" in reply:
        raise DevnetError(
            Said(
                "devnet.anvil.devnet_at_refused",
                "devnet at {url} refused {method}: {error}",
                url=url,
                method=method,
                error=reply["error"],
            ),
            error=reply["error"],
        )
    return reply.get("result")


def _terminate(proc: subprocess.Popen[bytes], log: IO[bytes], timeout: float = 5.0) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    log.close()
