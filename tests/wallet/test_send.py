"""The send use-case against the real anvil devnet: prepare -> review -> sign -> store ->
broadcast -> track, with balances checked on chain afterwards."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from chains.errors import InsufficientFunds
from chains.evm import EvmBackend, TxRejected
from chains.fees import FeeTier
from chains.models import Asset
from chains.networks import devnet as devnet_network
from tests.fixtures.devnet import DEMO_DERIVATION_PATH, DEMO_MNEMONIC, Devnet
from wallet.addressbook import AddressBook
from wallet.pending import TxState
from wallet.safety import RecipientError, WarningKind
from wallet.send import MAX, EvmSender, SendDraft
from wallet.send_checks import NonceTaken, NothingToSend, SignerMismatch
from wallet.store import Store

pytestmark = pytest.mark.devnet
STRANGER = "0x00000000000000000000000000000000C0FFEE01"


@dataclass
class Env:
    devnet: Devnet
    sender: EvmSender
    backend: EvmBackend
    signer: object
    eth: Asset
    dusd: Asset

    async def balance(self, address: str, asset: Asset | None = None) -> int:
        b = await self.backend.balances([address], [asset or self.eth])
        return b[0].amount

    def draft(self, to: str, amount: object, asset: Asset | None = None, **kw: object) -> SendDraft:
        return SendDraft(recipient=to, amount=amount, asset=asset or self.eth, **kw)  # type: ignore[arg-type]

    async def review(self, to: str, amount: object, asset: Asset | None = None, **kw: object):  # type: ignore[no-untyped-def]
        return await self.sender.prepare(
            self.draft(to, amount, asset, **kw), self.devnet.demo_address, DEMO_DERIVATION_PATH
        )


@pytest.fixture
def signer() -> Iterator[object]:
    from devices.emulator import SoftwareSigner

    s = SoftwareSigner.from_mnemonic(DEMO_MNEMONIC)
    yield s
    s.close()


@pytest.fixture
async def env(devnet_snapshot: Devnet, tmp_path: Path, signer: object) -> AsyncIterator[Env]:
    net = devnet_network(devnet_snapshot.rpc_url)
    backend = EvmBackend(net, timeout=10)
    store = Store(tmp_path / "wallet.sqlite")
    tok = devnet_snapshot.deployment.token("DUSD")
    e = Env(
        devnet=devnet_snapshot,
        sender=EvmSender(store, net, backend, [devnet_snapshot.demo_address]),
        backend=backend,
        signer=signer,
        eth=Asset(network="devnet", symbol="ETH", name="Ether", decimals=18),
        dusd=Asset(
            network="devnet",
            symbol="DUSD",
            name=tok.name,
            decimals=tok.decimals,
            contract=tok.address,
        ),
    )
    yield e
    await backend.aclose()
    store.close()


def _fresh(n: int) -> str:
    from eth_utils import to_checksum_address

    return to_checksum_address(f"0x{0xBEEF0000 + n:040x}")


async def test_send_eth_moves_exactly_the_amount_and_the_fee(env: Env) -> None:
    to = _fresh(1)
    me = env.devnet.demo_address
    before = await env.balance(me)
    review = await env.review(to, 10**17)
    assert review.amount == 10**17 and review.tx.value == 10**17 and review.tx.to == to
    assert review.gas == 21_000
    assert review.max_fee == 21_000 * review.fee.max_fee_per_gas
    assert review.total_native == 10**17 + review.max_fee
    assert review.fiat is None
    assert WarningKind.NEW in {w.kind for w in review.warnings}
    entry = await env.sender.sign_and_send(review, env.signer)
    assert entry.state is TxState.BROADCAST
    done = await env.sender.wait(entry, timeout=20, poll=0.1)
    assert done.state is TxState.MINED and done.block is not None
    receipt = await env.backend.receipt(entry.tx_hash)
    assert receipt is not None and receipt.success
    assert await env.balance(to) == 10**17
    paid = receipt.gas_used * receipt.effective_gas_price
    assert await env.balance(me) == before - 10**17 - paid
    # Sent once: the address is no longer new, and the next send takes the next nonce.
    again = await env.review(to, 1)
    assert WarningKind.NEW not in {w.kind for w in again.warnings}
    assert again.nonce == review.nonce + 1


async def test_send_token_transfers_tokens_and_pays_fee_in_eth(env: Env) -> None:
    to = _fresh(2)
    amount = 12_345_678  # 12.345678 DUSD
    review = await env.review(to, amount, env.dusd)
    assert review.tx.to == env.dusd.contract and review.tx.value == 0
    assert review.recipient == to and review.gas > 21_000
    entry = await env.sender.sign_and_send(review, env.signer)
    done = await env.sender.wait(entry, timeout=20, poll=0.1)
    assert done.state is TxState.MINED
    assert await env.balance(to, env.dusd) == amount
    assert await env.balance(to) == 0
    assert review.device_view()[1] == ("token", env.dusd.contract)


async def test_max_eth_leaves_only_the_unspent_fee(env: Env) -> None:
    me = env.devnet.demo_address
    to = _fresh(3)
    review = await env.review(to, MAX, fee=FeeTier.SLOW)
    assert review.amount == review.native_balance - review.max_fee
    entry = await env.sender.sign_and_send(review, env.signer)
    await env.sender.wait(entry, timeout=20, poll=0.1)
    receipt = await env.backend.receipt(entry.tx_hash)
    assert receipt is not None
    left = await env.balance(me)
    assert left == review.max_fee - receipt.gas_used * receipt.effective_gas_price
    assert await env.balance(to) == review.amount
    with pytest.raises(NothingToSend):
        await env.review(_fresh(4), MAX)


async def test_max_token_is_the_whole_token_balance(env: Env) -> None:
    review = await env.review(_fresh(5), MAX, env.dusd)
    assert review.amount == env.devnet.deployment.token("DUSD").demo_amount


async def test_more_than_the_balance_is_refused_and_nothing_is_stored(env: Env) -> None:
    have = await env.balance(env.devnet.demo_address)
    with pytest.raises(InsufficientFunds) as info:
        await env.review(_fresh(6), have)  # the fee does not fit on top
    assert info.value.have == have and info.value.need > have
    with pytest.raises(InsufficientFunds) as tok:
        await env.review(_fresh(6), 10**15, env.dusd)
    assert tok.value.symbol == "DUSD"
    assert env.sender.outbox.entries("devnet") == []


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("vitalik.eth", "name"),
        ("0x1234", "format"),
        ("0x0000000000000000000000000000000000000000", "zero"),
        # The demo address with one letter's case flipped: a broken EIP-55 checksum.
        ("0x9858efFD232B4033E47d90003D41EC34EcaEda94", "checksum"),
    ],
)
async def test_bad_recipients_are_refused(env: Env, text: str, reason: str) -> None:
    with pytest.raises(RecipientError) as info:
        await env.review(text, 1)
    assert info.value.reason == reason


async def test_contract_lookalike_and_checksumless_recipients_warn(env: Env) -> None:
    weth = env.devnet.deployment.weth
    review = await env.review(weth, 10**6, env.dusd)  # tokens to a contract: allowed, flagged
    kinds = {w.kind for w in review.warnings}
    assert WarningKind.CONTRACT in kinds
    # WETH9 here has no receive(): the node's simulation refuses plain ETH sent to it.
    with pytest.raises(TxRejected, match="would fail"):
        await env.review(weth, 10**15)
    to_token = await env.review(env.dusd.contract, 1, env.dusd)  # type: ignore[arg-type]
    assert WarningKind.TOKEN_CONTRACT in {w.kind for w in to_token.warnings}
    friend = "0xAbCd000000000000000000000000000000001234"
    from eth_utils import to_checksum_address

    friend = to_checksum_address(friend.lower())
    AddressBook(env.sender.store).add("devnet", friend, "Friend")
    poison = to_checksum_address("0xabcd9999999999999999999999999999999f1234")
    review = await env.review(poison, 1)
    look = [w for w in review.warnings if w.kind is WarningKind.LOOKALIKE]
    assert [w.other for w in look] == [friend]
    plain = await env.review(friend.lower(), 1)
    kinds = {w.kind for w in plain.warnings}
    assert WarningKind.NO_CHECKSUM in kinds and WarningKind.NEW not in kinds
    assert plain.contact == "Friend"


async def test_a_signer_on_another_key_is_caught_before_anything_is_stored(env: Env) -> None:
    review = await env.review(_fresh(7), 1)
    wrong = replace(review, path="m/44'/60'/0'/0/1")
    with pytest.raises(SignerMismatch):
        await env.sender.sign_and_send(wrong, env.signer)
    assert env.sender.outbox.entries("devnet") == []


async def test_two_payments_never_share_a_nonce(env: Env) -> None:
    first = await env.review(_fresh(8), 1)
    second = await env.review(_fresh(9), 2)
    assert first.nonce == second.nonce  # both prepared before either was signed
    await env.sender.sign_and_send(first, env.signer)
    with pytest.raises(NonceTaken):
        await env.sender.sign_and_send(second, env.signer)
    assert await env.balance(_fresh(9)) == 0
    third = await env.review(_fresh(9), 2)
    assert third.nonce == first.nonce + 1


async def test_fee_tiers_are_ordered_integers(env: Env) -> None:
    options = await env.backend.fee_options()
    tiers = [options.slow, options.normal, options.fast]
    for q in tiers:
        assert isinstance(q.max_fee_per_gas, int) and isinstance(q.max_priority_fee_per_gas, int)
        assert q.max_fee_per_gas >= q.base_fee + q.max_priority_fee_per_gas
    assert [q.max_priority_fee_per_gas for q in tiers] == sorted(
        q.max_priority_fee_per_gas for q in tiers
    )


async def test_a_fee_below_the_base_fee_is_warned_and_its_refusal_blocks_nothing(
    env: Env,
) -> None:
    """Issue 14, case 11: the review warns; the node refuses it; the next send takes the same
    nonce instead of 'another payment already holds nonce 0'."""
    from chains.fees import custom_fee

    base = (await env.backend.fee_options()).normal.base_fee
    low = custom_fee(base // 2, 0, base)
    review = await env.review(STRANGER, 10**15, fee=low)
    assert WarningKind.BELOW_BASE_FEE in {w.kind for w in review.warnings}
    with pytest.raises(TxRejected):
        await env.sender.sign_and_send(review, env.signer)
    again = await env.review(STRANGER, 10**15)
    assert WarningKind.BELOW_BASE_FEE not in {w.kind for w in again.warnings}
    assert again.nonce == review.nonce == 0
    entry = await env.sender.wait(await env.sender.sign_and_send(again, env.signer), poll=0.2)
    assert entry.state is TxState.MINED and entry.nonce == 0
    # The refused one is settled by the chain: its nonce went to the mined payment.
    await env.sender.reconcile()
    states = sorted(e.state.value for e in env.sender.outbox.entries("devnet"))
    assert states == ["mined", "replaced"]


async def test_only_payments_that_reached_the_chain_make_an_address_known(env: Env) -> None:
    """Issue 14, case 12: after a refused send the 'not sent to this address before' warning
    was gone, and the refused address fed the lookalike check."""
    from chains.fees import custom_fee

    base = (await env.backend.fee_options()).normal.base_fee
    refused = await env.review(STRANGER, 10**15, fee=custom_fee(base // 2, 0, base))
    with pytest.raises(TxRejected):
        await env.sender.sign_and_send(refused, env.signer)
    again = await env.review(STRANGER, 10**15)
    assert WarningKind.NEW in {w.kind for w in again.warnings}
    low = STRANGER.lower()
    lookalike = low[:20] + "7" + low[21:]  # same head and tail as the refused recipient's
    near = await env.review(lookalike, 10**15)
    assert WarningKind.LOOKALIKE not in {w.kind for w in near.warnings}
    # Once mined, it is known.
    await env.sender.wait(await env.sender.sign_and_send(again, env.signer), poll=0.2)
    assert WarningKind.NEW not in {w.kind for w in (await env.review(STRANGER, 1)).warnings}
