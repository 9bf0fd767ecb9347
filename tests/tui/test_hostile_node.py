"""The CLI and the wallet against a node that lies (issue 14): anvil behind a proxy whose
answers are rewritten (tests/fixtures/hostile_node.py). Each test is one case of the issue and
failed on the code before its fix."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.devnet import Devnet
from tests.fixtures.hostile_node import HostileNode
from tests.wallet.test_pending_crash import home  # noqa: F401 (fixture)
from tui.cli import main

pytestmark = pytest.mark.devnet
TO = "0x00000000000000000000000000000000C0FFEE01"


@pytest.fixture
def liar(home: Path, devnet_snapshot: Devnet) -> Iterator[HostileNode]:  # noqa: F811
    """The wallet's only RPC URL is the lying proxy (honest until told otherwise)."""
    node = HostileNode(devnet_snapshot.rpc_url)
    _urls(node.url)
    yield node
    node.close()


def _urls(*urls: str) -> None:
    from wallet.paths import Paths

    quoted = ", ".join(f'"{u}"' for u in urls)
    Paths.default().config_file.write_text(
        f'network = "devnet"\nutxo_networks = []\n[rpc_urls]\ndevnet = [{quoted}]\n', "utf-8"
    )


def _nonce(devnet: Devnet) -> int:
    return int(devnet.rpc("eth_getTransactionCount", [devnet.demo_address, "latest"]), 16)


def _send(home: Path, *args: str) -> int:  # noqa: F811
    return main(["send", "devnet", *args, "--password-file", str(home / "pw")])


# -- 6: the chain id of every RPC URL ---------------------------------------------------------


def test_a_node_of_another_chain_is_refused_by_name(
    home: Path,  # noqa: F811
    liar: HostileNode,
    devnet_snapshot: Devnet,
    capsys: pytest.CaptureFixture[str],
) -> None:
    liar.lie("eth_chainId", lambda params, honest: "0x1")
    assert _send(home, TO, "1", "--yes") == 2
    err = capsys.readouterr().err
    assert liar.url in err and "31337" in err and "chain id 1" in err
    assert _nonce(devnet_snapshot) == 0
    assert main(["balance", "--json"]) == 3
    out = json.loads(capsys.readouterr().out)
    assert out["stale"] is True and liar.url in out["stale_reason"]
    # With an honest second URL the wallet uses that one and never the liar's answers.
    _urls(liar.url, devnet_snapshot.rpc_url)
    assert main(["balance", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["stale"] is False


# -- 1 and 9: token decimals and symbol ------------------------------------------------------


def _mined(out: str) -> bool:
    return json.loads(out)["result"]["state"] == "mined"


def test_a_token_keeps_the_decimals_it_was_confirmed_with(
    home: Path,  # noqa: F811
    liar: HostileNode,
    devnet_snapshot: Devnet,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from tests.fixtures.hostile_node import (
        DECIMALS_SELECTOR,
        SYMBOL_SELECTOR,
        abi_string,
        on_call,
        word,
    )

    dgld = devnet_snapshot.deployment.token("DGLD")
    # First use by contract address: what the contract says is shown, confirmed and stored.
    assert _send(home, TO, "1", "--asset", dgld.address, "--yes", "--json") == 0
    out = capsys.readouterr()
    assert _mined(out.out) and f"{dgld.decimals} decimals" in out.err
    # Later the node answers other decimals: 0.000005 would become 10^6 times more.
    liar.lie("eth_call", on_call(DECIMALS_SELECTOR, word(dgld.decimals + 6), dgld.address))
    assert _send(home, TO, "0.000005", "--asset", dgld.address, "--yes") == 2
    err = capsys.readouterr().err
    assert "decimals" in err and "Nothing was signed" in err
    assert _send(home, TO, "0.000005", "--asset", "DGLD", "--yes") == 2
    assert "Nothing was signed" in capsys.readouterr().err
    # Another symbol for the same contract stops it too.
    liar.lie("eth_call", on_call(SYMBOL_SELECTOR, abi_string("USDC"), dgld.address))
    assert _send(home, TO, "1", "--asset", "DGLD", "--yes") == 2
    assert "USDC" in capsys.readouterr().err
    assert _nonce(devnet_snapshot) == 1


@pytest.mark.parametrize("decimals", [37, 255])
def test_absurd_decimals_are_a_message_not_a_traceback(
    home: Path,  # noqa: F811
    liar: HostileNode,
    devnet_snapshot: Devnet,
    capsys: pytest.CaptureFixture[str],
    decimals: int,
) -> None:
    from tests.fixtures.hostile_node import DECIMALS_SELECTOR, on_call, word

    dgld = devnet_snapshot.deployment.token("DGLD")
    liar.lie("eth_call", on_call(DECIMALS_SELECTOR, word(decimals)))
    assert _send(home, TO, "1", "--asset", dgld.address, "--yes") == 2
    err = capsys.readouterr().err
    assert f"decimals() = {decimals}" in err and "Traceback" not in err
    assert _nonce(devnet_snapshot) == 0


@pytest.mark.parametrize(
    ("method", "answer", "said"),
    [
        ("eth_feeHistory", None, "fee history"),
        ("eth_getTransactionCount", hex(2**70), "nonce"),
        ("eth_getTransactionCount", "0x", "nonce"),
        ("eth_estimateGas", "0x" + "f" * 70, "gas estimate"),
    ],
)
def test_nonsense_answers_are_a_message_and_nothing_is_signed(
    home: Path,  # noqa: F811
    liar: HostileNode,
    devnet_snapshot: Devnet,
    capsys: pytest.CaptureFixture[str],
    method: str,
    answer: object,
    said: str,
) -> None:
    liar.lie(method, lambda params, honest: answer)
    dusd = devnet_snapshot.deployment.token("DUSD").address  # a token send estimates its gas
    assert _send(home, TO, "1", "--asset", dusd, "--yes") == 2
    err = capsys.readouterr().err
    assert said in err and "Traceback" not in err
    assert _nonce(devnet_snapshot) == 0
    from wallet.paths import Paths
    from wallet.store import Store

    store = Store(Paths.default().database)
    try:
        assert store.db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == 0
    finally:
        store.close()


def test_a_truncated_answer_is_a_message(
    home: Path,  # noqa: F811
    liar: HostileNode,
    devnet_snapshot: Devnet,
    capsys: pytest.CaptureFixture[str],
) -> None:
    liar.truncate = True
    assert _send(home, TO, "1", "--yes") == 2
    err = capsys.readouterr().err
    assert liar.url in err and "Traceback" not in err
    assert main(["balance", "--json"]) == 3
    assert json.loads(capsys.readouterr().out)["stale"] is True
    assert _nonce(devnet_snapshot) == 0


# -- 2 and 11: fees ---------------------------------------------------------------------------


def _fee_history_of(per_gas: int) -> object:
    def lie(params: list[object], honest: dict[str, object]) -> dict[str, object]:
        base = [hex(per_gas)] * len(honest["baseFeePerGas"])  # type: ignore[arg-type]
        reward = [[hex(per_gas)] * 3 for _ in honest.get("reward") or []]  # type: ignore[attr-defined]
        return honest | {"baseFeePerGas": base, "reward": reward}

    return lie


def test_a_fee_far_above_the_evidence_needs_its_own_flag(
    home: Path,  # noqa: F811
    liar: HostileNode,
    devnet_snapshot: Devnet,
    capsys: pytest.CaptureFixture[str],
) -> None:
    liar.lie("eth_feeHistory", _fee_history_of(10**14))  # type: ignore[arg-type]
    assert _send(home, TO, "0.01", "--yes") == 2
    captured = capsys.readouterr()
    assert "WARNING: THE NETWORK FEE IS FAR ABOVE" in captured.out
    assert "--accept-high-fee" in captured.err
    assert _nonce(devnet_snapshot) == 0
    # With the flag the user's word is taken: the review said it loudly.
    assert _send(home, TO, "0.01", "--yes", "--accept-high-fee", "--json") == 0
    assert _mined(capsys.readouterr().out)
    # An honest node's fees need no flag.
    liar.honest()
    assert _send(home, TO, "0.01", "--yes", "--json") == 0
    assert "high_fee" not in capsys.readouterr().out


# -- 4: a refusal is the node's word, not the chain's ------------------------------------------


def _outbox_states() -> list[tuple[int, str]]:
    from wallet.paths import Paths
    from wallet.store import Store

    store = Store(Paths.default().database)
    try:
        rows = store.db.execute("SELECT nonce, state FROM outbox ORDER BY id").fetchall()
        return [(int(r[0]), str(r[1])) for r in rows]
    finally:
        store.close()


def test_a_refused_broadcast_that_was_mined_is_not_dropped(
    home: Path,  # noqa: F811
    liar: HostileNode,
    devnet_snapshot: Devnet,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from tests.fixtures.hostile_node import RpcError

    # The node passes the bytes on (anvil mines them) and answers "insufficient funds".
    liar.lie("eth_sendRawTransaction", lambda params, honest: RpcError("insufficient funds"))
    assert _send(home, TO, "1", "--yes") == 2
    err = capsys.readouterr().err
    assert "may still reach the chain" in err and "termwallet balance" in err
    assert _nonce(devnet_snapshot) == 1  # it was mined
    assert _outbox_states() == [(0, "unknown")]
    liar.honest()
    assert main(["balance", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out["settled"]["mined"]) == 1
    assert _outbox_states() == [(0, "mined")]


# -- 3: retrying after a crash -----------------------------------------------------------------


def test_retrying_after_a_crash_does_not_pay_twice(
    home: Path,  # noqa: F811
    devnet_snapshot: Devnet,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from tests.wallet.test_pending_crash import _cli

    # Killed once the signed transaction is stored, before it leaves.
    killed = _cli(
        home, "send", "devnet", TO, "1", "--yes", "--password-file", str(home / "pw"),
        kill_at="stored",
    )  # fmt: skip
    assert killed.returncode != 0 and _nonce(devnet_snapshot) == 0
    # The same command again: the first payment is re-sent and named, the second refused.
    assert _send(home, TO, "1", "--yes") == 2
    captured = capsys.readouterr()
    assert "re-sent a payment signed before a crash" in captured.err
    assert "--send-again" in captured.err
    assert "WARNING: a payment of this amount to this recipient" in captured.out
    assert _nonce(devnet_snapshot) == 1
    # Said explicitly, it pays a second time.
    assert _send(home, TO, "1", "--yes", "--send-again", "--json") == 0
    assert _mined(capsys.readouterr().out) and _nonce(devnet_snapshot) == 2


# -- 5: the nonce --------------------------------------------------------------------------------


def test_a_nonce_gap_is_refused_and_poisons_nothing(
    home: Path,  # noqa: F811
    liar: HostileNode,
    devnet_snapshot: Devnet,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def plus_five(params: list[object], honest: str) -> str:
        return hex(int(honest, 16) + 5) if params[-1] == "pending" else honest

    liar.lie("eth_getTransactionCount", plus_five)
    assert _send(home, TO, "1", "--yes", "--no-wait") == 2
    err = capsys.readouterr().err
    assert "gap" in err and "Nothing was signed" in err and "another RPC URL" in err
    assert _outbox_states() == []
    liar.honest()
    assert _send(home, TO, "1", "--yes", "--json") == 0
    assert _mined(capsys.readouterr().out) and _nonce(devnet_snapshot) == 1


def test_sent_is_printed_only_when_the_node_has_the_transaction(
    home: Path,  # noqa: F811
    liar: HostileNode,
    devnet_snapshot: Devnet,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from eth_utils import keccak

    # The node answers the right hash but never passes the transaction on.
    liar.drop.add("eth_sendRawTransaction")
    liar.lie(
        "eth_sendRawTransaction",
        lambda params, honest: "0x" + keccak(hexstr=str(params[0])).hex(),
    )
    assert _send(home, TO, "1", "--yes", "--no-wait") == 1
    captured = capsys.readouterr()
    assert "sent:" not in captured.out and "does not hold it" in captured.err
    assert _nonce(devnet_snapshot) == 0
    # Kept and broadcast again once the node behaves: one payment, not two.
    liar.honest()
    assert main(["balance", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["settled"]["mined"]) == 1
    assert _nonce(devnet_snapshot) == 1


# -- 8: amounts are ASCII digits and one dot ------------------------------------------------------


@pytest.mark.parametrize("amount", ["1\u0660", "\uff11", "0_1"])
def test_unicode_digits_and_underscores_are_not_amounts(
    home: Path,  # noqa: F811
    devnet_snapshot: Devnet,
    capsys: pytest.CaptureFixture[str],
    amount: str,
) -> None:
    assert _send(home, TO, amount, "--yes") == 2
    assert "not an amount" in capsys.readouterr().err
    dusd = devnet_snapshot.deployment.token("DUSD").address
    args = ["swap", "ETH", dusd, "0.1", "--network", "devnet", "--dry-run"]
    assert main([*args, "--slippage", "\uff15\uff10"]) == 2
    assert "not an amount" in capsys.readouterr().err
    assert _nonce(devnet_snapshot) == 0


# -- 7: outside strings reach the terminal as text ------------------------------------------------

EVIL = "USDC\r\x1b[2KOK: USDC is verified.\x1b]0;pwned\x07"


def test_a_token_symbol_cannot_rewrite_the_terminal(
    home: Path,  # noqa: F811
    liar: HostileNode,
    devnet_snapshot: Devnet,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from tests.fixtures.hostile_node import SYMBOL_SELECTOR, RpcError, abi_string, on_call

    dgld = devnet_snapshot.deployment.token("DGLD").address
    liar.lie("eth_call", on_call(SYMBOL_SELECTOR, abi_string(EVIL), dgld))
    assert _send(home, TO, "1", "--asset", dgld, "--dry-run") == 0
    out = capsys.readouterr()
    # A node's error text, too.
    liar.honest()
    liar.lie("eth_sendRawTransaction", lambda params, honest: RpcError(EVIL))
    assert _send(home, TO, "1", "--yes") == 2
    refused = capsys.readouterr()
    for text in (out.out, out.err, refused.out, refused.err):
        assert "\x1b" not in text and "\r" not in text and "\x07" not in text
    assert "USDC\ufffd\ufffd[2KOK" in out.out  # shown, harmless


# -- 10: the app's balances note after a failed read ----------------------------------------------


async def test_the_automatic_refresh_clears_a_failed_read(
    devnet_snapshot: Devnet, tmp_path: Path
) -> None:
    from textual.widgets import DataTable, Static

    from tui.app import make_app
    from tui.screenshots import settle
    from tui.services import AttachedDemoServices
    from wallet.settings import Settings

    node = HostileNode(devnet_snapshot.rpc_url)
    deployment = devnet_snapshot.deployment.model_copy(update={"rpc_url": node.url})
    services = AttachedDemoServices(deployment, devnet_snapshot.demo_address, tmp_path)
    app = make_app(Settings(), services)
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            table = app.screen.query_one("#assets-table", DataTable)
            assert table.row_count == 3

            def note() -> str:
                return str(app.screen.query_one("#assets-note", Static).render())

            node.truncate = True  # answers cut short (aiohttp's ClientPayloadError)
            await pilot.press("ctrl+r")
            await settle(pilot)
            assert "Reading balances" not in note() and node.url in note()
            node.honest()
            app.screen._periodic_refresh()  # type: ignore[attr-defined]  # the timer's call
            await settle(pilot)
            assert "Reading balances" not in note() and "Not current" not in note()
            assert "12.5" in str(table.get_row_at(0))
    finally:
        node.close()
