"""The demo's Litecoin account: a small ltc-regtest chain on the demo's own Electrum server
(chains/devnet/electrum_server.py), so coin control, fee bumping (RBF and CPFP) and PSBT
export can be tried in `termwallet demo` without any node.

The chain is the same on every run (fixed block times, amounts and scripts; signatures are
RFC6979-deterministic): coinbase-style funding of four of the demo mnemonic's ltc-regtest
addresses with different amounts (coin control has a choice), an outgoing payment still in
the mempool at 1 sat/vB that signals RBF (the fee bump has something to speed up), and an
incoming one, also unconfirmed (CPFP). The payment is built and signed as the wallet's send
builds and signs one (select_coins, build_psbt, the software signer's PSBT signing in
devices/psbt.py, finalize_psbt); its keys come from the demo mnemonic through embit (tens of
milliseconds) rather than bip_utils (a third of a second to import): the same keys, which
tests/wallet/test_demo_utxo.py checks against the demo's SoftwareSigner.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chains.devnet.demo_chain import DemoChain
    from chains.devnet.electrum_server import DemoElectrumServer
    from chains.utxo import UnsignedPsbt
    from wallet.store import Store
    from wallet.utxo_keys import AccountKeys
    from wallet.utxo_portfolio import UtxoPortfolio

DEMO_UTXO_NETWORK = "ltc-regtest"
DEMO_UTXO_CHAIN = "ltc-testnet"  # the account family regtest shares (same coin type, keys)
COIN = 10**8

# The chain: block h at CHAIN_START + h * 150 s (Litecoin's 2.5-minute blocks), tip TIP.
# Funding coinbases are more than 100 blocks deep, so mature as a node counts it.
CHAIN_START = 1_767_571_200  # 2026-01-05T00:00:00Z
BLOCK_SECONDS = 150
TIP = 121
MINER_REWARD = 50 * COIN
# (height, receive index, amount): four coins of the account, all different.
FUNDING = ((3, 0, 125_000_000), (7, 1, 50_000_000), (12, 2, 8_000_000), (20, 3, 31_000_000))


@dataclass(frozen=True)
class DemoPayment:
    """A payment of the demo account to the payee: the coin it spends (its funding height),
    the amount, the change address's index, the fee rate (sat/vB) and where it is: a block's
    height, or 0 for the mempool."""

    coin_height: int
    amount: int
    change_index: int
    rate: int
    height: int


# Paid and confirmed in block 60 (History has a confirmed payment, and the coin it spent is
# one a double spend can be tried on); and pending at 1 sat/vB, signalling RBF: slow on
# purpose, so speeding it up makes sense.
CONFIRMED_PAYMENT = DemoPayment(coin_height=12, amount=5_000_000, change_index=0, rate=2, height=60)
PENDING_PAYMENT = DemoPayment(coin_height=7, amount=20_000_000, change_index=1, rate=1, height=0)
INCOMING_HEIGHT = 30  # the miner's coinbase that pays the incoming unconfirmed payment
INCOMING_INDEX = 4
INCOMING_AMOUNT = 15_000_000
INCOMING_FEE = 150  # about 1 sat/vB: slow too, so CPFP makes sense
# The server's fee estimates (sat/kB) by confirmation target, and its relay minimum.
ESTIMATES = {2: 8_000, 6: 4_000, 25: 2_000}
RELAY_FEE = 1_000

# Labels the demo wallet starts with (wallet/labels.py), as a user would have set them. Labels
# are the user's data, shown as they are in both languages: bilingual, as the demo helpdesk's
# names are (wallet/demo_support.py).
LABEL_SAVINGS = "Savings (demo) · 储蓄（演示）"
LABEL_LANDLORD = "Landlord (demo) · 房东（演示）"


def _outside_script(tag: bytes) -> bytes:
    """A P2WPKH script of a hash no key is known for: the demo's miner and the payee. Coins
    sent there are out of the demo's reach, which is all the demo needs of them."""
    return b"\x00\x14" + hashlib.sha256(b"termwallet demo " + tag).digest()[:20]


MINER_SCRIPT = _outside_script(b"miner")
PAYEE_SCRIPT = _outside_script(b"payee")


@dataclass(frozen=True)
class DemoKeys:
    """The demo account's keys below m/84'/1'/0' and its master fingerprint."""

    xpub: str
    path: str
    fingerprint: bytes
    root: Any  # the embit master key: signs the demo's own payment while the chain is built
    first_address: str  # the account's first receive address (the account row keeps it)

    def account_keys(self) -> AccountKeys:
        from chains.utxo_networks import UTXO_NETWORKS
        from wallet.keys import ScriptKind
        from wallet.utxo_keys import AccountKeys

        return AccountKeys(
            UTXO_NETWORKS[DEMO_UTXO_NETWORK], ScriptKind.P2WPKH, self.xpub, self.path
        )


@functools.cache
def demo_keys() -> DemoKeys:
    from embit import bip39
    from embit.bip32 import HDKey

    from wallet.demo import DEMO_MNEMONIC
    from wallet.keys import ScriptKind, account_path

    root = HDKey.from_seed(bip39.mnemonic_to_seed(DEMO_MNEMONIC))
    path = account_path(DEMO_UTXO_CHAIN, ScriptKind.P2WPKH, 0)
    xpub = root.derive(path.replace("'", "h")).to_public().to_string()
    keys = DemoKeys(xpub, path, root.my_fingerprint, root, first_address="")
    first = keys.account_keys().key(0, 0).address
    return DemoKeys(xpub, path, root.my_fingerprint, root, first_address=first)


# PAYEE_SCRIPT's address (tests/wallet/test_demo_utxo.py checks it), written out so the
# screenshots can type it without importing embit.
DEMO_PAYEE = "rltc1qrhcr6z05d2yungwy04q85fwsrwj5r93sacuus0"


def _coinbase(height: int, script: bytes, value: int) -> bytes:
    """A coinbase-style transaction (BIP34: the height opens its script, so each is unique)."""
    from embit.script import Script
    from embit.transaction import Transaction, TransactionInput, TransactionOutput

    from chains.devnet.demo_chain import COINBASE_VOUT, NULL_TXID

    height_push = bytes([3]) + height.to_bytes(3, "little")
    vin = TransactionInput(NULL_TXID, COINBASE_VOUT, Script(height_push + b"demo"), 0xFFFFFFFF)
    return bytes(Transaction(2, [vin], [TransactionOutput(value, Script(script))], 0).serialize())


@functools.cache
def build_demo_chain() -> DemoChain:
    """The demo chain (see the module note). Cached: the same on every call, and the shots
    start a server per picture."""
    from chains.devnet.demo_chain import DemoChain, block_header, merkle_root
    from chains.utxo import txid_of

    account = demo_keys().account_keys()
    coinbases = demo_coinbases()
    confirmed_payment = demo_payment_raw(CONFIRMED_PAYMENT, coinbases)
    confirmed: list[tuple[int, bytes]] = []
    headers: list[bytes] = [block_header(None, bytes(32), CHAIN_START)]
    for h in range(1, TIP + 1):
        block = [coinbases[h]]
        if h == CONFIRMED_PAYMENT.height:
            block.append(confirmed_payment)
        confirmed += [(h, raw) for raw in block]
        root = merkle_root([txid_of(raw) for raw in block])
        headers.append(block_header(headers[-1], root, CHAIN_START + h * BLOCK_SECONDS))
    pending = demo_payment_raw(PENDING_PAYMENT, coinbases)
    incoming = _incoming(coinbases[INCOMING_HEIGHT], account.key(0, INCOMING_INDEX).script)
    return DemoChain(
        headers=tuple(headers),
        confirmed=tuple(confirmed),
        mempool=(pending, incoming),
        estimates=dict(ESTIMATES),
        relay_fee=RELAY_FEE,
    )


def demo_payment_psbt(payment: DemoPayment, coinbases: dict[int, bytes]) -> UnsignedPsbt:
    """A payment's unsigned PSBT, built as UtxoSender.prepare builds one (select_coins,
    build_psbt; locktime: the block before the one it is meant for, or the tip)."""
    from chains.coin_selection import Coin, select_coins
    from chains.utxo import ChangeOutput, build_psbt, txid_of
    from chains.utxo_networks import UTXO_NETWORKS

    net = UTXO_NETWORKS[DEMO_UTXO_NETWORK]
    keys = demo_keys()
    account = keys.account_keys()
    index, value = next((i, v) for h, i, v in FUNDING if h == payment.coin_height)
    key = account.key(0, index)
    funding_raw = coinbases[payment.coin_height]
    coin = Coin(
        txid=txid_of(funding_raw),
        vout=0,
        value=value,
        height=payment.coin_height,
        script=key.script,
        kind=account.kind,
        path=key.path,
        pubkey=key.pubkey,
        prev_tx=funding_raw,
    )
    change_key = account.key(1, payment.change_index)
    outputs = [(PAYEE_SCRIPT, payment.amount)]
    selection = select_coins(
        [coin],
        outputs,
        payment.rate,
        change_key.script,
        dust_limit=net.dust_limit,
        symbol=net.symbol,
        use_all=True,
    )
    change = ChangeOutput(
        change_key.script, selection.change, change_key.path, change_key.pubkey, account.kind
    )
    locktime = payment.height - 1 if payment.height else TIP
    return build_psbt(selection, outputs, change, keys.fingerprint, locktime=locktime)


def demo_payment_raw(payment: DemoPayment, coinbases: dict[int, bytes]) -> bytes:
    """The payment signed as the software signer signs (devices/psbt.py) and finalized as
    UtxoSender.sign finalizes."""
    from chains.utxo import finalize_psbt
    from devices.psbt import sign_psbt

    unsigned = demo_payment_psbt(payment, coinbases)
    signed = sign_psbt(unsigned.psbt, demo_keys().root).psbt
    return finalize_psbt(signed, unsigned)


def demo_coinbases() -> dict[int, bytes]:
    """Every block's coinbase-style transaction, by height."""
    keys = demo_keys().account_keys()
    funding = {h: (keys.key(0, i).script, value) for h, i, value in FUNDING}
    return {
        h: _coinbase(h, *funding.get(h, (MINER_SCRIPT, MINER_REWARD))) for h in range(1, TIP + 1)
    }


def _incoming(miner_coinbase: bytes, script: bytes) -> bytes:
    """Someone else's payment to the demo, unconfirmed: it spends the miner's coinbase (its
    input carries no signature: the demo server checks none, see its module note)."""
    from embit.script import Script
    from embit.transaction import Transaction, TransactionInput, TransactionOutput

    from chains.utxo import RBF_SEQUENCE, txid_of

    vin = TransactionInput(bytes.fromhex(txid_of(miner_coinbase)), 0, sequence=RBF_SEQUENCE)
    rest = MINER_REWARD - INCOMING_AMOUNT - INCOMING_FEE
    vout = [TransactionOutput(INCOMING_AMOUNT, Script(script)),
            TransactionOutput(rest, Script(MINER_SCRIPT))]  # fmt: skip
    return bytes(Transaction(2, [vin], vout, TIP).serialize())


def start_demo_electrum() -> DemoElectrumServer:
    """Blocking, and quick: the server listens at once and builds its chain on a thread of
    its own (requests wait for it), so the demo's first balances do not wait for it."""
    from chains.devnet.electrum_server import DemoElectrumServer

    demo_keys()  # here, beside anvil's start: the session's account row needs them next
    server = DemoElectrumServer(build_demo_chain)
    server.start()
    return server


def demo_utxo_portfolio(store: Store, url: str) -> UtxoPortfolio:
    """The demo wallet's Litecoin account (in the demo's own store) on the demo server, with
    the labels a user would have given."""
    from wallet.accounts import AccountBook
    from wallet.keys import ScriptKind
    from wallet.labels import LabelBook
    from wallet.utxo_portfolio import build_utxo_portfolio

    keys = demo_keys()
    book = AccountBook(store)
    wallet_id = book.software_wallet("Demo wallet")
    first = keys.first_address
    book.add_xpub_account(
        wallet_id, DEMO_UTXO_CHAIN, ScriptKind.P2WPKH, keys.xpub, 0, address=first
    )
    labels = LabelBook(store)
    labels.set("addr", first, LABEL_SAVINGS)
    labels.set("addr", DEMO_PAYEE, LABEL_LANDLORD)
    return build_utxo_portfolio(
        store, [DEMO_UTXO_NETWORK], wallet_id=wallet_id, electrum_servers={DEMO_UTXO_NETWORK: [url]}
    )
