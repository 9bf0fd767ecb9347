import time, asyncio
from tests.wallet.test_utxo_regtest import *

async def test_timing(regtest, store, signer, backend):
    acct = _account(store, signer, ScriptKind.P2WPKH, 11)
    ua = UtxoAccount(store, acct, backend)
    t=time.monotonic(); r=await ua.sync(); print("sync", time.monotonic()-t, r.requests)
    regtest.fund(r.receive_address, COIN)
    t=time.monotonic(); await poll(ua.sync, lambda r: r.unconfirmed==COIN); print("mempool seen", time.monotonic()-t)
    regtest.mine(1)
    t=time.monotonic(); await poll(ua.sync, lambda r: r.confirmed==COIN); print("block seen", time.monotonic()-t)
    t=time.monotonic(); await fee_tiers(backend); print("fees", time.monotonic()-t)
