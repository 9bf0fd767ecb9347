"""Issue 20 on a Trezor One: EIP-191 personal_sign, a legacy Bitcoin signed message, a
domain-only EIP-712 document (signed as its hashes, the message hash absent), an EIP-1559
transaction with an access list; and what it refuses by name (BIP322, EIP-2930 type 1,
legacy messages for taproot), before anything is sent.

Replay (what CI runs): recorded from the Trezor One emulator (legacy/v1.14.1, DEBUG_LINK) with
a random throwaway seed kept in the recording's meta. Results are checked against the device's
own addresses and against the software signer for that seed (RFC 6979 on both sides). Live
(marker `emulator`): the emulator on UDP 127.0.0.1:21324; `TERMWALLET_RECORD=1` rewrites.
"""

from __future__ import annotations

from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct

from devices.emulator import EvmTx, SoftwareSigner
from devices.errors import Unsupported
from devices.models import AccessListEntry
from devices.transcript import Transcript
from tests.devices.emulator_seed import TRANSCRIPTS, recorded_seed
from tests.devices.test_trezor import (  # the emulator fixtures are found through this import
    ETH_PATH,
    TO,
    Recorder,
    _live,
    _replay_signer,
    _save,
    debuglink,  # noqa: F401
    emulator_seed,  # noqa: F401
    live_transcript,
)

SCENARIO = "trezor_one_messages.json"
MESSAGE = b"I own this address: termwallet issue 20"
BTC_PATH = "m/84'/0'/0'/0/0"
DOMAIN_ONLY = {
    "types": {
        "EIP712Domain": [
            {"name": "name", "type": "string"},
            {"name": "chainId", "type": "uint256"},
        ]
    },
    "primaryType": "EIP712Domain",
    "domain": {"name": "termwallet", "chainId": 1},
    "message": {},
}
ACCESS = (
    AccessListEntry(
        address="0xde0B295669a9FD93d5F28D9Ec85E40f4cb697BAe",
        storage_keys=("0x" + "00" * 31 + "07",),
    ),
)
EIP1559_LISTED = EvmTx(
    chain_id=1,
    nonce=3,
    gas=40_000,
    to=TO,
    value=777,
    max_fee_per_gas=30 * 10**9,
    max_priority_fee_per_gas=10**9,
    access_list=ACCESS,
)
EIP2930 = EvmTx(chain_id=1, nonce=3, gas=40_000, to=TO, gas_price=10**9, access_list=ACCESS)


def run_scenario(signer: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "eth": signer.get_address("eth", ETH_PATH),
        "btc": signer.get_address("btc", BTC_PATH),
    }
    out["personal_sig"] = signer.sign_message(ETH_PATH, MESSAGE).hex()
    out["legacy_sig"] = signer.sign_btc_message("btc", BTC_PATH, MESSAGE, "legacy").hex()
    out["domain_only_sig"] = signer.sign_typed_data(ETH_PATH, DOMAIN_ONLY).hex()
    out["eip1559_listed_raw"] = signer.sign_evm_tx(ETH_PATH, EIP1559_LISTED).raw_transaction.hex()
    # Refused before the device is asked anything (the transcript holds no exchange for them).
    with pytest.raises(Unsupported, match="BIP322"):
        signer.sign_btc_message("btc", BTC_PATH, MESSAGE, "bip322")
    with pytest.raises(Unsupported, match="EIP-2930"):
        signer.sign_evm_tx(ETH_PATH, EIP2930)
    with pytest.raises(Unsupported, match="taproot"):
        signer.sign_btc_message("btc", "m/86'/0'/0'/0/0", MESSAGE, "legacy")
    return out


def check(out: dict[str, Any], seed: str) -> None:
    from devices import btcmsg
    from devices.eip712 import hashes
    from wallet.messages import verify

    me = out["eth"]
    personal = bytes.fromhex(out["personal_sig"])
    assert Account.recover_message(encode_defunct(primitive=MESSAGE), signature=personal) == me
    legacy = bytes.fromhex(out["legacy_sig"])
    assert 39 <= legacy[0] <= 42  # BIP137 header: P2WPKH
    assert verify("btc", out["btc"], MESSAGE, btcmsg.encode(legacy)).valid
    domain_only = bytes.fromhex(out["domain_only_sig"])
    digest = hashes(DOMAIN_ONLY).digest  # keccak(0x1901 || domain separator), as V4
    assert Account._recover_hash(digest, signature=domain_only) == me
    raw = bytes.fromhex(out["eip1559_listed_raw"])
    assert raw[0] == 2 and Account.recover_transaction(raw) == me

    sw = SoftwareSigner.from_mnemonic(seed)
    assert sw.get_address("eth", ETH_PATH) == me
    assert sw.get_address("btc", BTC_PATH) == out["btc"]
    assert personal == sw.sign_message(ETH_PATH, MESSAGE)
    assert legacy == sw.sign_btc_message("btc", BTC_PATH, MESSAGE, "legacy")
    assert domain_only == sw.sign_typed_data(ETH_PATH, DOMAIN_ONLY)
    assert raw == sw.sign_evm_tx(ETH_PATH, EIP1559_LISTED).raw_transaction


def test_replay_messages_domain_only_and_access_list():
    if not (TRANSCRIPTS / SCENARIO).exists():
        pytest.skip(f"{SCENARIO} was not recorded (needs the Trezor One emulator)")
    asked = Recorder()
    signer, transport = _replay_signer(SCENARIO, asked)
    out = run_scenario(signer)
    signer.close()
    assert transport.cursor.finished, "the adapter skipped recorded exchanges"
    check(out, recorded_seed(SCENARIO))
    assert out == Transcript.load(TRANSCRIPTS / SCENARIO).meta["results"]
    from devices.base import PromptKind

    prompts = [p for p in asked.asked if p != "finished"]
    messages = [p for p in prompts if p.kind is PromptKind.SIGN_MESSAGE]
    # One prompt per button request (the One pages through the text): each shows the message.
    assert len(messages) >= 2 and {p.message for p in messages} == {MESSAGE.decode()}
    assert {p.chain for p in messages} == {None, "btc"}
    typed = [p for p in prompts if p.kind is PromptKind.SIGN_TYPED_DATA]
    assert typed and len(typed[0].hashes) == 1  # the domain hash alone


@pytest.mark.emulator
def test_live_messages_domain_only_and_access_list(debuglink: Any, emulator_seed: str):  # noqa: F811
    tr = live_transcript(emulator_seed)
    signer = _live(tr, Recorder(press=debuglink.press_yes))
    try:
        out = run_scenario(signer)
    finally:
        signer.close()
    check(out, emulator_seed)
    tr.meta["results"] = out
    _save(tr, SCENARIO)
