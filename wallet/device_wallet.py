"""Wallets whose keys live on a hardware wallet: read the device's account keys once, store
them (xpubs, the master fingerprint, the model; never a secret), and sign later on the device
that holds them, refusing any other.

The functions that talk to a device are synchronous and run on the device thread
(devices/thread.py): callers wrap them (`device_thread().run(...)`, `OnDeviceThread`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol

from devices.base import DeviceInfo, Interaction, SignerKind
from devices.errors import (
    DeviceError,
    DeviceLocked,
    Disconnected,
    LibraryMissing,
    UserCancelled,
    WrongApp,
    WrongDevice,
)
from said import Said
from wallet.keys import ScriptKind, account_path, address_path

if TYPE_CHECKING:
    from wallet.accounts import Account
    from wallet.store import Store
    from wallet.wallets import WalletRow

# The accounts a device wallet starts with: account 0 of each (the layouts Trezor Suite and
# Ledger Live use for account 0: ETH m/44'/60'/0'/0/0, BTC BIP84 + BIP86, LTC BIP84), and the
# test networks' (regtest shares testnet's keys).
DEVICE_ACCOUNTS: tuple[tuple[str, ScriptKind], ...] = (
    ("eth", ScriptKind.ETH),
    ("btc", ScriptKind.P2WPKH),
    ("btc", ScriptKind.P2TR),
    ("ltc", ScriptKind.P2WPKH),
    ("btc-testnet", ScriptKind.P2WPKH),
    ("btc-testnet", ScriptKind.P2TR),
    ("ltc-testnet", ScriptKind.P2WPKH),
)

# A Ledger answers for the open app only; asking another app's path can put a warning on its
# screen, so only the open app's networks are read.
LEDGER_APP_CHAINS = {
    "Ethereum": ("eth",),
    "Bitcoin": ("btc",),
    "Bitcoin Test": ("btc-testnet",),
    # Ledger has no Litecoin test app, and its Litecoin app shows every key off coin type 2'
    # on its screen (devices/ledger_btc.py LTC_OTHER_COIN): the test network is not read.
    "Litecoin": ("ltc",),
}
# The Litecoin test network's account on a Ledger: why it is not read.
LEDGER_LTC_TESTNET = (
    "Ledger's Litecoin app has no test network: it shows every key outside Litecoin's coin "
    "type 2' for approval on its screen. Use the software wallet or a Trezor for Litecoin "
    "testnet"
)

# Errors that end the whole read: the user must act (unlock, reconnect, reinstall) first.
_FATAL = (DeviceLocked, Disconnected, UserCancelled, LibraryMissing)


@dataclass(frozen=True)
class DeviceKeys:
    """What a device wallet keeps of its device: no secret."""

    kind: SignerKind
    model: str
    fingerprint: str | None  # hex; None where the device does not tell (a Ledger's Eth app)
    passphrase: bool  # the device asked for a passphrase: a hidden wallet
    xpubs: dict[tuple[str, ScriptKind], str] = field(default_factory=dict)
    skipped: dict[tuple[str, ScriptKind], str] = field(default_factory=dict)  # -> why

    def first_address(self, chain: str, script: ScriptKind) -> tuple[str, str]:
        """(path, address) of the account's first receiving address, from its xpub."""
        from wallet.accounts import derive_address

        xpub = self.xpubs[(chain, script)]
        path = address_path(chain, script, 0, 0)
        if script is ScriptKind.ETH:
            return path, derive_address(chain, script, xpub, 0)
        return path, derive_address(chain, script, xpub, 0, 0)


def fingerprint_of(signer: Any) -> str | None:
    """The device's BIP32 master fingerprint as hex, or None when it cannot tell now."""
    ask = getattr(signer, "master_fingerprint", None)
    if ask is None:
        return None
    try:
        return bytes(ask()).hex()
    except WrongApp:
        return None


def read_device_keys(signer: Any) -> DeviceKeys:
    """Every account key of DEVICE_ACCOUNTS the device gives (silently: no screen, no
    button). An account the device cannot give is skipped with the reason; an error the user
    must act on (locked, unplugged, cancelled) ends the read."""
    info: DeviceInfo = signer.info
    chains: tuple[str, ...] | None = None
    if info.kind is SignerKind.LEDGER:
        app = signer.current_app()[0]
        chains = LEDGER_APP_CHAINS.get(app)
        if chains is None:
            raise WrongApp("Ethereum, Bitcoin or Litecoin", current=app)
    fingerprint = fingerprint_of(signer)
    xpubs: dict[tuple[str, ScriptKind], str] = {}
    skipped: dict[tuple[str, ScriptKind], str] = {}
    for chain, script in DEVICE_ACCOUNTS:
        if chains is not None and chain not in chains:
            skipped[(chain, script)] = _ledger_hint(chain, info.model)
            continue
        if info.kind is SignerKind.LEDGER and script is ScriptKind.P2TR:
            # What the open app version cannot sign is said, not hidden: the Bitcoin app
            # before 2.1 has no taproot.
            refusal = signer.taproot_refusal()
            if refusal is not None:
                skipped[(chain, script)] = refusal
                continue
        try:
            xpubs[(chain, script)] = str(signer.get_xpub(account_path(chain, script, 0)))
        except _FATAL:
            raise
        except DeviceError as exc:
            skipped[(chain, script)] = str(exc)
    if not xpubs:
        raise DeviceError(
            Said(
                "device_wallet.gave_no_account_keys",
                "The {model} gave no account keys: {reason}",
                model=info.model,
                reason=next(iter(skipped.values())),
            )
        )
    return DeviceKeys(
        kind=info.kind,
        model=info.model,
        fingerprint=fingerprint,
        passphrase=bool(getattr(signer, "passphrase_used", False)),
        xpubs=xpubs,
        skipped=skipped,
    )


def _ledger_hint(chain: str, model: str) -> str:
    if chain == "ltc-testnet":
        return LEDGER_LTC_TESTNET
    app = {
        "eth": "Ethereum",
        "btc": "Bitcoin",
        "btc-testnet": "Bitcoin Test",
        "ltc": "Litecoin",
    }.get(chain)
    if app is None:
        return f"termwallet does not sign {chain} on a {model} yet"
    return f"open the {app} app on the {model}, then `termwallet wallets add-accounts`"


def show_first_addresses(
    signer: Any, keys: DeviceKeys, on_each: Callable[[str, ScriptKind, str], None] | None = None
) -> None:
    """Show each account's first receiving address on the device's screen, to compare with
    the one termwallet derived from the xpub; a device that shows another is refused."""
    for chain, script in keys.xpubs:
        main = chain.removesuffix("-testnet")
        if main != chain and (main, script) in keys.xpubs:
            continue  # the same seed as the main network's account: one look is enough
        path, expected = keys.first_address(chain, script)
        if on_each is not None:
            on_each(chain, script, expected)
        shown = str(signer.get_address(chain, path, display=True))
        if shown != expected:
            raise WrongDevice(
                Said(
                    "device_wallet.showed_but_key_gives",
                    "The {model} showed {shown} for {path}, but its key gives "
                    "{expected}: do not use this device until you know why.",
                    model=keys.model,
                    shown=shown,
                    path=path,
                    expected=expected,
                ),
                path=path,
            )


def default_name(keys: DeviceKeys) -> str:
    tail = keys.fingerprint or next(
        (keys.first_address(c, s)[1][:10] for (c, s) in keys.xpubs if s is ScriptKind.ETH), "?"
    )
    hidden = " (passphrase)" if keys.passphrase else ""
    return f"{keys.model} {tail}{hidden}"


def store_device_wallet(
    store: Store, keys: DeviceKeys, name: str | None = None
) -> tuple[WalletRow, list[Account]]:
    """The device wallet and its accounts, in one transaction; it becomes the current wallet.
    Watch-only accounts of the same keys become this wallet's (they can be signed for now)."""
    from wallet.accounts import AccountBook
    from wallet.wallets import WalletBook

    book = WalletBook(store)
    with store.db:
        wallet = book.add_device(
            name=name or default_name(keys),
            fingerprint=keys.fingerprint,
            device_kind=keys.kind.value,
            model=keys.model,
            passphrase=keys.passphrase,
        )
        accounts = AccountBook(store, wallet.id)
        added = [
            accounts.add_xpub_account(wallet.id, chain, script, xpub, 0)
            for (chain, script), xpub in keys.xpubs.items()
        ]
        book.set_current(wallet.id)
    return wallet, added


def add_device_accounts(
    store: Store, wallet: WalletRow, keys: DeviceKeys
) -> tuple[WalletRow, list[Account]]:
    """The accounts another app of the same device gives (a Ledger answers for its open app
    only: Ethereum first, Bitcoin later). A device whose fingerprint differs from the wallet's
    is refused; a wallet that had none (read in a Ledger's Ethereum app) takes the device's."""
    from wallet.accounts import AccountBook
    from wallet.wallets import WalletBook

    if wallet.fingerprint and keys.fingerprint and wallet.fingerprint != keys.fingerprint:
        raise WrongDevice(
            Said(
                "device_wallet.holds_another_wallet_fingerprint",
                "This {model} holds another wallet (fingerprint "
                "{fingerprint}); '{name}' is fingerprint {fingerprint2}. "
                "Nothing was added.",
                model=keys.model,
                fingerprint=keys.fingerprint,
                name=wallet.name,
                fingerprint2=wallet.fingerprint,
            )
        )
    book = AccountBook(store, wallet.id)
    with store.db:
        if keys.fingerprint and not wallet.fingerprint:
            store.db.execute(
                "UPDATE wallets SET fingerprint = ? WHERE id = ?", (keys.fingerprint, wallet.id)
            )
        added = [
            book.add_xpub_account(wallet.id, chain, script, xpub, 0)
            for (chain, script), xpub in keys.xpubs.items()
        ]
    return WalletBook(store).get(wallet.id), added


# -- signing on the wallet's device ------------------------------------------------------------


class DeviceWait(Protocol):
    """How a flow waits for an unplugged device: `waiting` is called about once a second with
    what to do ("Connect your Trezor One ..."); False stops waiting (the flow then fails with
    Disconnected). `connected` ends the wait."""

    def waiting(self, message: str) -> bool: ...

    def connected(self) -> None: ...


class DeviceWalletSigner:
    """The Signer of a device wallet. It finds the wallet's device when first asked (waiting
    for it to be plugged in, through `wait`), checks that it holds the wallet's keys (the
    master fingerprint, else the address of an account), refuses any other device by name, and
    then passes every call through. A device that goes away is looked for again on the next
    call. Runs on the device thread."""

    def __init__(
        self,
        wallet: WalletRow,
        accounts: list[Account],
        interaction: Interaction | None,
        *,
        wait: DeviceWait | None = None,
        registry: Any = None,
        poll: float = 1.0,
    ) -> None:
        self.wallet = wallet
        self._accounts = [a for a in accounts if not a.watch_only and a.xpub]
        self.interaction = interaction
        self.wait = wait
        self.registry = registry  # devices.registry, or a test's stand-in
        self._poll = poll
        self._device: Any = None
        self.info = DeviceInfo(
            kind=SignerKind(wallet.device_kind or "trezor"),
            model=wallet.model or "device",
            label=wallet.name,
        )

    def __repr__(self) -> str:
        return f"DeviceWalletSigner({self.wallet.name!r})"

    @property
    def connected(self) -> bool:
        return self._device is not None

    def _reg(self) -> Any:
        if self.registry is None:
            from devices import registry

            self.registry = registry
        return self.registry

    # -- finding the device ----------------------------------------------------------------

    def device(self) -> Any:
        if self._device is None:
            self._device = self._find()
        return self._device

    def _find(self) -> Any:
        kind = self.info.kind
        model = self.info.model
        waited = False
        while True:
            found = self._reg().discover()
            refused: WrongDevice | None = None
            from devices.registry import AGENT_PREFIX

            # A signer agent's devices first: a session started by `termwallet ssh` came to sign
            # where the person is (the laptop), not on a device here that nobody may press.
            entries = sorted(
                (d for d in found.devices if d.kind is kind),
                key=lambda d: not d.id.startswith(AGENT_PREFIX),
            )
            for entry in entries:
                signer = self._reg().open_entry(entry, self.interaction)
                try:
                    self.verify(signer)
                except WrongDevice as exc:
                    signer.close()
                    refused = exc
                    continue
                except BaseException:
                    signer.close()
                    raise
                if waited and self.wait is not None:
                    self.wait.connected()
                self.info = replace(self.info, firmware=signer.info.firmware, path=signer.info.path)
                return signer
            if refused is not None:
                if waited and self.wait is not None:
                    self.wait.connected()
                raise refused
            message = f"Connect your {model} (wallet '{self.wallet.name}') and unlock it."
            if self.wait is None or not self.wait.waiting(message):
                raise Disconnected(message)
            waited = True
            time.sleep(self._poll)

    def verify(self, signer: Any) -> None:
        """WrongDevice unless `signer` holds this wallet's keys."""
        model = signer.info.model
        expected = self.wallet.fingerprint
        got = fingerprint_of(signer) if expected else None
        if expected and got:
            if got != expected:
                hidden: str = ""
                if self.wallet.passphrase:
                    hidden = Said("device_wallet.or_another_passphrase", " or another passphrase")
                raise WrongDevice(
                    Said(
                        "device_wallet.holds_another_wallet_fingerprint_2",
                        "This {model} holds another wallet (fingerprint "
                        "{got}{hidden}); '{name}' is fingerprint {expected}. Connect "
                        "the {model} of '{name}', or enter its passphrase.",
                        model=model,
                        got=got,
                        hidden=hidden,
                        name=self.wallet.name,
                        expected=expected,
                    ),
                    fingerprint=got,
                )
            return
        for account in self._accounts:
            chain = account.family
            path = address_path(chain, account.script, account.account_index or 0, 0)
            try:
                address = str(signer.get_address(chain, path))
            except WrongApp:
                continue
            if address.lower() != account.address.lower():
                raise WrongDevice(
                    Said(
                        "device_wallet.holds_another_wallet_address",
                        "This {model} holds another wallet: its address at {path} is "
                        "{address}, '{name}' has {address2} there.",
                        model=model,
                        path=path,
                        address=address,
                        name=self.wallet.name,
                        address2=account.address,
                    ),
                    path=path,
                )
            return
        raise WrongApp("Ethereum" if self.info.kind is SignerKind.LEDGER else "wallet")

    def _call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        device = self.device()
        try:
            return getattr(device, name)(*args, **kwargs)
        except Disconnected:
            self.close()  # looked for again on the next call
            raise

    # -- Signer ------------------------------------------------------------------------------

    def capabilities(self) -> Any:
        return self._call("capabilities")

    def master_fingerprint(self) -> bytes:
        if self.wallet.fingerprint:
            return bytes.fromhex(self.wallet.fingerprint)
        return bytes(self._call("master_fingerprint"))

    @property
    def fingerprint(self) -> bytes:
        """What PSBT signing names this wallet's keys by (wallet/utxo_send.py)."""
        return self.master_fingerprint()

    def get_xpub(self, path: str) -> str:
        return str(self._call("get_xpub", path))

    def get_address(self, chain: str, path: str, *, display: bool = False) -> str:
        return str(self._call("get_address", chain, path, display=display))

    def sign_evm_tx(self, path: str, tx: Any) -> Any:
        return self._call("sign_evm_tx", path, tx)

    def sign_message(self, path: str, message: bytes) -> bytes:
        return bytes(self._call("sign_message", path, message))

    def sign_typed_data(self, path: str, data: dict[str, Any]) -> bytes:
        return bytes(self._call("sign_typed_data", path, data))

    def sign_btc_message(self, chain: str, path: str, message: bytes, fmt: str) -> bytes:
        return bytes(self._call("sign_btc_message", chain, path, message, fmt))

    def sign_psbt(self, psbt: bytes, chain: str) -> bytes:
        return bytes(self._call("sign_psbt", psbt, chain))

    def close(self) -> None:
        device, self._device = self._device, None
        if device is not None:
            try:
                device.close()
            except DeviceError:
                pass  # it is gone already
