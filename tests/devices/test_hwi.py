"""HWI adapter: live against the Trezor One emulator (HWI drives it over UDP)."""

from __future__ import annotations

import pytest

from devices.emulator import SoftwareSigner
from devices.errors import Unsupported
from tests.devices.emulator_seed import child_pubkey, segwit_address
from tests.devices.test_trezor import debuglink, emulator_seed  # noqa: F401  (fixtures)


def test_litecoin_is_refused_with_a_reason():
    from devices.hwi import HwiSigner

    with pytest.raises(Unsupported, match="Bitcoin"):
        HwiSigner.open("trezor", "udp:127.0.0.1:1", chain="ltc")


def test_hwi_devices_are_listed_under_their_names(monkeypatch: pytest.MonkeyPatch):
    """HWI reports lower-case types ('coldcard', 'bitbox02'): the list shows the names users
    know, and the id keeps the type."""
    from devices import hwi
    from devices.registry import discover

    found = [
        {"type": "coldcard", "model": "coldcard", "path": "usb:1", "fingerprint": "0f056943"},
        {"type": "bitbox02", "model": "bitbox02_btconly", "path": "usb:2", "fingerprint": ""},
    ]
    monkeypatch.setattr(hwi, "enumerate_devices", lambda: found)
    listed = {d.id: d.model for d in discover().devices if d.id.startswith("hwi:")}
    assert listed == {"hwi:coldcard:usb:1": "Coldcard", "hwi:bitbox02:usb:2": "BitBox02"}


@pytest.mark.emulator
def test_live_hwi_trezor_matches_software_signer(emulator_seed: str):  # noqa: F811
    """HWI's answers agree with each other (the addresses derive from the xpubs it gave) and
    with the software signer for the seed DebugLink says the emulator holds."""
    from devices.hwi import HwiSigner

    sw = SoftwareSigner.from_mnemonic(emulator_seed)
    s = HwiSigner.open("trezor", "udp:127.0.0.1:21324")
    assert s.info.model == "Trezor"  # named as users know it, not by HWI's type 'trezor'
    try:
        x84 = s.get_xpub("m/84h/0h/0h")
        assert x84 == sw.get_xpub("m/84'/0'/0'")
        wpkh = s.get_address("btc", "m/84h/0h/0h/0/0")
        assert wpkh == segwit_address("btc", child_pubkey(x84, 0, 0))
        assert wpkh == sw.get_address("btc", "m/84'/0'/0'/0/0")
        assert s.get_address("btc", "m/86h/0h/0h/0/0") == sw.get_address("btc", "m/86'/0'/0'/0/0")
    finally:
        s.close()


def test_bip322_and_taproot_messages_are_refused_by_name():
    """HWI has only the legacy signed message, and the legacy format has no taproot form:
    both are refused before the device is asked (no client is needed to refuse)."""
    from devices.base import DeviceInfo, SignerKind
    from devices.hwi import HwiSigner

    info = DeviceInfo(kind=SignerKind.HWI, model="Coldcard", path="usb:1")
    s = HwiSigner(object(), info, "btc")  # a client that would fail if it were used
    with pytest.raises(Unsupported, match="BIP322"):
        s.sign_btc_message("btc", "m/84h/0h/0h/0/0", b"hi", "bip322")
    with pytest.raises(Unsupported, match="taproot"):
        s.sign_btc_message("btc", "m/86h/0h/0h/0/0", b"hi", "legacy")
    with pytest.raises(Unsupported, match="btc-testnet"):
        s.sign_btc_message("btc-testnet", "m/84h/1h/0h/0/0", b"hi", "legacy")


@pytest.mark.emulator
def test_live_hwi_trezor_signs_a_legacy_message_of_its_address(emulator_seed: str):  # noqa: F811
    """The Trezor One through HWI signs a legacy message (HWI's DebugLink client confirms on
    the emulator); the signature verifies for the native segwit address the software signer
    derives from the seed the emulator holds, and for no other address."""
    from embit.script import address_to_scriptpubkey

    from devices.btcmsg import verify_legacy
    from devices.hwi import HwiSigner

    sw = SoftwareSigner.from_mnemonic(emulator_seed)
    mine = sw.get_address("btc", "m/84'/0'/0'/0/0")
    other = sw.get_address("btc", "m/84'/0'/0'/0/1")
    message = b"termwallet HWI message 2026-12-04"
    s = HwiSigner.open("trezor", "udp:127.0.0.1:21324")
    try:
        sig = s.sign_btc_message("btc", "m/84h/0h/0h/0/0", message, "legacy")
    finally:
        s.close()
    assert len(sig) == 65
    assert verify_legacy(message, "btc", address_to_scriptpubkey(mine).data, sig)
    assert not verify_legacy(message, "btc", address_to_scriptpubkey(other).data, sig)
