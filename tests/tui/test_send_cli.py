"""`termwallet balance` and `termwallet send` in-process (tui.cli.main) on the devnet: the CLI
contract of issue 4. The wallet is the demo mnemonic restored into this test's home."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fixtures.devnet import Devnet
from tests.wallet.test_pending_crash import home  # noqa: F401 (fixture)
from tui.cli import main

pytestmark = pytest.mark.devnet
TO = "0x00000000000000000000000000000000C0FFEE01"


@pytest.fixture
async def with_dusd(home: Path, devnet_snapshot: Devnet) -> Path:  # noqa: F811
    """DUSD added as a user token (read from its contract), as the user would add it."""
    from chains.evm import EvmBackend
    from chains.networks import devnet as devnet_network
    from wallet.paths import Paths
    from wallet.store import Store
    from wallet.tokens import UserTokens

    store = Store(Paths.default().database)
    backend = EvmBackend(devnet_network(devnet_snapshot.rpc_url))
    try:
        tokens = UserTokens(store)
        candidate = await tokens.inspect(backend, devnet_snapshot.deployment.token("DUSD").address)
        assert not candidate.listed and candidate.asset.decimals == 6
        tokens.add(candidate)
    finally:
        await backend.aclose()
        store.close()
    return home


def _nonce(devnet: Devnet) -> int:
    return int(devnet.rpc("eth_getTransactionCount", [devnet.demo_address, "latest"]), 16)


def test_dry_run_prints_the_review_and_signs_nothing(
    with_dusd: Path,
    devnet_snapshot: Devnet,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # No password is given: a dry run must not even ask for one.
    assert main(["send", "devnet", TO, "max", "--dry-run", "--fee", "fast"]) == 0
    out = capsys.readouterr()
    assert "Amount:" in out.out and "Network fee:" in out.out and "Total:" in out.out
    assert "no price" in out.out and "WARNING: you have not sent to this address" in out.out
    assert "nothing was signed" in out.err
    assert _nonce(devnet_snapshot) == 0
    assert main(["send", "devnet", TO, "5", "--asset", "DUSD", "--dry-run", "--json"]) == 0
    review = json.loads(capsys.readouterr().out)
    assert review["asset"] == "DUSD" and review["amount"] == "5000000" and review["fiat"] is None
    assert review["contract"] == devnet_snapshot.deployment.token("DUSD").address
    # By contract address: the token is read from the chain and flagged as not listed.
    dgld = devnet_snapshot.deployment.token("DGLD").address
    assert main(["send", "devnet", TO, "1", "--asset", dgld, "--dry-run"]) == 0
    out = capsys.readouterr()
    assert "1 DGLD" in out.out and "not on the token list" in out.err


def test_send_token_with_yes_and_balance_json(
    with_dusd: Path,
    devnet_snapshot: Devnet,
    capsys: pytest.CaptureFixture[str],
) -> None:
    rc = main(
        [
            "send",
            "devnet",
            TO,
            "12.5",
            "--asset",
            "DUSD",
            "--yes",
            "--json",
            "--password-file",
            str(with_dusd / "pw"),
        ]
    )
    out = capsys.readouterr()
    assert rc == 0, out.err
    doc = json.loads(out.out)  # exactly one document: the review and the result
    assert doc["review"]["asset"] == "DUSD" and doc["review"]["amount"] == "12500000"
    result = doc["result"]
    assert result["state"] == "mined" and result["nonce"] == 0
    assert main(["balance", "--json"]) == 0
    bal = json.loads(capsys.readouterr().out)
    dusd = next(b for b in bal["balances"] if b["asset"] == "DUSD")
    expected = devnet_snapshot.deployment.token("DUSD").demo_amount - 12_500_000
    assert dusd["amount"] == str(expected) and bal["stale"] is False


def test_refusals_are_clear(
    home: Path,  # noqa: F811
    devnet_snapshot: Devnet,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["send", "devnet", TO, "13", "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert "not enough ETH" in err and "12.5 ETH" in err and "Nothing was sent" in err
    # With --json the same refusal is one JSON object on stdout, and stderr stays quiet.
    assert main(["send", "devnet", TO, "13", "--dry-run", "--json"]) == 2
    out = capsys.readouterr()
    assert out.err == "" and "not enough ETH" in json.loads(out.out)["error"]["message"]
    assert main(["--lang", "zh-CN", "send", "devnet", TO, "13", "--dry-run"]) == 2
    assert "ETH 不足：金额加最高网络手续费为" in capsys.readouterr().err
    assert main(["send", "devnet", "vitalik.eth", "1", "--dry-run"]) == 2
    assert "ENS" in capsys.readouterr().err
    # An Ethereum address for a Bitcoin send is refused before any password is asked for.
    assert main(["send", "btc", TO, "1"]) == 2
    assert "recipient refused" in capsys.readouterr().err
    # Without --yes and without a terminal, nothing is sent.
    assert main(["send", "devnet", TO, "1", "--password-file", str(home / "pw")]) == 2
    assert "--yes" in capsys.readouterr().err
    assert _nonce(devnet_snapshot) == 0


def test_balance_marks_stale_when_the_node_is_down(
    home: Path,  # noqa: F811
    devnet_snapshot: Devnet,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from wallet.paths import Paths

    assert main(["balance", "--json"]) == 0
    fresh = json.loads(capsys.readouterr().out)
    Paths.default().config_file.write_text(
        'network = "devnet"\nutxo_networks = []\n[rpc_urls]\ndevnet = ["http://127.0.0.1:9"]\n',
        "utf-8",
    )
    assert main(["balance", "--json"]) == 3
    stale = json.loads(capsys.readouterr().out)
    assert stale["stale"] is True and "127.0.0.1:9" in stale["stale_reason"]
    assert stale["block"] == fresh["block"] and stale["balances"] == fresh["balances"]
    assert main(["balance"]) == 3
    assert "NOT CURRENT" in capsys.readouterr().err


def test_a_wrong_password_never_shows_the_password_or_the_phrase(
    home: Path,  # noqa: F811
    devnet_snapshot: Devnet,
    capsys: pytest.CaptureFixture[str],
) -> None:
    canary = "canary-Secret-7f3a9"
    (home / "wrong").write_text(canary, "utf-8")
    rc = main(["send", "devnet", TO, "1", "--yes", "--password-file", str(home / "wrong")])
    out = capsys.readouterr()
    assert rc == 2 and "password" in out.err.lower()
    for text in (out.out, out.err):
        assert canary not in text and "abandon" not in text
    assert _nonce(devnet_snapshot) == 0
