"""Device wallets (wallet/device_wallet.py, wallet/wallets.py): read a device's account keys,
store them beside other wallets, and sign later only on the device that holds them.

The "devices" here are stand-ins: the software signer (devices/emulator.py, the real signing
code) on a fresh random phrase, listed by a small registry substitute under a hardware kind.
Discovery of real USB/UDP devices cannot run without hardware or an emulator; the same flows
against the Trezor and Ledger emulators (and their recordings) are in tests/devices and
tests/tui. Expectations come from each stand-in's own phrase, derived independently with
bip_utils, never from a phrase written here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from devices.base import DeviceInfo, SignerKind
from devices.emulator import SoftwareSigner
from devices.errors import Disconnected, WrongDevice
from devices.registry import DeviceEntry, Discovery
from wallet.device_wallet import (
    DeviceWalletSigner,
    read_device_keys,
    show_first_addresses,
    store_device_wallet,
)
from wallet.keys import ScriptKind, generate_mnemonic
from wallet.store import Store


def _expected(mnemonic: str, chain_path: str, kind: str) -> str:
    """An address derived from the phrase with bip_utils' own BIP44/84/86 classes."""
    from bip_utils import (
        Bip39SeedGenerator,
        Bip44,
        Bip44Changes,
        Bip44Coins,
        Bip84,
        Bip84Coins,
        Bip86,
        Bip86Coins,
    )

    seed = Bip39SeedGenerator(mnemonic).Generate()
    if kind == "eth":
        ctx = Bip44.FromSeed(seed, Bip44Coins.ETHEREUM)
    elif kind == "btc84":
        ctx = Bip84.FromSeed(seed, Bip84Coins.BITCOIN)
    elif kind == "btc86":
        ctx = Bip86.FromSeed(seed, Bip86Coins.BITCOIN)
    elif kind == "ltc84":
        ctx = Bip84.FromSeed(seed, Bip84Coins.LITECOIN)
    else:
        raise AssertionError(kind)
    node = ctx.Purpose().Coin().Account(0).Change(Bip44Changes.CHAIN_EXT).AddressIndex(0)
    return str(node.PublicKey().ToAddress())


class StandIn(SoftwareSigner):
    """The software signer presented as a hardware wallet of `kind` (a stand-in, see above)."""

    closed = 0

    def __init__(self, mnemonic: str, model: str = "Trezor One") -> None:
        seed = SoftwareSigner.from_mnemonic(mnemonic)._seed
        super().__init__(seed)
        self.info = DeviceInfo(kind=SignerKind.TREZOR, model=model, path="udp:stand-in")
        self.shown: list[tuple[str, str]] = []

    def get_address(self, chain: str, path: str, *, display: bool = False) -> str:
        address = super().get_address(chain, path)
        if display:
            self.shown.append((chain, address))
        return address

    def close(self) -> None:
        StandIn.closed += 1


@dataclass
class Registry:
    """devices.registry's discover/open_entry over stand-ins."""

    plugged: list[StandIn] = field(default_factory=list)
    opened: int = 0

    def discover(self) -> Discovery:
        return Discovery(
            devices=[
                DeviceEntry(f"trezor:stand-in:{i}", SignerKind.TREZOR, d.info.model, str(i))
                for i, d in enumerate(self.plugged)
            ]
        )

    def open_entry(self, entry: DeviceEntry, interaction: Any) -> StandIn:
        self.opened += 1
        return self.plugged[int(entry.path)]


class Wait:
    def __init__(self, registry: Registry, plug_in: StandIn | None, after: int = 2) -> None:
        self.registry, self.plug_in, self.after = registry, plug_in, after
        self.messages: list[str] = []
        self.done = False

    def waiting(self, message: str) -> bool:
        self.messages.append(message)
        if len(self.messages) >= self.after:
            if self.plug_in is None:
                return False
            self.registry.plugged.append(self.plug_in)
        return True

    def connected(self) -> None:
        self.done = True


@pytest.fixture
def store(tmp_path: Path) -> Any:
    s = Store(tmp_path / "wallet.sqlite")
    yield s
    s.close()


def test_reads_the_device_accounts_its_own_seed_gives():
    mnemonic = generate_mnemonic(12)
    device = StandIn(mnemonic)
    keys = read_device_keys(device)
    assert keys.fingerprint == device.fingerprint.hex()
    assert keys.model == "Trezor One" and keys.kind is SignerKind.TREZOR
    assert keys.first_address("eth", ScriptKind.ETH)[1] == _expected(mnemonic, "", "eth")
    assert keys.first_address("btc", ScriptKind.P2WPKH)[1] == _expected(mnemonic, "", "btc84")
    assert keys.first_address("btc", ScriptKind.P2TR)[1] == _expected(mnemonic, "", "btc86")
    assert keys.first_address("ltc", ScriptKind.P2WPKH)[1] == _expected(mnemonic, "", "ltc84")
    assert not keys.skipped


def test_show_first_addresses_shows_each_main_network_account_on_the_device():
    device = StandIn(generate_mnemonic(12))
    keys = read_device_keys(device)
    told: list[str] = []
    show_first_addresses(device, keys, lambda c, s, a: told.append(a))
    assert told == [a for _, a in device.shown]
    assert {c for c, _ in device.shown} == {"eth", "btc", "ltc"}


def test_a_device_that_shows_another_address_is_refused():
    device = StandIn(generate_mnemonic(12))
    keys = read_device_keys(device)
    liar = StandIn(generate_mnemonic(12))
    with pytest.raises(WrongDevice, match="do not use this device"):
        show_first_addresses(liar, keys)


def test_stored_device_wallet_holds_no_secret_and_opens(store: Any, tmp_path: Path):
    from wallet.accounts import AccountBook
    from wallet.wallets import WalletBook

    mnemonic = generate_mnemonic(12)
    keys = read_device_keys(StandIn(mnemonic))
    wallet, accounts = store_device_wallet(store, keys)
    assert wallet.kind == "device" and wallet.fingerprint == keys.fingerprint
    assert wallet.model == "Trezor One" and keys.fingerprint in wallet.name
    assert WalletBook(store).current(software_exists=False) == wallet
    eth = AccountBook(store, wallet.id).address("eth", ScriptKind.ETH, 0)
    assert eth == _expected(mnemonic, "", "eth")
    assert len(accounts) == len(keys.xpubs)
    # Nothing of the phrase or the seed is in the store's file.
    raw = (tmp_path / "wallet.sqlite").read_bytes()
    for word in set(mnemonic.split()):
        assert word.encode() not in raw or len(word) < 4  # short words occur by chance
    from bip_utils import Bip39SeedGenerator

    assert Bip39SeedGenerator(mnemonic).Generate()[:16] not in raw


def test_the_same_device_cannot_be_added_twice(store: Any):
    from wallet.wallets import WalletError

    keys = read_device_keys(StandIn(generate_mnemonic(12)))
    store_device_wallet(store, keys)
    with pytest.raises(WalletError, match="already here"):
        store_device_wallet(store, keys)


def test_wallets_side_by_side_each_session_shows_its_own_accounts(tmp_path: Path):
    from wallet.paths import Paths
    from wallet.user import Gate, UserWallet
    from wallet.wallets import WalletBook

    paths = Paths.under(tmp_path / "home")
    user = UserWallet.open(paths)
    try:
        one, two = generate_mnemonic(12), generate_mnemonic(12)
        first, _ = store_device_wallet(user.store, read_device_keys(StandIn(one)))
        second, _ = store_device_wallet(
            user.store, read_device_keys(StandIn(two, "Trezor Model T"))
        )
        assert user.gate() is Gate.OPEN  # a device wallet has nothing to unlock here
        session = user.session()
        assert session.status.wallet == second.name and session.signer == "Trezor Model T"
        assert session.addresses == (_expected(two, "", "eth"),)
        assert session.status.connected is False and not session.locked
        WalletBook(user.store).set_current(first.id)
        other = user.session()
        assert other.addresses == (_expected(one, "", "eth"),)
        assert other.signer == "Trezor One"
    finally:
        user.store.close()


def test_signs_on_the_device_that_holds_the_wallet_and_refuses_others(store: Any):
    from wallet.accounts import AccountBook

    mnemonic = generate_mnemonic(12)
    wallet, _ = store_device_wallet(store, read_device_keys(StandIn(mnemonic)))
    accounts = AccountBook(store, wallet.id).list()
    stranger = StandIn(generate_mnemonic(12))
    right = StandIn(mnemonic)
    registry = Registry([stranger, right])
    signer = DeviceWalletSigner(wallet, accounts, None, registry=registry)
    assert signer.get_address("eth", "m/44'/60'/0'/0/0") == _expected(mnemonic, "", "eth")
    assert signer.connected and registry.opened == 2  # the stranger was opened and let go

    only_stranger = DeviceWalletSigner(wallet, accounts, None, registry=Registry([stranger]))
    with pytest.raises(WrongDevice) as info:
        only_stranger.get_xpub("m/84'/0'/0'")
    message = str(info.value)
    assert stranger.fingerprint.hex() in message and str(wallet.fingerprint) in message
    assert wallet.name in message


def test_a_signer_agents_device_is_used_before_the_same_wallet_plugged_in_here(store: Any):
    """Under `termwallet ssh` the person is at the laptop: a device of the wallet that the
    server sees itself (listed first) is not the one asked to sign."""
    from wallet.accounts import AccountBook

    mnemonic = generate_mnemonic(12)
    wallet, _ = store_device_wallet(store, read_device_keys(StandIn(mnemonic)))
    accounts = AccountBook(store, wallet.id).list()
    here, laptop = StandIn(mnemonic), StandIn(mnemonic)

    @dataclass
    class WithAgent(Registry):
        def discover(self) -> Discovery:
            local, remote = super().discover().devices
            agent = DeviceEntry(f"agent:{remote.id}", SignerKind.TREZOR, "Trezor", remote.path)
            return Discovery(devices=[local, agent])

    signer = DeviceWalletSigner(wallet, accounts, None, registry=WithAgent([here, laptop]))
    assert signer.device() is laptop
    assert signer.device() is not here


def test_an_unplugged_device_is_waited_for_not_failed(store: Any):
    from wallet.accounts import AccountBook

    mnemonic = generate_mnemonic(12)
    wallet, _ = store_device_wallet(store, read_device_keys(StandIn(mnemonic)))
    accounts = AccountBook(store, wallet.id).list()
    registry = Registry([])
    wait = Wait(registry, StandIn(mnemonic), after=3)
    signer = DeviceWalletSigner(wallet, accounts, None, wait=wait, registry=registry, poll=0)
    assert signer.get_address("eth", "m/44'/60'/0'/0/0") == _expected(mnemonic, "", "eth")
    assert wait.done and "Connect your Trezor One" in wait.messages[0]
    assert wallet.name in wait.messages[0]

    gave_up = Wait(Registry([]), None, after=2)
    signer = DeviceWalletSigner(
        wallet, accounts, None, wait=gave_up, registry=gave_up.registry, poll=0
    )
    with pytest.raises(Disconnected, match="Connect your Trezor One"):
        signer.get_address("eth", "m/44'/60'/0'/0/0")


def test_a_watched_account_of_the_device_becomes_signable(store: Any):
    from wallet.accounts import AccountBook

    mnemonic = generate_mnemonic(12)
    keys = read_device_keys(StandIn(mnemonic))
    book = AccountBook(store)
    watched = book.add_watch("btc", keys.xpubs[("btc", ScriptKind.P2WPKH)], ScriptKind.P2WPKH)
    assert watched.watch_only
    wallet, _accounts = store_device_wallet(store, keys)
    mine = [a for a in AccountBook(store).list() if a.address == watched.address]
    assert len(mine) == 1 and not mine[0].watch_only and mine[0].wallet_id == wallet.id
    assert mine[0].path == "m/84'/0'/0'"
