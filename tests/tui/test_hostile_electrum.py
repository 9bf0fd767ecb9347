"""`termwallet send ltc-regtest` and `balance` against an Electrum server that lies (issue 14,
the Bitcoin/Litecoin path): litecoind + ElectrumX behind the lying proxy of
tests/fixtures/hostile_electrum.py. The fee-rate tests failed on the code before the bound
(the wallet signed whatever rate the server estimated, --yes was enough)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.cli import one_document
from tests.fixtures.hostile_electrum import HostileElectrum
from tests.fixtures.hostile_node import RpcError
from tests.fixtures.litecoin import Regtest
from tests.fixtures.utxo_wallet import regtest_wallet_home as _home
from tui.cli import main
from wallet.paths import Paths

pytestmark = pytest.mark.regtest
# A phrase of this module's own (entropy 0x14 x 16): its coins are nobody else's.
COIN = 10**8


@pytest.fixture
def liar(regtest: Regtest, termwallet_home: Path) -> Iterator[tuple[HostileElectrum, Path]]:
    """The wallet's only Electrum server is the lying proxy (honest until told otherwise), and
    its SegWit account holds 5 LTC, confirmed."""
    server = HostileElectrum(regtest.electrum_tcp)
    pw, first = _home(termwallet_home, server.url)
    if not _funded(first):
        regtest.fund(first, 5 * COIN)
        regtest.mine(1)
        regtest.wait_electrum_height(regtest.height())
        _FUNDED.add(first)
    yield server, pw
    server.close()
    if regtest.rpc("getrawmempool", wallet=None):
        regtest.mine(1)  # what a test sent is settled before the next one counts coins
        regtest.wait_electrum_height(regtest.height())


_FUNDED: set[str] = set()


def _funded(address: str) -> bool:
    return address in _FUNDED


def _send(pw: Path, to: str, *args: str) -> int:
    return main(["send", "ltc-regtest", to, "0.5", *args, "--password-file", str(pw)])


def _rate(ltc_per_kb: str) -> object:
    return lambda params, honest: float(ltc_per_kb)


def _mempool(regtest: Regtest) -> list[str]:
    return list(regtest.rpc("getrawmempool", wallet=None))


def test_a_fee_rate_above_the_coins_range_needs_its_own_flag(
    regtest: Regtest,
    liar: tuple[HostileElectrum, Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    server, pw = liar
    to = str(regtest.rpc("getnewaddress", "", "bech32"))
    # 0.08 LTC/kB = 8,000 litoshi/vB: sixteen times Litecoin's ceiling (and below the
    # 10,000 litecoind itself refuses as absurd, -maxfeerate: its own bound, not ours).
    server.lie("blockchain.estimatefee", _rate("0.08"))
    assert _send(pw, to, "--yes", "--no-wait") == 2
    cap = capsys.readouterr()
    assert "WARNING: THE FEE RATE IS FAR ABOVE" in cap.out
    assert "--accept-high-fee" in cap.err and "Traceback" not in cap.err
    assert _mempool(regtest) == []
    # The user's explicit word: then it goes, at exactly the reviewed rate.
    assert _send(pw, to, "--yes", "--no-wait", "--accept-high-fee", "--json") == 0
    review, result = one_document(capsys.readouterr().out)
    assert review["high_fee"] is True and review["fee_rate_sat_vb"] == 8_000
    txid = result["txid"]
    entry = regtest.rpc("getmempoolentry", txid, wallet=None)
    assert round(float(entry["fees"]["base"]) * COIN) == int(review["fee"])


def test_a_fee_rate_is_judged_against_the_servers_own_mempool(
    regtest: Regtest,
    liar: tuple[HostileElectrum, Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """100 litoshi/vB is within Litecoin's range, but the mempool (empty on regtest) needs only
    the relay floor: flagged. The same rate with a histogram of a full mempool at 150 is not."""
    server, pw = liar
    to = str(regtest.rpc("getnewaddress", "", "bech32"))
    server.lie("blockchain.estimatefee", _rate("0.001"))
    assert _send(pw, to, "--dry-run", "--json") == 0
    review = json.loads(capsys.readouterr().out)
    assert review["fee_rate_sat_vb"] == 100 and review["high_fee"] is True
    assert review["next_block_rate_sat_vb"] is not None and review["next_block_rate_sat_vb"] < 10
    server.lie("mempool.get_fee_histogram", lambda params, honest: [[150, 1_200_000]])
    assert _send(pw, to, "--dry-run", "--json") == 0
    review = json.loads(capsys.readouterr().out)
    assert review["next_block_rate_sat_vb"] == 150 and review["high_fee"] is False
    # A histogram that is not one is a message, not a traceback.
    server.lie("mempool.get_fee_histogram", lambda params, honest: [["x", -1]])
    assert _send(pw, to, "--dry-run") == 2
    assert "histogram" in capsys.readouterr().err


def test_a_refusal_of_a_transaction_the_server_did_send_is_not_a_failure(
    regtest: Regtest,
    liar: tuple[HostileElectrum, Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    server, pw = liar
    to = str(regtest.rpc("getnewaddress", "", "bech32"))
    # Forwarded, then "refused": the payment is in the mempool, the wallet must say sent.
    server.lie("blockchain.transaction.broadcast", lambda p, h: RpcError("bad-txns-spent", 1))
    assert _send(pw, to, "--yes", "--no-wait", "--json") == 0
    sent = one_document(capsys.readouterr().out)[1]
    assert sent["state"] == "broadcast" and sent["txid"] in _mempool(regtest)
    regtest.mine(1)
    regtest.wait_electrum_height(regtest.height())
    # Not passed on and "refused": failed, nothing in the mempool; the same send then goes.
    server.drop.add("blockchain.transaction.broadcast")
    assert _send(pw, to, "--yes", "--no-wait") == 2
    err = capsys.readouterr().err
    assert "bad-txns-spent" in err and "Traceback" not in err
    assert _mempool(regtest) == []
    server.honest()
    assert _send(pw, to, "--yes", "--no-wait", "--json") == 0
    assert one_document(capsys.readouterr().out)[1]["txid"] in _mempool(regtest)


@pytest.mark.parametrize("lie", ["fake_history", "truncate", "nonsense_estimate"])
def test_nonsense_from_the_server_is_a_message_and_nothing_is_signed(
    regtest: Regtest,
    liar: tuple[HostileElectrum, Path],
    capsys: pytest.CaptureFixture[str],
    lie: str,
) -> None:
    server, pw = liar
    to = str(regtest.rpc("getnewaddress", "", "bech32"))
    if lie == "fake_history":
        # A transaction that does not exist in every address's history: the server cannot
        # produce it, and the balance must not be made of it.
        fake = {"tx_hash": "ab" * 32, "height": 5}
        server.lie("blockchain.scripthash.get_history", lambda p, h: [*(h or []), fake])
    elif lie == "truncate":
        server.truncate = True
    else:
        server.lie("blockchain.estimatefee", lambda p, h: "lots")
    assert main(["balance", "--json"]) == 3
    cap = capsys.readouterr()
    rows = json.loads(cap.out)["utxo"]
    # The balance does not read fee estimates: only the other two make it stale.
    assert all(r["stale"] is (lie != "nonsense_estimate") for r in rows)
    assert "Traceback" not in cap.err
    assert _send(pw, to, "--yes", "--no-wait") == 2
    err = capsys.readouterr().err
    assert err.startswith("termwallet: ") and "Traceback" not in err
    assert _mempool(regtest) == []


def test_a_server_that_hides_funds_cannot_make_the_wallet_pay_more(
    regtest: Regtest,
    liar: tuple[HostileElectrum, Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """What a server CAN do (docs/security.md): hide the coins. The wallet then shows 0 and
    refuses to send; it never signs on coins it cannot verify."""
    server, pw = liar
    to = str(regtest.rpc("getnewaddress", "", "bech32"))
    server.lie("blockchain.scripthash.get_history", lambda p, h: [])
    assert main(["balance", "--json"]) in (0, 3)
    rows = json.loads(capsys.readouterr().out)["utxo"]
    assert {r["amount"] for r in rows} <= {"0", None}
    assert _send(pw, to, "--yes", "--no-wait") == 2
    assert "not enough" in capsys.readouterr().err
    assert _mempool(regtest) == []


async def test_the_app_flags_a_lying_fee_rate_and_asks_twice(
    regtest: Regtest, liar: tuple[HostileElectrum, Path]
) -> None:
    from textual.widgets import Input, Static

    from tests.tui.test_utxo_app import _text, _unlock, _until
    from tui.app import make_app
    from tui.screens.send_utxo import SendUtxoReviewScreen, SendUtxoScreen
    from tui.screenshots import settle
    from tui.services import UserServices

    server, _pw = liar
    server.lie("blockchain.estimatefee", _rate("0.08"))  # 8,000 litoshi/vB
    to = str(regtest.rpc("getnewaddress", "", "bech32"))
    app = make_app(services=UserServices(Paths.default()), language="en")
    async with app.run_test(size=(100, 50)) as pilot:
        await _unlock(pilot)
        screen = app.screen
        await _until(pilot, lambda: screen.utxo_view is not None, "Litecoin balances")
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, SendUtxoScreen)
        app.screen.query_one("#send-to", Input).value = to
        app.screen.query_one("#send-amount", Input).value = "0.5"
        await pilot.press("ctrl+r")
        await settle(pilot)
        review_screen = app.screen
        assert isinstance(review_screen, SendUtxoReviewScreen), _text(app)
        assert review_screen.review.high_fee
        warning = str(review_screen.query_one("#utxo-review-high-fee", Static).render())
        assert "FAR ABOVE" in warning
        assert "Fee evidence: the server's mempool needs 1 sat/vB" in _text(app)
        await pilot.press("ctrl+s")  # the first press only warns
        await settle(pilot)
        assert "Press ctrl+s again to pay it anyway" in _text(app)
        assert _mempool(regtest) == []
        await pilot.press("ctrl+s")
        await _until(pilot, lambda: review_screen.phase == "pending", "broadcast")
        assert review_screen.txid in _mempool(regtest)
