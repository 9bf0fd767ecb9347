"""Hardware wallets inside the app, driven with keys (App.run_test + Pilot): connect from the
Assets screen, the header naming the device, signing a send with "confirm on your device" on
screen while the device waits, and each device failure in its own words.

The device: a Ledger as the app finds it, through the real registry (TERMWALLET_SPECULOS lists
a speculos APDU port), ledgerwallet's TCP transport and our adapter. On that port a small
server on 127.0.0.1 answers with the APDUs recorded from speculos (tests/devices/
test_ledger_app_flows.py records them) and fails on any APDU that differs; it can hold the
signing APDU (a device waiting for its buttons) or hang up (a cable pulled). Speculos has no
lock screen, so the locked device is the recording with its signing answer replaced by 5515,
the status a locked Ledger answers: that one answer is synthetic, and says so.

The session is on Ethereum mainnet's chain id with its node at 127.0.0.1:9 (nothing listens):
nothing here reaches a network; a signed send is stored, then its broadcast fails.
"""

from __future__ import annotations

import html
import re
import socket
import threading
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from textual.widgets import Static

from devices.transcript import Cursor, Transcript, TranscriptMismatch
from tests.devices.emulator_seed import TRANSCRIPTS, recorded_seed
from tests.devices.test_ledger_app_flows import BTC_OPEN, ME, SEND, SEND_REJECT
from tests.devices.test_trezor import EIP1559_TX, ETH_PATH
from tui.app import TermwalletApp, make_app
from tui.i18n import t
from tui.screens.device_choose import DeviceChooseScreen
from tui.screens.device_confirm import DeviceConfirmScreen

SIGN_APDU = "e004"  # SIGN ETH TRANSACTION


class ReplaySpeculos:
    """speculos' APDU port (4-byte length, APDU; answer length, answer, status word) answering
    from a recording."""

    def __init__(self, transcript: Transcript, *, hold: bool = False, hang_up: bool = False):
        self.cursor = Cursor(transcript)
        self.errors: list[str] = []
        self.hold, self.hang_up = hold, hang_up
        self.waiting = threading.Event()  # the signing APDU arrived and is held
        self.release = threading.Event()
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(1)
        self.address = f"127.0.0.1:{self._sock.getsockname()[1]}"
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @staticmethod
    def _exact(conn: socket.socket, n: int) -> bytes:
        buf = b""
        while len(buf) < n:
            part = conn.recv(n - len(buf))
            if not part:
                return b""
            buf += part
        return buf

    def _serve(self) -> None:
        # Like speculos, a connection closed before any APDU (the registry checking that
        # something listens) is let go, and the next one is served.
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            with conn:
                head = self._exact(conn, 4)
                if head:
                    self._conversation(conn, head)
                    return

    def _conversation(self, conn: socket.socket, head: bytes) -> None:
        while head:
            apdu = self._exact(conn, int.from_bytes(head, "big"))
            if apdu.hex().startswith(SIGN_APDU):
                if self.hang_up:
                    return  # closes the connection mid-request
                if self.hold:
                    self.waiting.set()
                    self.release.wait(10)
            try:
                self.cursor.write(apdu)
                answer = self.cursor.read()
            except TranscriptMismatch as exc:
                self.errors.append(str(exc))
                return
            assert answer is not None
            conn.sendall((len(answer) - 2).to_bytes(4, "big") + answer)
            head = self._exact(conn, 4)

    def close(self) -> None:
        self.release.set()
        self._sock.close()
        self._thread.join(5)


class LedgerSession:
    """Services for make_app: one account (the recorded Ledger's m/44'/60'/0'/0/0) on chain
    id 1; the software fallback holds the seed speculos held (the recording's meta)."""

    demo = False

    def __init__(self, home: Path) -> None:
        self.home = home

    async def open_session(self) -> Any:
        from chains.networks import get_network
        from devices.emulator import SoftwareSigner
        from wallet.backends import backend_for
        from wallet.session import WalletSession
        from wallet.store import Store

        network = get_network("eth", {"eth": ["http://127.0.0.1:9"]})
        return WalletSession(
            store=Store(self.home / "wallet.sqlite"),
            network=network,
            backend=backend_for(network),
            addresses=[ME],
            assets=[network.native_asset],
            signer="software",
            active_signer=SoftwareSigner.from_mnemonic(recorded_seed(SEND)),
            paths={ME: ETH_PATH},
        )

    async def close(self) -> None:
        return None


def _text(app: TermwalletApp) -> str:
    svg = app.export_screenshot()
    return html.unescape(re.sub(r"<[^>]+>", "", svg)).replace("\xa0", " ")


def _toasts(app: TermwalletApp) -> str:
    """The notifications on screen, unwrapped (a toast wraps its text)."""
    return "\n".join(n.message for n in app._notifications)


def _header_signer(app: TermwalletApp) -> str:
    return str(app.screen.query_one("#hdr-signer", Static).render())


async def _until(pilot: Any, cond: Any, what: str, steps: int = 400) -> None:
    for _ in range(steps):
        if cond():
            return
        await pilot.pause(0.02)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def speculos(monkeypatch: pytest.MonkeyPatch):
    servers: list[ReplaySpeculos] = []

    def start(name: str, transcript: Transcript | None = None, **kw: Any) -> ReplaySpeculos:
        server = ReplaySpeculos(transcript or Transcript.load(TRANSCRIPTS / name), **kw)
        servers.append(server)
        monkeypatch.setenv("TERMWALLET_SPECULOS", server.address)
        return server

    yield start
    for s in servers:
        s.close()


async def _connect(pilot: Any, app: TermwalletApp) -> None:
    """Assets -> h -> the modal lists the Ledger -> enter."""
    await _until(pilot, lambda: app.session is not None, "the session")
    await pilot.press("h")
    await _until(pilot, lambda: isinstance(app.screen, DeviceChooseScreen), "the device list")
    text = _text(app)
    assert "Ledger (speculos)" in text and t("devices.choose.software") in text
    await pilot.press("enter")  # the first entry: the Ledger


def _review() -> Any:
    """The review of EIP1559_TX as the send screen builds it (mainnet, chain id 1)."""
    from chains.fees import FeeQuote, FeeTier
    from chains.networks import get_network
    from wallet.send import Review

    network = get_network("eth", {"eth": ["http://127.0.0.1:9"]})
    tx = EIP1559_TX
    return Review(
        network=network,
        sender=ME,
        path=ETH_PATH,
        recipient=tx.to,
        asset=network.native_asset,
        amount=tx.value,
        fee=FeeQuote(
            tier=FeeTier.NORMAL,
            max_fee_per_gas=tx.max_fee_per_gas or 0,
            max_priority_fee_per_gas=tx.max_priority_fee_per_gas or 0,
            base_fee=10**9,
        ),
        gas=tx.gas,
        nonce=tx.nonce,
        tx=tx,
        native_balance=10**18,
        asset_balance=10**18,
        warnings=(),
    )


async def _sign(pilot: Any, app: TermwalletApp) -> Any:
    from tui.screens.send_review import SendReviewScreen

    screen = SendReviewScreen(_review())
    app.push_screen(screen)
    await _until(pilot, lambda: app.screen is screen, "the review")
    await pilot.press("ctrl+s")
    return screen


def _status(screen: Any) -> str:
    return str(screen.query_one("#review-status", Static).render())


# --- connect ------------------------------------------------------------------------------------


async def test_connect_a_ledger_then_sign_a_send_on_it(speculos: Any, tmp_path: Path):
    server = speculos(SEND, hold=True)
    app = make_app(None, LedgerSession(tmp_path))
    async with app.run_test(size=(110, 36)) as pilot:
        await _until(pilot, lambda: app.session is not None, "the session")
        assert _header_signer(app).endswith(t("header.software"))
        await _connect(pilot, app)
        await _until(pilot, lambda: _header_signer(app).endswith("Ledger"), "the header")
        assert app.session.signer == "Ledger"
        assert app.session.active_signer.info.firmware == "Ethereum 1.10.4-dev"

        screen = await _sign(pilot, app)
        # The device holds the request: the app shows what it shows, and stays responsive.
        await _until(pilot, server.waiting.is_set, "the signing request on the device")
        await _until(pilot, lambda: isinstance(app.screen, DeviceConfirmScreen), "confirm")
        text = _text(app)
        assert t("devices.confirm.title", device="Ledger") in text
        assert EIP1559_TX.to in text and "0.000000000000012345 ETH" in text
        server.release.set()
        await _until(pilot, lambda: app.screen is screen, "the confirm screen to close")
        await _until(pilot, lambda: screen.phase != "signing", "the send to finish")
        assert not server.errors and server.cursor.finished
        # Signed by the device and stored before the broadcast (which fails: no node).
        row = app.session.store.db.execute("SELECT raw_tx FROM outbox").fetchone()
        raw = row["raw_tx"]
        raw = bytes.fromhex(raw.removeprefix("0x")) if isinstance(raw, str) else bytes(raw)
        assert Account.recover_transaction(raw) == ME


async def test_software_wallet_switches_back(speculos: Any, tmp_path: Path):
    speculos(SEND)
    app = make_app(None, LedgerSession(tmp_path))
    async with app.run_test(size=(110, 36)) as pilot:
        software = None
        await _until(pilot, lambda: app.session is not None, "the session")
        software = app.session.active_signer
        await _connect(pilot, app)
        await _until(pilot, lambda: _header_signer(app).endswith("Ledger"), "the header")
        await pilot.press("h")
        await _until(pilot, lambda: isinstance(app.screen, DeviceChooseScreen), "the list")
        await pilot.press("down", "enter")  # "Use the software wallet"
        await _until(pilot, lambda: _header_signer(app).endswith(t("header.software")), "back")
        assert app.session.active_signer is software


async def test_no_device_keeps_the_software_signer(tmp_path: Path, monkeypatch: Any):
    monkeypatch.delenv("TERMWALLET_SPECULOS", raising=False)
    app = make_app(None, LedgerSession(tmp_path))
    async with app.run_test(size=(110, 36)) as pilot:
        await _until(pilot, lambda: app.session is not None, "the session")
        software = app.session.active_signer
        await pilot.press("h")
        await _until(pilot, lambda: isinstance(app.screen, DeviceChooseScreen), "the list")
        assert not app.screen.found.devices, "this test expects no hardware wallet plugged in"
        assert "No hardware wallet found" in _text(app)
        await pilot.press("escape")
        await _until(pilot, lambda: not isinstance(app.screen, DeviceChooseScreen), "close")
        assert app.session.active_signer is software
        assert _header_signer(app).endswith(t("header.software"))


async def test_bitcoin_app_open_at_connect_says_which_app_to_open(speculos: Any, tmp_path: Path):
    server = speculos(BTC_OPEN)
    app = make_app(None, LedgerSession(tmp_path))
    async with app.run_test(size=(110, 36)) as pilot:
        await _connect(pilot, app)
        wanted = t("devices.error.WRONG_APP", wanted="Ethereum", device="Ledger")
        await _until(pilot, lambda: wanted in _toasts(app), "the wrong-app message")
        assert _header_signer(app).endswith(t("header.software"))
        assert app.session.signer == "software"
        assert not server.errors and server.cursor.finished


async def test_a_device_with_another_seed_is_refused(speculos: Any, tmp_path: Path):
    speculos(SEND)

    class OtherAccount(LedgerSession):
        async def open_session(self) -> Any:
            session = await super().open_session()
            other = "0x" + "11" * 20
            session.addresses = (other,)
            session._paths = {other: ETH_PATH}
            return session

    app = make_app(None, OtherAccount(tmp_path))
    async with app.run_test(size=(110, 36)) as pilot:
        await _connect(pilot, app)
        await _until(pilot, lambda: "holds another wallet" in _toasts(app), "the refusal")
        assert app.session.signer == "software"


# --- signing failures, each in the device's words -----------------------------------------------


def _with_sign_answer(answer_hex: str) -> Transcript:
    tr = Transcript.load(TRANSCRIPTS / SEND)
    i = next(i for i, e in enumerate(tr.events) if e["hex"].startswith(SIGN_APDU))
    tr.events = [*tr.events[: i + 1], {"op": "read", "hex": answer_hex}]
    return tr


def _recorded_wrong_app_answer() -> str:
    events = Transcript.load(TRANSCRIPTS / BTC_OPEN).events
    return events[-1]["hex"]  # what the Bitcoin app answered to an Ethereum command


@pytest.mark.parametrize(
    ("case", "key", "values"),
    [
        ("rejected", "devices.error.USER_CANCELLED", {}),
        ("unplugged", "devices.error.DISCONNECTED", {}),
        ("locked", "devices.error.DEVICE_LOCKED", {}),
        ("wrong_app", "devices.error.WRONG_APP", {"wanted": "Ethereum"}),
    ],
)
async def test_signing_failures_show_their_own_message(
    speculos: Any, tmp_path: Path, case: str, key: str, values: dict[str, str]
):
    if case == "rejected":
        server = speculos(SEND_REJECT)
    elif case == "unplugged":
        server = speculos(SEND, hang_up=True)
    elif case == "locked":
        server = speculos("", _with_sign_answer("5515"))  # synthetic: see the module doc
    else:
        server = speculos("", _with_sign_answer(_recorded_wrong_app_answer()))
    app = make_app(None, LedgerSession(tmp_path))
    async with app.run_test(size=(110, 36)) as pilot:
        await _connect(pilot, app)
        await _until(pilot, lambda: app.session.signer == "Ledger", "connected")
        screen = await _sign(pilot, app)
        await _until(pilot, lambda: screen.phase == "idle" and _status(screen), "the failure")
        assert _status(screen) == t(key, device="Ledger", **values)
        assert app.screen is screen, "the confirm-on-device screen must close on a failure"
        assert not server.errors
        assert app.session.store.db.execute("SELECT count(*) FROM outbox").fetchone()[0] == 0
