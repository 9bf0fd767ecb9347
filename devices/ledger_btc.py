"""The Bitcoin half of a Ledger: the Bitcoin app, through PyPI `ledger-bitcoin`.

ledger-bitcoin speaks both Bitcoin app protocols; this adapter drives its LegacyClient, which
is what the app picks for versions before 2.1 (the 2.0.2 app speculos runs here). Its APDUs go
through the connection devices/ledger.py already holds (a ledgerwallet Device, or the
recording/replaying devices of devices/transcript.py), so a live exchange can be recorded and
CI replays it through this very code. ledger-bitcoin is imported lazily.

What is signed (one rule set, checked before the device sees anything): every input is ours
(a BIP32 derivation with the device's fingerprint) and P2WPKH, carries its previous
transaction (the app checks amounts against it: the BIP143 fee attack), SIGHASH_ALL. Outputs
on our change branch (.../1/i) with our derivation are change, which the device hides; all
others are shown. Taproot needs the 2.1 protocol and Litecoin needs another app: both are
refused with a sentence saying so. Signatures the device returns are verified against the
sighash before they go into the PSBT.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from devices.base import DevicePrompt, Interaction, PromptAmount, PromptKind, PromptOutput
from devices.emulator import UTXO_CHAINS, address_purpose
from devices.errors import (
    DeviceError,
    ErrorRule,
    ErrorTable,
    LibraryMissing,
    Unsupported,
    WrongApp,
    call_mapped,
)
from devices.psbt import SIGHASH_ALL, parse_psbt
from said import Said

P = ParamSpec("P")
T = TypeVar("T")

BTC_APP = "Bitcoin"
# The app names the Bitcoin app reports, and the networks each one signs for.
APP_CHAINS = {
    "Bitcoin": ("btc",),
    "Bitcoin Test": ("btc-testnet", "btc-regtest"),
}
SYMBOLS = {"btc": "BTC", "btc-testnet": "tBTC", "btc-regtest": "rBTC"}
NEW_PROTOCOL = (2, 1)
SW_DENIED = 0x6985  # from this app version on, ledger-bitcoin speaks the 2.x protocol


class LedgerBitcoinError(DeviceError):
    """The Bitcoin app or ledger-bitcoin refused the request for a reason we cannot name."""

    code = "LEDGER_BITCOIN"


def _refuse_chain(chain: str) -> Unsupported:
    if chain.startswith("ltc"):
        return Unsupported(
            Said(
                "ledger_btc.litecoin_not_on_ledger",
                "Litecoin is not signed on a Ledger here: the Ledger Bitcoin app signs only "
                "Bitcoin, and termwallet does not drive Ledger's Litecoin app yet (no build of it "
                "runs in the emulator here, so its exchanges could not be recorded and tested). "
                "Use a Trezor or the software wallet for Litecoin.",
            ),
            chain=chain,
        )
    return Unsupported(
        Said(
            "ledger_btc.app_does_not_sign_for",
            "the Ledger Bitcoin app does not sign for {chain!r}",
            chain=chain,
        ),
        chain=chain,
    )


def chain_of_app(app: str) -> str:
    """The network a Bitcoin app signs for; WrongApp when another app is open."""
    chains = APP_CHAINS.get(app)
    if chains is None:
        raise WrongApp(BTC_APP, current=app)
    return chains[0]


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
    """Bitcoin calls on a Ledger. `raw` sends one APDU and returns the answer with its status
    word (Disconnected on I/O errors); `current_app` names the open app; `status_error` turns
    a status word into our error. Runs on the device thread, like LedgerSigner."""

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
        self._client_app: tuple[str, str] | None = None
        self._fingerprint: bytes | None = None

    # -- plumbing ----------------------------------------------------------------------------

    def _call(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a ledger-bitcoin call; its exceptions become ours (with no library text that
        could carry request data)."""
        from ledger_bitcoin.client_base import ApduException

        if self._transport is not None:
            self._transport.denied = False
        return call_mapped(self._errors(ApduException), fn, *args, **kwargs)

    def _errors(self, apdu_exception: type[Exception]) -> ErrorTable:
        def status(exc: Any) -> DeviceError:
            # a refusal the transport saw is "denied" whatever status the library then made of it
            denied = self._transport is not None and self._transport.denied
            return self._status_error(int(SW_DENIED if denied else exc.sw), BTC_APP)

        return ErrorTable(
            rules=(
                ErrorRule(apdu_exception, make=status),
                ErrorRule(
                    (ValueError, NotImplementedError, AssertionError, IndexError),
                    LedgerBitcoinError,
                    "The Ledger Bitcoin app could not do this ({kind}).",
                ),
            )
        )

    def _app(self, chain: str) -> Any:
        """The LegacyClient for `chain`, after checking the open app signs for it."""
        if chain not in SYMBOLS:
            raise _refuse_chain(chain)
        name, version = self._current_app()
        if name not in APP_CHAINS:
            raise WrongApp(BTC_APP, current=name)
        if chain not in APP_CHAINS[name]:
            wanted = "Bitcoin Test" if name == "Bitcoin" else "Bitcoin"
            raise WrongApp(wanted, current=name)
        if _version(version) >= NEW_PROTOCOL:
            raise Unsupported(
                Said(
                    "ledger_btc.bitcoin_app_speaks_2",
                    "Bitcoin app {version} speaks the 2.1 protocol, which "
                    "termwallet does not drive yet (no 2.1 app runs in the "
                    "emulator here, so its exchanges could not be recorded and "
                    "tested); it signs with Bitcoin app 2.0.x. Use the software "
                    "wallet or a Trezor meanwhile.",
                    version=version,
                ),
                version=version,
            )
        if self._client is None or self._client_app != (name, version):
            try:
                from ledger_bitcoin import Chain
                from ledger_bitcoin.client_base import ApduException
                from ledger_bitcoin.client_legacy import LegacyClient
            except ImportError as exc:
                raise LibraryMissing(
                    Said(
                        "ledger_btc.ledger_bitcoin_not_installed", "ledger-bitcoin is not installed"
                    ),
                    library="ledger-bitcoin",
                ) from exc
            net = Chain.MAIN if name == "Bitcoin" else Chain.TEST
            self._transport = _Transport(self._raw, ApduException)
            self._client = self._call(LegacyClient, self._transport, net)
            self._client_app = (name, version)
            self._fingerprint = None
        return self._client

    def fingerprint(self, chain: str = "btc") -> bytes:
        client = self._app(chain)
        if self._fingerprint is None:
            self._fingerprint = bytes(self._call(client.get_master_fingerprint))
        return self._fingerprint

    # -- keys and addresses ------------------------------------------------------------------

    def get_xpub(self, path: str, chain: str = "btc") -> str:
        client = self._app(chain)
        return str(self._call(client.get_extended_pubkey, _norm(path)))

    def get_address(self, chain: str, path: str, *, display: bool = False) -> str:
        client = self._app(chain)
        if address_purpose(path) != 84:
            version = self._client_app[1] if self._client_app else "2.0"
            raise Unsupported(
                Said(
                    "ledger_btc.bitcoin_app_gives_native",
                    "Bitcoin app {version} gives native segwit (BIP84) addresses "
                    "here; taproot (BIP86) needs the app's 2.1 protocol, which "
                    "termwallet does not drive yet",
                    version=version,
                )
            )
        bare = _norm(path)[2:]
        # Asked silently first, so the screen can show what the Ledger is about to show.
        address = self._p2wpkh(chain, self._call(client.app.getWalletPublicKey, bare)["publicKey"])
        if not display:
            return address
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
        try:
            shown = self._call(client.app.getWalletPublicKey, bare, True, True, True)
        finally:
            if self._interaction is not None:
                self._interaction.finished()
        if self._p2wpkh(chain, shown["publicKey"]) != address:
            raise LedgerBitcoinError(
                Said(
                    "ledger_btc.ledger_showed_another_key",
                    "The Ledger showed another key than it gave: do not use it.",
                )
            )
        return address

    @staticmethod
    def _p2wpkh(chain: str, uncompressed: bytes) -> str:
        """The P2WPKH address of the app's (uncompressed) public key, for our network's prefix.
        Computed here rather than read from the answer: ledger-bitcoin returns the app's address
        as the repr of a bytearray, and the app has no regtest prefix."""
        from embit import ec, script

        pub = ec.PublicKey.parse(_compress(bytes(uncompressed)))
        return str(script.p2wpkh(pub).address({"bech32": UTXO_CHAINS[chain].hrp}))

    # -- messages ----------------------------------------------------------------------------

    def sign_message(self, chain: str, path: str, message: bytes, fmt: str) -> bytes:
        """A legacy signed message from the Bitcoin app (its SIGN MESSAGE command, which hashes
        "Bitcoin Signed Message:\n"), with the BIP137 header of the path's address type. The
        app has no BIP322 command (neither the 2.0 nor the 2.1 protocol), so BIP322 is refused
        by name. The signature is checked against the app's own key before it is returned."""
        from devices import btcmsg
        from devices.base import shown_message

        if fmt == "bip322":
            raise Unsupported(
                Said(
                    "ledger_btc.ledger_bitcoin_app_does",
                    "the Ledger Bitcoin app does not sign BIP322 messages: use "
                    "the legacy format (native segwit addresses), or the "
                    "software wallet",
                )
            )
        if fmt != "legacy":
            raise Unsupported(
                Said(
                    "ledger_btc.no_message_format_bip322",
                    "no message format {fmt!r} (bip322 or legacy)",
                    fmt=fmt,
                )
            )
        client = self._app(chain)
        script = btcmsg.LEGACY_SCRIPT_BY_PURPOSE.get(address_purpose(path))
        if script is None:
            raise Unsupported(btcmsg.NO_LEGACY_FOR_TAPROOT)
        bare = _norm(path)
        pub = _compress(bytes(self._call(client.app.getWalletPublicKey, bare[2:])["publicKey"]))
        if self._interaction is not None:
            self._interaction.confirm_on_device(
                DevicePrompt(
                    kind=PromptKind.SIGN_MESSAGE,
                    device=self._model,
                    chain=chain,
                    path=path,
                    message=shown_message(message),
                    # The Bitcoin app shows the message's SHA-256, not its text.
                    hashes=(hashlib.sha256(message).hexdigest(),),
                )
            )
        try:
            # ledger-bitcoin's LegacyClient.sign_message first shows the key's P2PKH (1...)
            # address, which is not the address being proved for a segwit path. The same
            # three commands are sent here, the address shown as the path's type.
            segwit = script != "p2pkh"
            native = script == "p2wpkh"
            self._call(client.app.getWalletPublicKey, bare[2:], True, segwit, native)
            self._call(client.app.signMessagePrepare, bare[2:], bytearray(message))
            der = bytes(self._call(client.app.signMessageSign))
        finally:
            if self._interaction is not None:
                self._interaction.finished()
        sig = _legacy_from_der(der, btcmsg.LEGACY_HEADER[script])
        if not btcmsg.verify_legacy(message, chain, btcmsg.single_key_scripts(pub)[script], sig):
            raise LedgerBitcoinError(
                Said(
                    "ledger_btc.ledger_s_message_signature",
                    "The Ledger's message signature does not verify: do not use it.",
                )
            )
        return sig

    # -- PSBT --------------------------------------------------------------------------------

    def sign_psbt(self, psbt_bytes: bytes, chain: str) -> bytes:
        client = self._app(chain)
        fingerprint = self.fingerprint(chain)
        psbt = parse_psbt(psbt_bytes)
        version = self._client_app[1] if self._client_app else "2.0"
        origin, prompt = _check(psbt, chain, fingerprint, self._model, version)
        from ledger_bitcoin import WalletPolicy
        from ledger_bitcoin.psbt import normalize_psbt

        # The legacy client reads only the template and the number of keys from the policy;
        # the key's origin is given for honesty's sake, no xpub is needed.
        policy = WalletPolicy("", "wpkh(@0/**)", [f"[{fingerprint.hex()}{origin}]"])
        theirs = self._call(normalize_psbt, bytes(psbt_bytes))
        if self._interaction is not None:
            self._interaction.confirm_on_device(prompt)
        try:
            results = self._call(client.sign_psbt, theirs, policy, None)
        finally:
            if self._interaction is not None:
                self._interaction.finished()
        return _add_signatures(psbt, results)


def _legacy_from_der(der: bytes, header_base: int) -> bytes:
    """The app's answer (a parity byte in the first byte's low bit, then DER's 0x30 body with
    r and s) as 65 bytes: BIP137 header, r, s (the layout HWI's legacy client reads)."""
    try:
        r_len = der[3]
        r = int.from_bytes(der[4 : 4 + r_len], "big")
        s = int.from_bytes(der[4 + r_len + 2 :], "big")
        return bytes([header_base + (der[0] & 1)]) + r.to_bytes(32, "big") + s.to_bytes(32, "big")
    except (IndexError, OverflowError):
        raise LedgerBitcoinError(
            Said(
                "ledger_btc.ledger_s_message_signature_2",
                "The Ledger's message signature is not in a known format.",
            )
        ) from None


def _norm(path: str) -> str:
    return path.replace("H", "'").replace("h", "'")


def _compress(pub: bytes) -> bytes:
    if len(pub) == 33:
        return pub
    if len(pub) != 65 or pub[0] != 4:
        raise LedgerBitcoinError(
            Said(
                "ledger_btc.ledger_returned_public_key",
                "The Ledger returned a public key in an unknown format.",
            )
        )
    return bytes([2 + (pub[64] & 1)]) + pub[1:33]


def _check(
    psbt: Any, chain: str, fingerprint: bytes, model: str, version: str = "2.0"
) -> tuple[str, DevicePrompt]:
    """Refuse what this adapter does not sign; the account origin ('/84'/0'/0'') and the
    prompt (outputs the device shows, and the fee)."""
    origin = ""
    total_in = 0
    for i, inp in enumerate(psbt.inputs):
        ours = [d for d in inp.bip32_derivations.values() if d.fingerprint == fingerprint]
        tap = [d for _, d in inp.taproot_bip32_derivations.values() if d.fingerprint == fingerprint]
        if tap and not ours:
            raise Unsupported(
                Said(
                    "ledger_btc.input_taproot_bitcoin_app",
                    "input {i} is taproot: Bitcoin app {version} cannot sign it "
                    "(taproot needs the app's 2.1 protocol, which termwallet "
                    "does not drive yet). Spend it with the software wallet or a "
                    "Trezor.",
                    i=i,
                    version=version,
                )
            )
        if not ours:
            raise Unsupported(
                Said(
                    "ledger_btc.input_not_ledger_s",
                    "input {i} is not this Ledger's: it signs only its own inputs",
                    i=i,
                )
            )
        if inp.sighash_type not in (None, SIGHASH_ALL):
            raise Unsupported(
                Said(
                    "ledger_btc.input_sighash_type_not",
                    "input {i}: sighash type {sighash_type} is not signed",
                    i=i,
                    sighash_type=inp.sighash_type,
                )
            )
        if inp.non_witness_utxo is None:
            raise Unsupported(
                Said(
                    "ledger_btc.input_ledger_needs_previous",
                    "input {i}: the Ledger needs the previous transaction of "
                    "segwit inputs (PSBT non_witness_utxo)",
                    i=i,
                )
            )
        utxo = inp.utxo
        stype = utxo.script_pubkey.script_type()
        if stype != "p2wpkh":
            raise Unsupported(
                Said(
                    "ledger_btc.input_inputs_are_not",
                    "input {i}: {kind} inputs are not signed",
                    i=i,
                    kind=stype or "non-standard",
                )
            )
        path = list(ours[0].derivation)
        if len(path) < 3:
            raise Unsupported(
                Said(
                    "ledger_btc.input_derivation_path_too",
                    "input {i}: the derivation path is too short for an account",
                    i=i,
                )
            )
        origin = origin or "".join(
            f"/{(p & 0x7FFFFFFF)}{chr(39) if p & 0x80000000 else ''}" for p in path[:3]
        )
        total_in += utxo.value
    symbol = SYMBOLS[chain]
    shown: list[PromptOutput] = []
    total_out = 0
    for j, out in enumerate(psbt.outputs):
        spk = out.script_pubkey
        total_out += out.value
        change = [
            d
            for d in out.bip32_derivations.values()
            if d.fingerprint == fingerprint and len(d.derivation) > 1 and d.derivation[-2] == 1
        ]
        if change and spk.script_type() == "p2wpkh":
            continue  # the app checks our change and hides it
        if spk.data[:1] == b"\x6a":
            raise Unsupported(
                Said(
                    "ledger_btc.output_op_return_outputs",
                    "output {j}: OP_RETURN outputs are not signed here",
                    j=j,
                )
            )
        try:
            address = spk.address({"bech32": UTXO_CHAINS[chain].hrp, "p2pkh": b"", "p2sh": b""})
        except Exception:
            raise Unsupported(
                Said(
                    "ledger_btc.output_has_script_has",
                    "output {j} has a script that has no address",
                    j=j,
                )
            ) from None
        shown.append(
            PromptOutput(
                address=address, amount=PromptAmount(value=out.value, decimals=8, symbol=symbol)
            )
        )
    if total_out > total_in:
        raise Unsupported(
            Said(
                "ledger_btc.outputs_spend_more_than", "the outputs spend more than the inputs hold"
            )
        )
    prompt = DevicePrompt(
        kind=PromptKind.SIGN_PSBT,
        device=model,
        chain=chain,
        outputs=tuple(shown),
        fee=PromptAmount(value=total_in - total_out, decimals=8, symbol=symbol),
    )
    return origin, prompt


def _add_signatures(psbt: Any, results: list[tuple[int, Any]]) -> bytes:
    """Our PSBT with the device's signatures, each checked against the sighash first: a
    signature that does not verify is an error, never a PSBT that fails on broadcast."""
    from embit import ec

    got: set[int] = set()
    for i, partial in results:
        pub = ec.PublicKey.parse(bytes(partial.pubkey))
        sig = bytes(partial.signature)
        if i >= len(psbt.inputs) or sig[-1:] != bytes([SIGHASH_ALL]):
            raise LedgerBitcoinError(
                Said(
                    "ledger_btc.ledger_returned_signature_no",
                    "The Ledger returned a signature for no known input.",
                )
            )
        try:
            valid = pub.verify(ec.Signature.parse(sig[:-1]), psbt.sighash(i))
        except Exception:
            valid = False
        if not valid:
            raise LedgerBitcoinError(
                Said(
                    "ledger_btc.ledger_s_signature_input",
                    "The Ledger's signature for input {i} does not verify.",
                    i=i,
                )
            )
        psbt.inputs[i].partial_sigs[pub] = sig
        got.add(i)
    missing = [i for i in range(len(psbt.inputs)) if i not in got]
    if missing:
        raise LedgerBitcoinError(
            Said(
                "ledger_btc.ledger_returned_no_signature",
                "The Ledger returned no signature for input(s) {missing}.",
                missing=missing,
            )
        )
    return bytes(psbt.serialize())
