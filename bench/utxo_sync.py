"""Time to discover and sync a Litecoin account with 1,000 used addresses against a real
ElectrumX (regtest, 127.0.0.1), and the number of protocol requests and round trips.

    python3 bench/utxo_sync.py [--used 1000] [--gap 20]

Starts its own litecoind + ElectrumX in a temp dir (tests/fixtures/litecoin.py), funds
addresses 0..N-1 of a software account's receive chain with one transaction each (mining a
block every 20 to stay inside the mempool's chain limit), then syncs a fresh store (cold:
discovery + every transaction) and syncs again (warm: histories only, transactions cached).
Prints figures; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

MNEMONIC = "legal winner thank year wave sausage worth useful legal winner thank yellow"


async def _sync(
    store_path: Path, url: str, gap: int, repeat: int
) -> list[tuple[float, int, int, object]]:
    from chains.electrum import ElectrumBackend
    from chains.utxo_networks import utxo_network
    from devices.emulator import SoftwareSigner
    from wallet.accounts import AccountBook
    from wallet.keys import ScriptKind
    from wallet.store import Store
    from wallet.utxo_sync import UtxoAccount

    store = Store(store_path)
    book = AccountBook(store)
    signer = SoftwareSigner.from_mnemonic(MNEMONIC)
    acct = book.add_from_signer(signer, book.software_wallet(), "ltc-regtest", ScriptKind.P2WPKH)
    out = []
    for _ in range(repeat):
        backend = ElectrumBackend(utxo_network("ltc-regtest"), servers=[url], timeout=120)
        ua = UtxoAccount(store, acct, backend, gap_limit=gap)
        t = time.perf_counter()
        result = await ua.sync()
        out.append((time.perf_counter() - t, result.requests, backend.round_trips, result))
        await backend.aclose()
    store.close()
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--used", type=int, default=1000)
    ap.add_argument("--gap", type=int, default=20)
    args = ap.parse_args()

    from chains.utxo_networks import utxo_network
    from devices.emulator import SoftwareSigner
    from tests.fixtures.litecoin import run_regtest
    from wallet.keys import ScriptKind, account_path
    from wallet.utxo_keys import AccountKeys

    signer = SoftwareSigner.from_mnemonic(MNEMONIC)
    path = account_path("ltc-regtest", ScriptKind.P2WPKH)
    keys = AccountKeys(utxo_network("ltc-regtest"), ScriptKind.P2WPKH, signer.get_xpub(path), path)
    with tempfile.TemporaryDirectory() as tmp, run_regtest(Path(tmp) / "chain") as rt:
        t = time.perf_counter()
        for i in range(args.used):
            rt.fund(keys.key(0, i).address, 100_000 + i)
            if i % 20 == 19:
                rt.mine(1)
        rt.mine(1)
        rt.wait_electrum_height(rt.height(), timeout=120)
        print(
            f"funded {args.used} addresses in {time.perf_counter() - t:.1f} s "
            f"(chain height {rt.height()})"
        )
        runs = asyncio.run(_sync(Path(tmp) / "wallet.sqlite3", rt.electrum_tcp, args.gap, 2))
        expected = sum(100_000 + i for i in range(args.used))
        for label, (secs, requests, trips, result) in zip(("cold", "warm"), runs, strict=True):
            assert result.confirmed == expected, (result.confirmed, expected)  # type: ignore[attr-defined]
            assert result.used[0] == args.used  # type: ignore[attr-defined]
            print(
                f"{label} sync: {secs:.2f} s, {requests} requests, {trips} round trips, "
                f"{len(result.history)} transactions, balance {result.confirmed}"
            )  # type: ignore[attr-defined]
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
