"""The Bitcoin half of a Ledger: the Bitcoin and Litecoin apps, through PyPI `ledger-bitcoin`.

ledger-bitcoin speaks both Bitcoin app protocols. The Bitcoin app before 2.1 (the 2.0.2 app
speculos runs here) and Ledger's Litecoin app (built from LedgerHQ/app-bitcoin, which still
speaks the legacy protocol whatever its version) go through its LegacyClient; the Bitcoin app
2.1 and later through its NewClient, with the default single-key wallet policies
(`wpkh(@0/**)` for BIP84, `tr(@0/**)` for BIP86 taproot: they need no registration). Their APDUs
go through the connection devices/ledger.py already holds (a ledgerwallet Device, or the
recording/replaying devices of devices/transcript.py), so a live exchange can be recorded and
CI replays it through this very code. ledger-bitcoin is imported lazily.

What each app signs: P2WPKH everywhere; taproot (key path) only on the Bitcoin app 2.1+; an
older Bitcoin app and the Litecoin app refuse taproot with a sentence naming the app and its
version (`taproot_refusal`). The PSBT rules and the signature checks are in
devices/ledger_btc_psbt.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from devices.base import DevicePrompt, Interaction, PromptKind
from devices.coins import normalized_path
from devices.emulator import UTXO_CHAINS, address_purpose
from devices.errors import (
    AppCannotSign,
    DeviceError,
    ErrorRule,
    ErrorTable,
    LibraryMissing,
    Unsupported,
    WrongApp,
    call_mapped,
)
from devices.ledger_btc_psbt import (
    HARDENED,
    SYMBOLS,
    LedgerBitcoinError,
    add_signatures,
    check_psbt,
    compressed_key,
    origin_text,
    taproot_refusal,
)
from devices.psbt import parse_psbt
from said import Said

__all__ = ["LedgerBitcoin", "LedgerBitcoinError", "chain_of_app", "taproot_refusal"]

P = ParamSpec("P")
T = TypeVar("T")

BTC_APP = "Bitcoin"
LTC_APP = "Litecoin"
# The app names the Bitcoin-family apps report, and the networks each one signs for. Ledger
# has no Litecoin test app; its Litecoin app signs a test network's transaction of coin-type-2'
# keys (a script is a script), showing addresses in mainnet form (see LTC_OTHER_COIN).
APP_CHAINS = {
    "Bitcoin": ("btc",),
    "Bitcoin Test": ("btc-testnet", "btc-regtest"),
    "Litecoin": ("ltc", "ltc-testnet", "ltc-regtest"),
}
CHAIN_APP = {chain: app for app, chains in APP_CHAINS.items() for chain in chains}
NEW_PROTOCOL = (2, 1)  # from this Bitcoin app version on, ledger-bitcoin speaks the 2.x protocol
SW_DENIED = 0x6985
# The default wallet policies of the 2.1+ protocol (single key, no registration).
POLICY_TEMPLATES = {84: "wpkh(@0/**)", 86: "tr(@0/**)"}


def _refuse_chain(chain: str) -> Unsupported:
    return Unsupported(
        Said(
            "ledger_btc.no_app_signs_for",
            "no Ledger app termwallet drives signs for {chain!r}",
            chain=chain,
        ),
        chain=chain,
    )


def chain_of_app(app: str, path: str = "") -> str:
    """The network a Bitcoin-family app answers for (WrongApp when another app is open); for
    the Litecoin app, see LTC_OTHER_COIN about test networks."""
    chains = APP_CHAINS.get(app)
    if chains is None:
        raise WrongApp(BTC_APP, current=app)
    if app == LTC_APP and _coin_type(path) == 1:
        return "ltc-testnet"
    return chains[0]


LTC_COIN = 2
LTC_OTHER_COIN = Said(
    "ledger_btc.litecoin_other_coin",
    "Ledger's Litecoin app shows every key outside Litecoin's coin type (m/purpose'/2'/...) "
    "on its screen for approval, so termwallet asks it only for m/.../2'/... keys; a Litecoin "
    "test network account (coin type 1') cannot be used with it. Use the software wallet or "
    "a Trezor for that account.",
)


def _refuse_other_coin(app: str, coin: int | None) -> None:
    """The Litecoin app forces a screen for keys of another BIP44 coin type (a privacy rule
    in LedgerHQ/app-bitcoin's GET WALLET PUBLIC KEY): refused here, never a surprise screen."""
    if app == LTC_APP and coin != LTC_COIN:
        raise Unsupported(LTC_OTHER_COIN)


def _coin_type(path: str) -> int | None:
    parts = normalized_path(path).split("/")
    if len(parts) < 3 or not parts[2].rstrip("'").isdigit():
        return None
    return int(parts[2].rstrip("'"))


def new_protocol(app: str, version: str) -> bool:
    """Whether ledger-bitcoin speaks the 2.1+ wallet-policy protocol with this app."""
    return app in ("Bitcoin", "Bitcoin Test") and _version(version) >= NEW_PROTOCOL


def app_taproot_refusal(app: str, version: str) -> str | None:
    """Why the open app cannot sign taproot (None when it can): for the app's own screens."""
    return taproot_refusal(app, version, new_protocol(app, version))


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", text)[:3])


class _Transport:
    """ledger-bitcoin's TransportClient interface over our raw APDU exchange. Status words
    other than 9000 become the library's ApduException, which its code expects (it falls back
    on some of them, e.g. 6D00 for a command an app version lacks)."""

    def __init__(self, raw: Callable[[bytes], bytes], apdu_exception: type[Exception]) -> None:
        self._raw = raw
        self._apdu_exception = apdu_exception
        # Set when the app answers "denied by the user". ledger-bitcoin's legacy finalize step
        # swallows that error and retries an obsolete command (answered 6D00), which would
        # read as "wrong app"; the flag keeps the user's refusal.
        self.denied = False

    def apdu_exchange(
        self, cla: int, ins: int, data: bytes = b"", p1: int = 0, p2: int = 0
    ) -> bytes:
        data = bytes(data)
        answer = self._raw(bytes([cla, ins, p1, p2, len(data)]) + data)
        sw = int.from_bytes(answer[-2:], "big")
        if sw != 0x9000:
            if sw == SW_DENIED:
                self.denied = True
            raise self._apdu_exception(sw, answer[:-2])
        return answer[:-2]

    def apdu_exchange_nowait(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    def stop(self) -> None:
        pass  # the connection belongs to LedgerSigner, which closes it


class LedgerBitcoin:
    """Bitcoin and Litecoin calls on a Ledger. `raw` sends one APDU and returns the answer with
    its status word (Disconnected on I/O errors); `current_app` names the open app;
    `status_error` turns a status word into our error. Runs on the device thread, like
    LedgerSigner."""

    def __init__(
        self,
        raw: Callable[[bytes], bytes],
        current_app: Callable[[], tuple[str, str]],
        status_error: Callable[[int, str], DeviceError],
        interaction: Interaction | None,
        model: str,
    ) -> None:
        self._raw = raw
        self._current_app = current_app
        self._status_error = status_error
        self._interaction = interaction
        self._model = model
        self._client: Any = None
        self._transport: _Transport | None = None
        self._client_app: tuple[str, str] = ("", "")
        self._fingerprint: bytes | None = None
        self._xpubs: dict[str, str] = {}  # account origin -> xpub as the app serialised it

    # -- plumbing ----------------------------------------------------------------------------

    @property
    def _new(self) -> bool:
        return new_protocol(*self._client_app)

    def _call(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a ledger-bitcoin call; its exceptions become ours (with no library text that
        could carry request data)."""
        from ledger_bitcoin.client_base import ApduException

        if self._transport is not None:
            self._transport.denied = False
        return call_mapped(self._errors(ApduException), fn, *args, **kwargs)

    def _errors(self, apdu_exception: type[Exception]) -> ErrorTable:
        from ledger_bitcoin.exception.device_exception import DeviceException

        app = self._client_app[0] or BTC_APP

        def sw_of(exc: Any) -> int:
            denied = self._transport is not None and self._transport.denied
            if denied:
                return SW_DENIED
            try:
                return int(exc.sw) if hasattr(exc, "sw") else int(str(exc.args[0]), 16)
            except (ValueError, IndexError, TypeError):
                return 0x6F00

        def status(exc: Any) -> DeviceError:
            # a refusal the transport saw is "denied" whatever status the library then made of it
            return self._status_error(sw_of(exc), app)

        # The 2.1+ client raises one exception class per status word (not a DeviceException
        # subclass: DeviceException.__new__ returns them), with the status in hex first.
        status_classes = (apdu_exception, *set(DeviceException.exc.values()))
        return ErrorTable(
            rules=(
                ErrorRule(status_classes, make=status),
                ErrorRule(
                    (ValueError, NotImplementedError, AssertionError, IndexError, RuntimeError),
                    LedgerBitcoinError,
                    f"The Ledger {app} app could not do this ({{kind}}).",
                ),
            )
        )

    def _app(self, chain: str) -> Any:
        """The ledger-bitcoin client for `chain`, after checking the open app signs for it."""
        if chain not in SYMBOLS:
            raise _refuse_chain(chain)
        name, version = self._current_app()
        if chain not in APP_CHAINS.get(name, ()):
            raise WrongApp(CHAIN_APP[chain], current=name)
        if self._client is None or self._client_app != (name, version):
            try:
                from ledger_bitcoin import Chain
                from ledger_bitcoin.client import NewClient
                from ledger_bitcoin.client_base import ApduException
                from ledger_bitcoin.client_legacy import LegacyClient
            except ImportError as exc:
                raise LibraryMissing(
                    Said(
                        "ledger_btc.ledger_bitcoin_not_installed", "ledger-bitcoin is not installed"
                    ),
                    library="ledger-bitcoin",
                ) from exc
            net = Chain.MAIN if name in (BTC_APP, LTC_APP) else Chain.TEST
            self._transport = _Transport(self._raw, ApduException)
            self._client_app = (name, version)
            if new_protocol(name, version):
                self._client = NewClient(self._transport, net)
            elif name == LTC_APP:
                self._client = self._call(_litecoin_client, self._transport, net)
            else:
                self._client = self._call(LegacyClient, self._transport, net)
            self._fingerprint = None
            self._xpubs = {}
        return self._client

    def fingerprint(self, chain: str = "btc") -> bytes:
        client = self._app(chain)
        if self._fingerprint is None:
            self._fingerprint = bytes(self._call(client.get_master_fingerprint))
        return self._fingerprint

    # -- keys and addresses ------------------------------------------------------------------

    def _raw_xpub(self, client: Any, path: str) -> str:
        return str(self._call(client.get_extended_pubkey, normalized_path(path)))

    def get_xpub(self, path: str, chain: str = "btc") -> str:
        """The extended public key at `path`, in `chain`'s key version (xpub or tpub: the
        Litecoin app serialises every key as a mainnet one)."""
        client = self._app(chain)
        _refuse_other_coin(self._client_app[0], _coin_type(path))
        return _with_version(self._raw_xpub(client, path), UTXO_CHAINS[chain].xpub_version)

    def _account_xpub(self, client: Any, origin: str) -> str:
        if origin not in self._xpubs:
            self._xpubs[origin] = self._raw_xpub(client, "m" + origin)
        return self._xpubs[origin]

    def get_address(self, chain: str, path: str, *, display: bool = False) -> str:
        client = self._app(chain)
        purpose = address_purpose(path)
        _refuse_other_coin(self._client_app[0], _coin_type(path))
        if self._new:
            return self._policy_address(client, chain, path, purpose, display)
        if purpose != 84:
            name, version = self._client_app
            if purpose == 86:
                refusal = taproot_refusal(name, version, False)
                raise AppCannotSign(str(refusal), app=name, version=version)
            raise Unsupported(
                Said(
                    "ledger_btc.gives_native_segwit",
                    "Ledger's {name} app {version} gives native segwit (BIP84) addresses here",
                    name=name,
                    version=version,
                )
            )
        bare = normalized_path(path)[2:]
        # Asked silently first, so the screen can show what the Ledger is about to show.
        address = self._p2wpkh(chain, self._call(client.app.getWalletPublicKey, bare)["publicKey"])
        if not display:
            return address
        self._confirm(chain, path, address)
        try:
            shown = self._call(client.app.getWalletPublicKey, bare, True, True, True)
        finally:
            self._finished()
        if self._p2wpkh(chain, shown["publicKey"]) != address:
            raise LedgerBitcoinError(
                Said(
                    "ledger_btc.ledger_showed_another_key",
                    "The Ledger showed another key than it gave: do not use it.",
                )
            )
        return address

    def _policy_address(
        self, client: Any, chain: str, path: str, purpose: int, display: bool
    ) -> str:
        """An address of a default wallet policy (2.1+ protocol): derived here from the
        account's xpub the app gave; shown on the device with GET WALLET ADDRESS, whose answer
        must be the same script."""
        from embit import bip32, script
        from embit.networks import NETWORKS

        steps = _steps(path)
        if (
            purpose not in POLICY_TEMPLATES
            or len(steps) != 5
            or any(not s & HARDENED for s in steps[:3])
            or steps[3] not in (0, 1)
            or steps[4] & HARDENED
        ):
            raise Unsupported(
                "the Ledger Bitcoin app gives addresses of m/84' (native segwit) and m/86' "
                "(taproot) accounts: m/purpose'/coin'/account'/change/index"
            )
        origin = origin_text(steps[:3])
        xpub = self._account_xpub(client, origin)
        key = bip32.HDKey.from_base58(xpub).derive(steps[3:]).key
        spk = script.p2tr(key) if purpose == 86 else script.p2wpkh(key)
        address = str(spk.address({"bech32": UTXO_CHAINS[chain].hrp, "p2pkh": b"", "p2sh": b""}))
        if not display:
            return address
        from ledger_bitcoin import WalletPolicy

        fp = self.fingerprint(chain)
        policy = WalletPolicy("", POLICY_TEMPLATES[purpose], [f"[{fp.hex()}{origin}]{xpub}"])
        self._confirm(chain, path, address)
        try:
            shown = self._call(client.get_wallet_address, policy, None, steps[3], steps[4], True)
        finally:
            self._finished()
        net = NETWORKS["main" if self._client_app[0] == BTC_APP else "test"]
        if str(shown) != spk.address(net):
            raise LedgerBitcoinError(
                "The Ledger showed another address than its key gives: do not use it."
            )
        return address

    def _confirm(self, chain: str, path: str, address: str) -> None:
        if self._interaction is not None:
            self._interaction.confirm_on_device(
                DevicePrompt(
                    kind=PromptKind.VERIFY_ADDRESS,
                    device=self._model,
                    chain=chain,
                    path=path,
                    address=address,
                )
            )

    def _finished(self) -> None:
        if self._interaction is not None:
            self._interaction.finished()

    @staticmethod
    def _p2wpkh(chain: str, uncompressed: bytes) -> str:
        """The P2WPKH address of the app's (uncompressed) public key, for our network's prefix.
        Computed here rather than read from the answer: ledger-bitcoin returns the app's address
        as the repr of a bytearray, and the app has no regtest prefix."""
        from embit import ec, script

        pub = ec.PublicKey.parse(compressed_key(bytes(uncompressed)))
        return str(script.p2wpkh(pub).address({"bech32": UTXO_CHAINS[chain].hrp}))

    # -- messages ----------------------------------------------------------------------------

    def sign_message(self, chain: str, path: str, message: bytes, fmt: str) -> bytes:
        """A legacy signed message (devices/ledger_btc_msg.py)."""
        from devices.ledger_btc_msg import check_format, sign_message

        check_format(fmt)
        client = self._app(chain)
        _refuse_other_coin(self._client_app[0], _coin_type(path))
        return sign_message(self, client, chain, path, message, fmt)

    # -- PSBT --------------------------------------------------------------------------------

    def sign_psbt(self, psbt_bytes: bytes, chain: str) -> bytes:
        client = self._app(chain)
        fingerprint = self.fingerprint(chain)
        psbt = parse_psbt(psbt_bytes)
        name, version = self._client_app
        spend, prompt = check_psbt(
            psbt,
            chain,
            fingerprint,
            self._model,
            app=name,
            version=version,
            taproot_ok=self._new,
        )
        _refuse_other_coin(name, spend.coin)
        from ledger_bitcoin import WalletPolicy
        from ledger_bitcoin.psbt import normalize_psbt

        template = POLICY_TEMPLATES[86 if spend.taproot else 84]
        if self._new:
            # The 2.1+ app derives every key from the policy's xpub and checks the PSBT's
            # derivations against it; the default policies need no registration (no HMAC).
            xpub = self._account_xpub(client, spend.origin)
            policy = WalletPolicy("", template, [f"[{fingerprint.hex()}{spend.origin}]{xpub}"])
        else:
            # The legacy client reads only the template and the number of keys from the
            # policy; the key's origin is given for honesty's sake, no xpub is needed.
            policy = WalletPolicy("", template, [f"[{fingerprint.hex()}{spend.origin}]"])
        theirs = self._call(normalize_psbt, bytes(psbt_bytes))
        if self._interaction is not None:
            self._interaction.confirm_on_device(prompt)
        try:
            results = self._call(client.sign_psbt, theirs, policy, None)
        finally:
            self._finished()
        return add_signatures(psbt, results)


def _litecoin_client(transport: Any, net: Any) -> Any:
    """ledger-bitcoin's LegacyClient for Ledger's Litecoin app. Its constructor accepts only
    the Bitcoin apps' names, although the Litecoin app speaks the same legacy protocol (both
    are LedgerHQ/app-bitcoin builds); the name was checked by our caller, so this sets up
    what the constructor would without that check."""
    from ledger_bitcoin.btchip.btchip import btchip
    from ledger_bitcoin.client_base import Client
    from ledger_bitcoin.client_legacy import DongleAdaptor, LegacyClient

    client = LegacyClient.__new__(LegacyClient)
    Client.__init__(client, transport, net)
    client.app = btchip(DongleAdaptor(transport))
    return client


def _with_version(xpub: str, version: bytes) -> str:
    from embit import bip32

    node = bip32.HDKey.from_base58(xpub)
    if node.version == version:
        return xpub
    node.version = version
    return str(node.to_base58())


def _steps(path: str) -> list[int]:
    parts = normalized_path(path).split("/")
    if parts[0] != "m":
        raise _not_a_path()
    try:
        return [int(p.rstrip("'")) | (HARDENED if p.endswith("'") else 0) for p in parts[1:] if p]
    except ValueError:
        raise _not_a_path() from None


def _check(
    psbt: Any, chain: str, fingerprint: bytes, model: str, version: str = "2.0"
) -> tuple[str, DevicePrompt]:
    """check_psbt for the Bitcoin app `version` (the tests' entry point): (origin, prompt)."""
    app = "Litecoin" if chain.startswith("ltc") else "Bitcoin"
    spend, prompt = check_psbt(
        psbt,
        chain,
        fingerprint,
        model,
        app=app,
        version=version,
        taproot_ok=new_protocol(app, version),
    )
    return spend.origin, prompt


def _not_a_path() -> Unsupported:
    return Unsupported(
        Said("ledger_btc.not_a_path", "not a derivation path (expected m/84'/0'/0'/0/0 or similar)")
    )
