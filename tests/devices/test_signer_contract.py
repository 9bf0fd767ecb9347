"""One contract over every signer: for the same seed, a device gives the software signer's
addresses, xpubs and (RFC6979, so byte-identical) signatures.

The device signers run from the recorded emulator transcripts (CI) and, with the `emulator`
marker, against the live emulators; the software signer runs the very same scenario with the
seed the emulator held (the recording's meta, or DebugLink live)."""

from __future__ import annotations

from typing import Any

import pytest

from devices.emulator import SoftwareSigner
from tests.devices import test_ledger, test_ledger_btc, test_trezor, test_trezor_psbt
from tests.devices.emulator_seed import recorded_seed


def _strip(out: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in out.items() if k not in ("info", "app")}


def _trezor_replay() -> Any:
    signer, _ = test_trezor._replay_signer("trezor_one_scenario.json", test_trezor.Recorder())
    return signer


def _ledger_replay() -> Any:
    signer, _ = test_ledger._replay("ledger_eth_scenario.json", test_trezor.Recorder())
    return signer


class _SoftwareWithApp(SoftwareSigner):
    def current_app(self) -> tuple[str, str]:
        return ("Ethereum", "software")


@pytest.mark.parametrize(
    ("name", "factory", "scenario", "recording"),
    [
        ("trezor-one-replay", _trezor_replay, test_trezor.run_scenario, "trezor_one_scenario.json"),
        ("ledger-eth-replay", _ledger_replay, test_ledger.run_scenario, "ledger_eth_scenario.json"),
    ],
)
def test_device_equals_software_signer(name: str, factory: Any, scenario: Any, recording: str):
    device = factory()
    got = _strip(scenario(device))
    software = _SoftwareWithApp.from_mnemonic(recorded_seed(recording))
    want = _strip(scenario(software))
    assert got == want, name


@pytest.mark.parametrize("chain", sorted(test_trezor_psbt.CASES))
@pytest.mark.parametrize("name", ["trezor-one-replay", "software"])
def test_psbt_signatures_are_valid_for_every_signer(name: str, chain: str):
    """Same PSBT, every signer: the signed spend passes Bitcoin Core's script checks."""
    transcript, coin, taproot = test_trezor_psbt.CASES[chain]
    unsigned, spent = test_trezor_psbt.build_psbt(coin, test_trezor_psbt.recorded_keys(transcript))
    if name == "software":
        signer: Any = SoftwareSigner.from_mnemonic(recorded_seed(transcript))
    else:
        signer, _ = test_trezor._replay_signer(transcript, test_trezor.Recorder())
        # the recording first asks the device for the keys the PSBT spends
        test_trezor_psbt.device_keys(signer, coin, taproot=taproot)
    try:
        signed = signer.sign_psbt(unsigned, chain)
    finally:
        signer.close()
    test_trezor_psbt.verify_signed(chain, signed, spent)


class _SoftwareRfc6979(SoftwareSigner):
    """Plain RFC6979 nonces, as the Ledger Bitcoin app uses (no low-R grinding)."""

    def sign_psbt(self, psbt: bytes, chain: str) -> bytes:
        from devices.psbt import sign_psbt

        return sign_psbt(psbt, self._node_for_psbt(), low_r=False).psbt


def test_ledger_bitcoin_equals_software_signer():
    """The Ledger Bitcoin app (replayed) gives the software signer's addresses, xpub and the
    byte-identical signed PSBT for the same P2WPKH spend."""
    seed = recorded_seed(test_ledger_btc.SCENARIO)
    unsigned, _ = test_ledger_btc._unsigned(seed)
    device, _ = test_ledger_btc._replay(test_ledger_btc.SCENARIO, test_trezor.Recorder())
    got = _strip(test_ledger_btc.run_scenario(device, unsigned))
    want = _strip(test_ledger_btc.run_scenario(_SoftwareRfc6979.from_mnemonic(seed), unsigned))
    assert got == want


def test_contract_catches_a_different_seed():
    """The comparison above is not vacuous: another seed gives other answers."""
    from wallet.keys import generate_mnemonic

    other = SoftwareSigner.from_mnemonic(generate_mnemonic())
    recorded = SoftwareSigner.from_mnemonic(recorded_seed("trezor_one_scenario.json"))
    assert _strip(test_trezor.run_scenario(other)) != _strip(test_trezor.run_scenario(recorded))


@pytest.mark.emulator
def test_live_trezor_equals_software_signer(debuglink: Any, emulator_seed: str):
    from devices.transcript import Transcript

    signer = test_trezor._live(
        Transcript("live", ""), test_trezor.Recorder(press=debuglink.press_yes)
    )
    try:
        assert _strip(test_trezor.run_scenario(signer)) == _strip(
            test_trezor.run_scenario(SoftwareSigner.from_mnemonic(emulator_seed))
        )
    finally:
        signer.close()


debuglink = test_trezor.debuglink
emulator_seed = test_trezor.emulator_seed
