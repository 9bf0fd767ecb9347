"""web3 (with eth_abi, eth_utils) imported on a thread ahead of its first use: the import takes
about 0.6 s, and the wallet needs web3 only to sign and for typed contract calls, never for its
first screen (chains/evm_rpc.py reads balances without it).

Code that imports web3 or its eth_* libraries after `preload_web3` calls `wait_for_web3` first:
two threads importing web3 at once are a known source of half-initialised modules.
"""

from __future__ import annotations

import threading

_web3_loaded = threading.Event()
_web3_loading: threading.Thread | None = None
_web3_lock = threading.Lock()


def load_first_read_libraries() -> None:
    """What the first balance read needs, imported on the calling thread (a worker's, not the
    event loop's): httpx, and EIP-55's keccak (eth_hash) before web3's thread can import it."""
    import eth_hash.auto  # noqa: F401
    import httpx  # noqa: F401


def preload_web3() -> None:
    """Import web3 on a daemon thread (once), for the signing calls that come later; returns
    at once. Imports of web3 from this module wait for that thread rather than racing it (two
    threads importing web3 at once are a known source of half-initialised modules)."""
    global _web3_loading
    load_first_read_libraries()  # eth_hash: never imported by two threads at once
    with _web3_lock:
        if _web3_loading is not None:
            return
        _web3_loading = threading.Thread(target=_import_web3, name="web3-import", daemon=True)
        _web3_loading.start()


def _import_web3() -> None:
    try:
        import web3  # noqa: F401
    finally:
        _web3_loaded.set()


def wait_for_web3() -> None:
    """Returns when no preload is under way on another thread (at once without one)."""
    with _web3_lock:
        loading = _web3_loading
    if loading is not None and loading is not threading.current_thread():
        _web3_loaded.wait()
