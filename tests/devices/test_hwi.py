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
