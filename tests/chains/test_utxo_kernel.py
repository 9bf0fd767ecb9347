"""Bitcoin: our PSBTs, signed by the software signer and finalized by chains.utxo, in a block
that Bitcoin Core's own validation (libbitcoinkernel, PyPI py-bitcoinkernel) accepts on
regtest; the same block with one signature bit flipped is refused.

No Bitcoin node is packaged here, so the chain is mined in this test: 101 blocks whose
coinbases pay our BIP84 address (regtest proof of work is a coin toss per nonce), then a block
with a P2WPKH -> P2TR + change spend and a P2TR -> P2WPKH spend of that output, both ours.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chains.coin_selection import Coin, Selection
from chains.utxo import ChangeOutput, build_psbt, finalize_psbt
from chains.utxo_networks import utxo_network
from devices.emulator import SoftwareSigner
from wallet.keys import ScriptKind, account_path
from wallet.utxo_keys import AccountKeys

pbk = pytest.importorskip("pbk", reason="py-bitcoinkernel (test extra) is not installed")

MNEMONIC = "legal winner thank year wave sausage worth useful legal winner thank yellow"
NET = utxo_network("btc-regtest")
SUBSIDY = 50 * 10**8
BITS = 0x207FFFFF
TARGET = 0x7FFFFF << (8 * (0x20 - 3))


def sha256d(b: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(b).digest()).digest()


def merkle(hashes: list[bytes]) -> bytes:
    level = list(hashes)
    while len(level) > 1:
        if len(level) % 2:
            level.append(level[-1])
        level = [sha256d(level[i] + level[i + 1]) for i in range(0, len(level), 2)]
    return level[0]


def script_num(n: int) -> bytes:
    """CScript() << n, as BIP34 wants the height at the start of a coinbase."""
    if 1 <= n <= 16:
        return bytes([0x50 + n])
    out = bytearray()
    while n:
        out.append(n & 0xFF)
        n >>= 8
    if out[-1] & 0x80:
        out.append(0)
    return bytes([len(out)]) + bytes(out)


def coinbase(height: int, pay_script: bytes, value: int, commitment: bytes | None) -> Any:
    from embit.script import Script, Witness
    from embit.transaction import Transaction, TransactionInput, TransactionOutput

    vin = TransactionInput(
        b"\x00" * 32, 0xFFFFFFFF, script_sig=Script(script_num(height) + b"\x00")
    )
    vout = [TransactionOutput(value, Script(pay_script))]
    if commitment is not None:
        vin.witness = Witness([b"\x00" * 32])  # the witness reserved value
        vout.append(TransactionOutput(0, Script(b"\x6a\x24\xaa\x21\xa9\xed" + commitment)))
    return Transaction(version=2, vin=[vin], vout=vout, locktime=0)


def make_block(prev: bytes, height: int, pay_script: bytes, txs: list[bytes], fees: int) -> bytes:
    """A block over `prev` (internal byte order) with a BIP34 coinbase, a BIP141 witness
    commitment when needed, and a header ground until it meets the regtest target."""
    from embit.transaction import Transaction

    parsed = [Transaction.parse(t) for t in txs]
    commitment = None
    if parsed:
        wtxids = [b"\x00" * 32] + [sha256d(t) for t in txs]
        commitment = sha256d(merkle(wtxids) + b"\x00" * 32)
    cb = coinbase(height, pay_script, SUBSIDY + fees, commitment)
    txids = [cb.txid()[::-1]] + [p.txid()[::-1] for p in parsed]
    root = merkle(txids)
    t = int(time.time()) - 7200 + height
    for nonce in range(1 << 20):
        header = (
            (0x20000000).to_bytes(4, "little")
            + prev
            + root
            + t.to_bytes(4, "little")
            + BITS.to_bytes(4, "little")
            + nonce.to_bytes(4, "little")
        )
        if int.from_bytes(sha256d(header), "little") <= TARGET:
            break
    body = cb.serialize() + b"".join(txs)
    return header + bytes([1 + len(txs)]) + body


@pytest.fixture
def chainman(tmp_path: Path) -> Iterator[Any]:
    opts = pbk.ContextOptions()
    opts.set_chainparams(pbk.ChainParameters(pbk.ChainType.REGTEST))
    ctx = pbk.Context(opts)
    cm_opts = pbk.ChainstateManagerOptions(ctx, str(tmp_path / "data"), str(tmp_path / "blocks"))
    cm_opts.update_block_tree_db_in_memory(True)
    cm_opts.update_chainstate_db_in_memory(True)
    cm = pbk.ChainstateManager(cm_opts)
    yield cm
    del cm


def tip(cm: Any) -> tuple[int, bytes]:
    chain = cm.get_active_chain()
    entry = chain.block_tree_entries[chain.height]
    return chain.height, bytes(entry.block_hash)


def submit(cm: Any, raw: bytes) -> None:
    try:
        cm.process_block(pbk.Block(raw))
    except pbk.ProcessBlockException:
        pass  # a refused block: the tip tells


def test_kernel_accepts_our_spends_and_refuses_a_tampered_signature(chainman: Any) -> None:
    signer = SoftwareSigner.from_mnemonic(MNEMONIC)
    fp = signer.fingerprint
    wpkh = AccountKeys(
        NET,
        ScriptKind.P2WPKH,
        signer.get_xpub(account_path("btc-regtest", ScriptKind.P2WPKH)),
        account_path("btc-regtest", ScriptKind.P2WPKH),
    )
    tr = AccountKeys(
        NET,
        ScriptKind.P2TR,
        signer.get_xpub(account_path("btc-regtest", ScriptKind.P2TR)),
        account_path("btc-regtest", ScriptKind.P2TR),
    )
    # The addresses the wallet derives from xpubs are the ones the signer derives itself.
    assert wpkh.key(0, 0).address == signer.get_address("btc-regtest", "m/84'/1'/0'/0/0")
    assert tr.key(0, 0).address == signer.get_address("btc-regtest", "m/86'/1'/0'/0/0")

    height, prev = tip(chainman)
    assert height == 0
    mine_to = wpkh.key(0, 0)
    coinbases = []
    for h in range(1, 102):
        raw = make_block(prev, h, mine_to.script, [], 0)
        submit(chainman, raw)
        height, prev = tip(chainman)
        assert height == h, f"block {h} was not accepted"
        coinbases.append(raw[81:])  # the only transaction
    from embit.transaction import Transaction

    cb1 = Transaction.parse(coinbases[0])
    cb1_txid = cb1.txid().hex()

    # Spend 1: block 1's coinbase (P2WPKH) -> 30 BTC to our taproot address + change.
    coin = Coin(cb1_txid, 0, SUBSIDY, 1, mine_to.script, "p2wpkh", mine_to.path, mine_to.pubkey)
    to_tr = tr.key(0, 0)
    change_key = wpkh.key(1, 0)
    fee1 = 1_000
    change = ChangeOutput(
        change_key.script, SUBSIDY - 30 * 10**8 - fee1, change_key.path, change_key.pubkey, "p2wpkh"
    )
    u1 = build_psbt(
        Selection((coin,), fee1, change.value, 0),
        [(to_tr.script, 30 * 10**8)],
        change,
        fp,
        locktime=101,
    )
    tx1 = finalize_psbt(signer.sign_psbt(u1.psbt, "btc-regtest"), u1)
    t1 = Transaction.parse(tx1)
    vout_tr = next(i for i, o in enumerate(t1.vout) if o.script_pubkey.data == to_tr.script)

    # Spend 2: that taproot output -> our next receive address, in the same block.
    tr_coin = Coin(u1.txid, vout_tr, 30 * 10**8, 0, to_tr.script, "p2tr", to_tr.path, to_tr.pubkey)
    back = wpkh.key(0, 1)
    fee2 = 500
    u2 = build_psbt(
        Selection((tr_coin,), fee2, 0, 0),
        [(back.script, 30 * 10**8 - fee2)],
        None,
        fp,
        locktime=101,
    )
    tx2 = finalize_psbt(signer.sign_psbt(u2.psbt, "btc-regtest"), u2)

    good = make_block(prev, 102, mine_to.script, [tx1, tx2], fee1 + fee2)
    bad_tx2 = bytearray(tx2)
    # The Schnorr signature is the last 64 bytes before the 4-byte locktime: flip one bit.
    bad_tx2[-4 - 10] ^= 1
    bad = make_block(prev, 102, mine_to.script, [tx1, bytes(bad_tx2)], fee1 + fee2)

    submit(chainman, bad)
    assert tip(chainman) == (101, prev), "a block with a broken signature was accepted"
    submit(chainman, good)
    height, new_tip = tip(chainman)
    assert height == 102
    assert new_tip == sha256d(good[:80])

    # And a tampered P2WPKH (ECDSA) signature in a block on top is refused too.
    t_back = Transaction.parse(tx2)
    back_coin = Coin(
        t_back.txid().hex(),
        0,
        30 * 10**8 - fee2,
        102,
        back.script,
        "p2wpkh",
        back.path,
        back.pubkey,
    )
    u3 = build_psbt(
        Selection((back_coin,), 400, 0, 0),
        [(tr.key(0, 1).script, 30 * 10**8 - fee2 - 400)],
        None,
        fp,
    )
    tx3 = finalize_psbt(signer.sign_psbt(u3.psbt, "btc-regtest"), u3)
    bad3 = bytearray(tx3)
    der_at = tx3.rfind(b"\x30\x44")
    der_at = der_at if der_at > 0 else tx3.rfind(b"\x30\x45")
    bad3[der_at + 8] ^= 1  # inside r
    submit(chainman, make_block(new_tip, 103, mine_to.script, [bytes(bad3)], 400))
    assert tip(chainman)[0] == 102
    submit(chainman, make_block(new_tip, 103, mine_to.script, [tx3], 400))
    assert tip(chainman)[0] == 103
