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


@pytest.mark.emulator
def test_live_hwi_trezor_matches_software_signer(emulator_seed: str):  # noqa: F811
    """HWI's answers agree with each other (the addresses derive from the xpubs it gave) and
    with the software signer for the seed DebugLink says the emulator holds."""
    from devices.hwi import HwiSigner

    sw = SoftwareSigner.from_mnemonic(emulator_seed)
    s = HwiSigner.open("trezor", "udp:127.0.0.1:21324")
    try:
        x84 = s.get_xpub("m/84h/0h/0h")
        assert x84 == sw.get_xpub("m/84'/0'/0'")
        wpkh = s.get_address("btc", "m/84h/0h/0h/0/0")
        assert wpkh == segwit_address("btc", child_pubkey(x84, 0, 0))
        assert wpkh == sw.get_address("btc", "m/84'/0'/0'/0/0")
        assert s.get_address("btc", "m/86h/0h/0h/0/0") == sw.get_address("btc", "m/86'/0'/0'/0/0")
    finally:
        s.close()
