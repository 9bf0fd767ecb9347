"""HWI adapter: live against the Trezor One emulator (HWI drives it over UDP)."""

from __future__ import annotations

import pytest

from devices.emulator import SoftwareSigner
from devices.errors import Unsupported
from tests.devices.test_trezor import SEED, _emulator_up


def test_litecoin_is_refused_with_a_reason():
    from devices.hwi import HwiSigner

    with pytest.raises(Unsupported, match="Bitcoin"):
        HwiSigner.open("trezor", "udp:127.0.0.1:1", chain="ltc")


@pytest.mark.emulator
def test_live_hwi_trezor_matches_software_signer():
    if not _emulator_up():
        pytest.skip("no Trezor emulator on UDP 127.0.0.1:21324 (it is not in any registry)")
    from devices.hwi import HwiSigner

    sw = SoftwareSigner.from_mnemonic(SEED)
    s = HwiSigner.open("trezor", "udp:127.0.0.1:21324")
    try:
        assert s.get_xpub("m/84h/0h/0h") == sw.get_xpub("m/84'/0'/0'")
        assert s.get_address("btc", "m/84h/0h/0h/0/0") == sw.get_address("btc", "m/84'/0'/0'/0/0")
        assert s.get_address("btc", "m/86h/0h/0h/0/0") == sw.get_address("btc", "m/86'/0'/0'/0/0")
    finally:
        s.close()
