"""`termwallet bump` and `termwallet cpfp` in-process on litecoind + ElectrumX: a payment sent
from the CLI is replaced by one paying more (the node's mempool holds the new one, not the old),
and what cannot be sped up is refused in one `termwallet:` line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fixtures.litecoin import Regtest
from tests.fixtures.utxo_wallet import regtest_wallet_home as _home
from tui.cli import main

PHRASE = (
    "hamster diagram private dutch cause delay private meat slide toddler razor book happy "
    "fancy gospel tennis maple dilemma loan word shrug inflict delay length"
)
COIN = 10**8


@pytest.mark.regtest
def test_bump_replaces_a_cli_payment_and_refuses_clearly(
    regtest: Regtest,
    termwallet_home: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    pw, first = _home(termwallet_home, regtest.electrum_tcp, PHRASE)
    regtest.fund(first, COIN)
    regtest.mine(1)
    regtest.wait_electrum_height(regtest.height())
    to = str(regtest.rpc("getnewaddress", "", "bech32"))
    secret = ["--password-file", str(pw)]
    code = main(["send", "ltc-regtest", to, "0.25", "--fee", "slow", "--yes", "--no-wait", *secret])
    cap = capsys.readouterr()
    assert code == 0, cap.err
    old = cap.out.strip().splitlines()[-1].split()[1]

    # Not one of ours, and a malformed id: refused before any password is asked.
    assert main(["bump", "ab" * 32, "--yes", *secret]) == 2
    assert "termwallet:" in capsys.readouterr().err
    assert main(["cpfp", "xyz"]) == 2
    assert "64 hex digits" in capsys.readouterr().err

    # The review first: old fee, new fee, what changes; nothing signed.
    assert main(["bump", old, "--fee-rate", "30", "--dry-run", "--json"]) == 0
    cap = capsys.readouterr()
    review = json.loads(cap.out)
    assert review["kind"] == "rbf" and review["txid"] == old
    assert int(review["new_fee"]) > int(review["old_fee"]) > 0
    assert int(review["change_after"]) == int(review["change_before"]) - (
        int(review["new_fee"]) - int(review["old_fee"])
    )
    assert review["to"] == to and review["amount"] == str(COIN // 4)
    assert old in regtest.rpc("getrawmempool", wallet=None)

    assert main(["bump", old, "--fee-rate", "30", "--yes", *secret]) == 0
    cap = capsys.readouterr()
    assert "Old fee:" in cap.out and "New fee:" in cap.out and "Change:" in cap.out
    new = cap.out.strip().splitlines()[-1].split()[-1]
    pool = set(regtest.rpc("getrawmempool", wallet=None))
    assert new in pool and old not in pool
    # The replacement's fee rate is not higher than itself: refused.
    assert main(["bump", new, "--fee-rate", "30", "--yes", *secret]) == 2
    assert "does not beat" in capsys.readouterr().err
    regtest.mine(1)
    regtest.wait_electrum_height(regtest.height())
    assert regtest.rpc("gettransaction", new)["confirmations"] == 1
    assert main(["bump", new, "--fee-rate", "60", "--yes", *secret]) == 2
    assert "already confirmed" in capsys.readouterr().err
