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


def test_usdt_swap_through_a_local_aggregator_lists_both_approvals_and_mines(
    devnet_snapshot: Devnet, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """A 0x-style quote API on loopback in front of a LocalExchangeProxy on anvil, configured
    through settings; the sold token refuses to change its stale allowance (USDT)."""
    from chains.devnet.deploy import connect
    from tests.fixtures.swap_contracts import ZeroExQuoteApi, deploy_exchange, stale_allowance

    d = devnet_snapshot
    w3 = connect(d.rpc_url)
    dusd = d.deployment.token("DUSD").address
    usdt, proxy = deploy_exchange(w3, d.demo_address, dusd)
    stale_allowance(w3, d.rpc, d.demo_address, usdt.address, proxy.address, 3 * 10**6)
    with ZeroExQuoteApi(proxy, w3.eth.chain_id).serve() as api:
        monkeypatch.setenv("TERMWALLET_RPC_URLS", json.dumps({"devnet": [d.rpc_url]}))
        monkeypatch.setenv("TERMWALLET_SWAP_AGGREGATOR_URL", api.url)
        monkeypatch.setenv("TERMWALLET_SWAP_AGGREGATOR_EXCHANGE", proxy.address)
        rc, _, err = run(["init", "--restore"], capsys, f"{ABANDON}\n{PASSWORD}\n")
        assert rc == 0, err
        args = ["swap", usdt.address, dusd, "100", "--network", "devnet", "--slippage", "1"]
        rc, out, err = run([*args, "--dry-run"], capsys)
        assert rc == 0, err
        assert "1: reset to 0 first" in out and "3000000 base units now" in out
        assert f"2: 100000000 base units to {proxy.address}" in out
        rc, out, err = run([*args, "--dry-run", "--lang", "zh-CN"], capsys)
        assert rc == 0 and "1：先重置为 0" in out
        (tmp_path / "pw").write_text(PASSWORD + "\n")
        rc, out, err = run([*args, "--json", "--yes", "--password-file", str(tmp_path / "pw")],
                           capsys)  # fmt: skip
        assert rc == 0, err
        done = json.loads(out)
        review, result = done["review"], done["result"]
        assert review["provider"] == "aggregator" and review["spender"] == proxy.address
        assert [a["amount"] for a in review["approvals"]] == ["0", str(100 * 10**6)]
        assert all(int(a["network_fee_max"]) > 0 for a in review["approvals"])
        assert result["state"] == "done" and result["received"] == review["expected_out"]
    assert usdt.functions.balanceOf(d.demo_address).call() == 4_900 * 10**6
    assert usdt.functions.allowance(d.demo_address, proxy.address).call() == 0


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_aggregator_calldata_below_the_reviewed_minimum_is_the_error_the_user_reads(
    devnet_snapshot: Devnet, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch, lang: str,
) -> None:  # fmt: skip
    """The quote's JSON is honest, its calldata carries minimum 0. Uniswap has no USDT pool
    here, so the aggregator's refusal (not Uniswap's 'no route') is what the user reads, and
    it says what to do; nothing is signed even with --yes."""
    from chains.devnet.deploy import connect
    from tests.fixtures.swap_contracts import ZeroExQuoteApi, deploy_exchange

    d = devnet_snapshot
    w3 = connect(d.rpc_url)
    dusd = d.deployment.token("DUSD").address
    usdt, proxy = deploy_exchange(w3, d.demo_address, dusd)
    api = ZeroExQuoteApi(proxy, w3.eth.chain_id, tamper_call=lambda a: a.update(min_buy=0))
    nonce0 = w3.eth.get_transaction_count(d.demo_address)
    with api.serve():
        monkeypatch.setenv("TERMWALLET_RPC_URLS", json.dumps({"devnet": [d.rpc_url]}))
        monkeypatch.setenv("TERMWALLET_SWAP_AGGREGATOR_URL", api.url)
        monkeypatch.setenv("TERMWALLET_SWAP_AGGREGATOR_EXCHANGE", proxy.address)
        rc, _, err = run(["init", "--restore"], capsys, f"{ABANDON}\n{PASSWORD}\n")
        assert rc == 0, err
        (tmp_path / "pw").write_text(PASSWORD + "\n")
        args = ["swap", usdt.address, dusd, "100", "--network", "devnet", "--lang", lang,
                "--yes", "--password-file", str(tmp_path / "pw")]  # fmt: skip
        rc, out, err = run(args, capsys)
    assert rc != 0 and out == ""
    (line,) = [x for x in err.splitlines() if x.startswith("termwallet:")]  # after the warnings
    if lang == "en":
        assert "does not match its quote" in line and "Uniswap route" in line
    else:
        assert "与其自身报价不符" in line and "Uniswap" in line
    assert "enforces a minimum of 0" in line
    assert w3.eth.get_transaction_count(d.demo_address) == nonce0
