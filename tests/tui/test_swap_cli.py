"""`termwallet swap`: the dry run prints every fee and signs nothing; --yes swaps on the devnet
with the user's own keystore (real KDF) and the same figures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fixtures.cli import run_cli as run
from tests.fixtures.devnet import Devnet

pytestmark = pytest.mark.devnet
ABANDON = "abandon " * 11 + "about"
PASSWORD = "correct horse battery"


def test_swap_dry_run_then_for_real(
    devnet_snapshot: Devnet, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setenv("TERMWALLET_RPC_URLS", json.dumps({"devnet": [devnet_snapshot.rpc_url]}))
    rc, _, err = run(["init", "--restore"], capsys, f"{ABANDON}\n{PASSWORD}\n")
    assert rc == 0, err
    dusd = devnet_snapshot.deployment.token("DUSD").address
    args = ["swap", "ETH", dusd, "0.5", "--network", "devnet", "--slippage", "1", "--json"]
    rc, out, err = run([*args, "--dry-run"], capsys)
    assert rc == 0, err
    review = json.loads(out)
    assert review["amount_in"] == str(5 * 10**17)
    assert review["provider_fee"] == str(5 * 10**17 * 3 // 1000)
    assert review["provider_fee_display"] == "0.0015 ETH"
    assert review["service_fee"] == "0" and review["service_fee_bps"] == 0
    assert int(review["min_out"]) == int(review["expected_out"]) * 99 // 100
    assert "nothing was signed" in err
    too_much = ["swap", "ETH", dusd, "1000000000", "--network", "devnet", "--dry-run"]
    rc, out, err = run(too_much, capsys)
    assert rc == 2 and "it needs 1,000,000,000.0" in err and " ETH, the account has " in err
    rc, out, err = run([*too_much, "--lang", "zh-CN"], capsys)
    assert rc == 2 and "ETH 不足以支付本次兑换及其费用" in err
    rc, out, err = run([*args[:-1], "--dry-run"], capsys)  # as text: the fee with its asset
    assert rc == 0, err
    assert "Provider fee:  0.0015 ETH (0.30 %)" in out and "base units" not in out
    (tmp_path / "pw").write_text(PASSWORD + "\n")
    rc, out, err = run([*args, "--yes", "--password-file", str(tmp_path / "pw")], capsys)
    assert rc == 0, err
    done = json.loads(out)  # one document: the review and the result
    assert done["review"]["amount_in"] == review["amount_in"]
    result = done["result"]
    assert result["state"] == "done"
    assert result["received"] == review["expected_out"]  # nothing moved in between
    assert PASSWORD not in out + err and ABANDON not in out + err
