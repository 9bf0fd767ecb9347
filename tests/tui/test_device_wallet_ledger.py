"""A hardware-only wallet on a Ledger (speculos), from the command line: `init --device` in
the Ethereum app, an ETH send on the devnet signed there; `wallets add-accounts` in the Bitcoin
(Test) app, and a PSBT of the wallet's account signed through the wallet's own signer.

speculos and the app ELFs are not in any registry, so these run only where they are started
(skipped with that reason elsewhere; see /work/shared/emulators.md):
TERMWALLET_SPECULOS / TERMWALLET_SPECULOS_API name the Ethereum app's APDU and REST ports,
TERMWALLET_SPECULOS_BTC / TERMWALLET_SPECULOS_BTC_API the Bitcoin (Test) app's (same seed): the
2.0.2 app (taproot account skipped, saying why) or a 2.1+ one (its taproot account is added and
a taproot PSBT signed through the wallet's signer). The
seed is whatever speculos was started with: expectations come from the device's own answers,
the chain, and signatures checked by Bitcoin Core's script rules (py-bitcoinkernel).
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from tests.fixtures.cli import run_cli as run
from tests.fixtures.devnet import Devnet

pytestmark = pytest.mark.emulator
TO = "0x" + "22" * 20

_BOTH = [["button", 1, True], ["button", 2, True], ["button", 2, False], ["button", 1, False]]
_RIGHT = [["button", 2, True], ["button", 2, False]]
# Ethereum app 1.10 and Bitcoin app 2.0.2 or 2.4.6 on a Nano X: walk each review, accept at
# its end.
RULES = {
    "version": 1,
    "rules": [
        {"regexp": "^(Accept|Approve|Sign)", "actions": _BOTH},
        {"regexp": "^(Review|Amount|Address|Confirm|Fees|Max|Network|Reject).*", "actions": _RIGHT},
        {"text": "To", "actions": _RIGHT},  # the Bitcoin app 2.1+ names the payee so
    ],
}


def _env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.skip(f"{name} is not set: no speculos (it is not in any registry)")
    return value


def _rules(api: str) -> None:
    import httpx

    httpx.post(f"http://{api}/automation", json=RULES, timeout=5).raise_for_status()


def _ledger(apdu: str) -> Any:
    from devices.ledger import LedgerSigner, tcp_device

    return LedgerSigner(tcp_device(apdu), None, path=f"tcp:{apdu}")


@pytest.mark.devnet
def test_ledger_device_wallet_sends_eth_then_adds_its_bitcoin_accounts(
    devnet_snapshot: Devnet, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    eth_apdu, eth_api = _env("TERMWALLET_SPECULOS"), _env("TERMWALLET_SPECULOS_API")
    _rules(eth_api)
    monkeypatch.setenv("TERMWALLET_SPECULOS", eth_apdu)
    monkeypatch.setenv("TERMWALLET_RPC_URLS", json.dumps({"devnet": [devnet_snapshot.rpc_url]}))
    monkeypatch.setenv("TERMWALLET_UTXO_NETWORKS", "[]")
    rc, out, err = run(["init", "--device", f"ledger:tcp:{eth_apdu}", "--json"], capsys)
    assert rc == 0, err
    made = json.loads(out)
    device = _ledger(eth_apdu)
    try:
        me = device.get_address("eth", "m/44'/60'/0'/0/0")
    finally:
        device.close()
    assert [a["address"] for a in made["accounts"]] == [me]
    assert made["wallet"]["fingerprint"] is None  # the Ethereum app does not tell it
    assert "open the Bitcoin app" in err

    devnet_snapshot.rpc("anvil_setBalance", [me, hex(10**18)])
    rc, out, err = run(["send", "devnet", TO, "0.125", "--yes", "--json"], capsys)
    assert rc == 0, err
    tx_hash = json.loads(out)["result"]["tx_hash"]  # one document: review and result
    tx = devnet_snapshot.rpc("eth_getTransactionByHash", [tx_hash])
    assert tx["from"].lower() == me.lower() and int(tx["value"], 16) == 125 * 10**15

    btc_apdu = os.environ.get("TERMWALLET_SPECULOS_BTC")
    if not btc_apdu:
        pytest.skip("TERMWALLET_SPECULOS_BTC is not set: the Bitcoin half needs that app")
    _rules(_env("TERMWALLET_SPECULOS_BTC_API"))
    monkeypatch.setenv("TERMWALLET_SPECULOS", btc_apdu)
    rc, out, err = run(
        ["wallets", "add-accounts", "1", "--device", f"ledger:tcp:{btc_apdu}"], capsys
    )
    assert rc == 0, err
    rc, out, err = run(["wallets", "--json"], capsys)
    (wallet,) = json.loads(out)
    from devices.ledger_btc import chain_of_app

    device = _ledger(btc_apdu)
    try:
        chain = chain_of_app(device.current_app()[0])  # the Bitcoin or the Bitcoin Test app
        coin = 1 if chain == "btc-testnet" else 0
        fingerprint = device.master_fingerprint().hex()
        btc = device.get_address(chain, f"m/84'/{coin}'/0'/0/0")
        taproot_refusal = device.taproot_refusal()
    finally:
        device.close()
    assert wallet["fingerprint"] == fingerprint
    rc, out, err = run(["accounts", "--json"], capsys)
    accounts = {(a["family"], a["script"]): a for a in json.loads(out)}
    assert accounts[(chain, "p2wpkh")]["address"] == btc
    # the 2.0.x app cannot sign taproot (its account is skipped, saying so); 2.1+ can
    assert ((chain, "p2tr") in accounts) == (taproot_refusal is None)

    # A PSBT of the wallet's account, built from its stored xpub, signed by the wallet's signer
    # (which finds the Ledger by fingerprint) and checked by Bitcoin Core's rules.
    from tests.devices.test_ledger_btc_apps import build_taproot_psbt, verify_taproot
    from tests.devices.test_trezor_psbt import verify_signed
    from wallet.paths import Paths
    from wallet.user import UserWallet

    user = UserWallet.open(Paths.default())
    try:
        current = user.current()
        assert current is not None
        signer = user.device_signer(current)
        unsigned, spent = _psbt(accounts[(chain, "p2wpkh")]["xpub"], fingerprint, coin)
        signed = signer.sign_psbt(unsigned, chain)
        if taproot_refusal is None:
            # The Bitcoin app 2.1+: the wallet's taproot account signs through the same signer.
            tr_unsigned, tr_spent = build_taproot_psbt(
                coin, bytes.fromhex(fingerprint), accounts[(chain, "p2tr")]["xpub"]
            )
            tr_signed = signer.sign_psbt(tr_unsigned, chain)
        signer.close()
    finally:
        user.store.close()
    verify_signed(chain, signed, spent)
    if taproot_refusal is None:
        verify_taproot(tr_signed, tr_spent)


def _psbt(xpub: str, fingerprint: str, coin: int) -> tuple[bytes, list[tuple[bytes, int]]]:
    """Spend an output paid to the account's first address; pay a stranger, change back."""
    from embit import bip32, hashes
    from embit.psbt import DerivationPath
    from embit.script import Script
    from embit.transaction import Transaction, TransactionInput, TransactionOutput

    from devices.psbt import _psbt_class
    from tests.devices.test_trezor_psbt import STRANGER, _funding, _path

    account = bip32.HDKey.from_string(xpub)
    fp = bytes.fromhex(fingerprint)
    mine, change = account.derive("m/0/0"), account.derive("m/1/0")
    spent = [(b"\x00\x14" + hashes.hash160(mine.sec()), 100_000)]
    prev = _funding(spent[0][0], 100_000, 9)
    vout = [
        TransactionOutput(60_000, Script(b"\x00\x14" + hashes.hash160(STRANGER.sec()))),
        TransactionOutput(38_000, Script(b"\x00\x14" + hashes.hash160(change.sec()))),
    ]
    tx = Transaction(version=2, vin=[TransactionInput(prev.txid(), 0, sequence=0xFFFFFFFD)])
    tx.vout = vout
    psbt = _psbt_class()(tx)
    psbt.inputs[0].non_witness_utxo = prev
    psbt.inputs[0].witness_utxo = prev.vout[0]
    psbt.inputs[0].bip32_derivations[mine.get_public_key()] = DerivationPath(
        fp, _path(f"m/84'/{coin}'/0'/0/0")
    )
    psbt.outputs[1].bip32_derivations[change.get_public_key()] = DerivationPath(
        fp, _path(f"m/84'/{coin}'/0'/1/0")
    )
    return psbt.serialize(), spent
