"""Signed-message and typed-data benchmark (issue 20): median / min / max per call of

- BIP322 simple signing and verification, P2WPKH and P2TR (devices/btcmsg.py on embit);
- legacy signed message signing and verification (coincurve);
- EIP-712 hashing as eth-sig-util V4 (devices/eip712.py) beside eth-account's encoder on the
  same document (EIP-712's Mail example);
- the software signer's EIP-191 personal_sign.

Figures only; nothing asserts a target (the machines are shared and noisy).

    python bench/messages.py [--runs 200]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def timed(name: str, fn: Callable[[], object], runs: int) -> None:
    fn()  # imports and caches out of the figure
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    print(
        f"{name:<34} median {statistics.median(samples):7.3f} ms   "
        f"min {min(samples):7.3f}   max {max(samples):7.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    runs = parser.parse_args().runs

    from embit import ec
    from embit.script import p2tr, p2wpkh
    from eth_account.messages import encode_typed_data

    from devices import btcmsg
    from devices.eip712 import hashes
    from devices.emulator import sign_message_with_key

    key = ec.PrivateKey.from_wif("L3VFeEujGtevx9w18HD1fhRbCH67Az2dpCymeRE1SoPK6XQtaN2k")
    wpkh, tr = p2wpkh(key.get_public_key()).data, p2tr(key.get_public_key()).data
    msg = b"Hello World"
    sig_w = btcmsg.sign_bip322_with_key(key.secret, msg, wpkh)
    sig_t = btcmsg.sign_bip322_with_key(key.secret, msg, tr)
    legacy = btcmsg.sign_legacy_with_key(key.secret, msg, "btc", "p2wpkh")
    mail = json.loads((ROOT / "tests/devices/vectors/eip712_mail.json").read_text())["typed_data"]

    timed("BIP322 sign P2WPKH", lambda: btcmsg.sign_bip322_with_key(key.secret, msg, wpkh), runs)
    timed("BIP322 verify P2WPKH", lambda: btcmsg.verify_bip322(msg, wpkh, sig_w), runs)
    timed("BIP322 sign P2TR", lambda: btcmsg.sign_bip322_with_key(key.secret, msg, tr), runs)
    timed("BIP322 verify P2TR", lambda: btcmsg.verify_bip322(msg, tr, sig_t), runs)
    timed(
        "legacy sign", lambda: btcmsg.sign_legacy_with_key(key.secret, msg, "btc", "p2wpkh"), runs
    )
    timed("legacy verify", lambda: btcmsg.verify_legacy(msg, "btc", wpkh, legacy), runs)
    timed("EIP-712 hash (ours, V4)", lambda: hashes(mail).digest, runs)
    timed("EIP-712 hash (eth-account)", lambda: encode_typed_data(full_message=mail), runs)
    timed("EIP-191 sign (software signer)", lambda: sign_message_with_key(key.secret, msg), runs)


if __name__ == "__main__":
    main()
