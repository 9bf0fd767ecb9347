"""The signer agent on one machine (devices/agent_server.py, devices/agent_client.py): the
real socket, protocol, registry and signers; only ssh is left out (tests/tui/
test_agent_ssh.py runs the same through a real sshd and `ssh -R`).

The Trezor tests replay a recording of the Trezor One emulator (tests/devices/transcripts)
through the agent: the agent drives the real TrezorSigner; the replay fails on any byte the
adapter sends that the device never saw.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devices import registry
from devices.agent_client import AgentSigner
from devices.agent_grant import Grant
from devices.agent_protocol import AgentDisconnected, AgentRefused, error_frame, error_from
from devices.agent_requests import CHANGE_MARK, AgentRequest
from devices.agent_server import AgentConfig, SignerAgent
from devices.base import SignerKind
from devices.emulator import EvmTx, SoftwareSigner
from devices.errors import UserCancelled, WrongApp

ROOT = Path(__file__).resolve().parents[2]
PHRASE = "legal winner thank year wave sausage worth useful legal winner thank yellow"
SECRET = bytes(range(32))
ETH = "m/44'/60'/0'/0/0"
TX = EvmTx(
    chain_id=31337,
    nonce=3,
    gas=21_000,
    to="0x" + "35" * 20,
    value=10**15,
    max_fee_per_gas=2 * 10**9,
    max_priority_fee_per_gas=10**9,
)


class Gate:
    """A software signer whose signatures wait until the test opens the gate (a person
    looking at the device), to cut the connection in the middle of one."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.info = inner.info
        self.waiting = threading.Event()
        self.go = threading.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def sign_evm_tx(self, path: str, tx: Any) -> Any:
        self.waiting.set()
        self.go.wait(30)
        return self.inner.sign_evm_tx(path, tx)

    def close(self) -> None:
        pass


def _no_devices() -> registry.Discovery:
    return registry.Discovery()


def _config(directory: Path, seen: list[AgentRequest], **kw: Any) -> AgentConfig:
    kw.setdefault("software", lambda: SoftwareSigner.from_mnemonic(PHRASE))
    kw.setdefault("discover", _no_devices)
    return AgentConfig(secret=SECRET, directory=directory, announce=seen.append, **kw)


@pytest.fixture
def agent_dir(tmp_path: Path) -> Path:
    return tmp_path / "agent"


@pytest.fixture
def seen() -> list[AgentRequest]:
    return []


@pytest.fixture
def use_agent(monkeypatch: pytest.MonkeyPatch, agent_dir: Path) -> None:
    """The server's environment: the socket and the secret `termwallet ssh` would set."""
    import devices.agent_client as client

    monkeypatch.setattr(client, "_secret", None)
    monkeypatch.setenv("TERMWALLET_AGENT_SOCK", str(agent_dir / "agent.sock"))
    monkeypatch.setenv("TERMWALLET_AGENT_SECRET", SECRET.hex())


@pytest.fixture
def agent(agent_dir: Path, seen: list[AgentRequest], use_agent: None) -> Iterator[SignerAgent]:
    with SignerAgent(_config(agent_dir, seen)) as running:
        yield running


def _open() -> Any:
    found = registry.discover_for("agent")
    return registry.open_entry(registry.find("agent", found), None)


# --- what it serves ---------------------------------------------------------------------------


def test_the_registry_lists_and_opens_the_agents_device(agent: SignerAgent) -> None:
    found = registry.discover()
    (entry,) = [d for d in found.devices if d.id.startswith("agent:")]
    assert entry.id == "agent:software"
    assert entry.kind is SignerKind.EMULATOR
    assert entry.model == f"software wallet (via agent on {socket.gethostname()})"
    signer = registry.open_entry(entry, None)
    assert signer.info.model == "software"
    assert signer.info.path == f"agent:{socket.gethostname()}:software"


def test_every_signer_method_answers_as_the_signer_itself(agent: SignerAgent) -> None:
    """Through the agent, each Signer method gives exactly what the software signer gives."""
    sw = SoftwareSigner.from_mnemonic(PHRASE)
    remote = _open()
    assert remote.capabilities() == sw.capabilities()
    assert remote.get_address("eth", ETH) == sw.get_address("eth", ETH)
    assert remote.get_address("devnet", ETH, display=True) == sw.get_address("eth", ETH)
    assert remote.get_address("btc", "m/84'/0'/0'/0/3") == sw.get_address("btc", "m/84'/0'/0'/0/3")
    assert remote.get_address("ltc", "m/84'/2'/0'/1/0") == sw.get_address("ltc", "m/84'/2'/0'/1/0")
    assert remote.get_xpub("m/86'/0'/0'") == sw.get_xpub("m/86'/0'/0'")
    assert remote.get_xpub("m/44'/60'/0'/0") == sw.get_xpub("m/44'/60'/0'/0")
    assert remote.master_fingerprint() == sw.master_fingerprint()
    assert remote.fingerprint == sw.fingerprint
    assert remote.sign_evm_tx(ETH, TX) == sw.sign_evm_tx(ETH, TX)
    assert remote.sign_message(ETH, b"hello\x00") == sw.sign_message(ETH, b"hello\x00")
    typed = json.loads((Path(__file__).parent / "vectors" / "eip712_mail.json").read_text())
    assert remote.sign_typed_data(ETH, typed["typed_data"]) == sw.sign_typed_data(
        ETH, typed["typed_data"]
    )
    # Issue 20: a domain-only document, an EIP-2930 transaction, Bitcoin messages.
    domain_only = {
        "types": {"EIP712Domain": [{"name": "name", "type": "string"}]},
        "primaryType": "EIP712Domain",
        "domain": {"name": "agent"},
        "message": {},
    }
    assert remote.sign_typed_data(ETH, domain_only) == sw.sign_typed_data(ETH, domain_only)
    from devices.models import AccessListEntry

    listed = TX.model_copy(
        update={
            "gas_price": 10**9,
            "max_fee_per_gas": None,
            "max_priority_fee_per_gas": None,
            "access_list": (
                AccessListEntry(address="0x" + "35" * 20, storage_keys=(b"\x01" * 32,)),
            ),
        }
    )
    assert listed.tx_type == 1
    assert remote.sign_evm_tx(ETH, listed) == sw.sign_evm_tx(ETH, listed)
    for fmt in ("bip322", "legacy"):
        got = remote.sign_btc_message("btc", "m/84'/0'/0'/0/0", b"hi", fmt)
        assert got == sw.sign_btc_message("btc", "m/84'/0'/0'/0/0", b"hi", fmt)
    remote.close()


def test_a_psbt_is_signed_through_the_agent_and_its_outputs_and_fee_are_told(
    agent: SignerAgent, seen: list[AgentRequest]
) -> None:
    sw = SoftwareSigner.from_mnemonic(PHRASE)
    psbt, pay_to, fee = _psbt(sw, "m/84'/1'/0'/0/0", "btc-regtest")
    remote = _open()
    assert remote.sign_psbt(psbt, "btc-regtest") == sw.sign_psbt(psbt, "btc-regtest")
    (asked,) = [r for r in seen if r.method == "sign_psbt"]
    assert asked.prompt is not None and asked.prompt.fee is not None
    # Every output is told; the change is marked as what the PSBT claims (the agent cannot
    # derive it to check; a device does).
    shown = [(o.address, o.amount.value) for o in asked.prompt.outputs]
    change = sw.get_address("btc-regtest", "m/84'/1'/0'/1/0")
    assert shown == [(pay_to, 60_000), (change + CHANGE_MARK, 39_000)]
    assert asked.prompt.fee.value == fee


def _psbt(sw: SoftwareSigner, path: str, chain: str) -> tuple[bytes, str, int]:
    """A one-input PSBT spending 100 000 sat of `path`'s P2WPKH: 60 000 to another wallet,
    39 000 change to our .../1/0, 1 000 fee."""
    from embit import bip32, script
    from embit.ec import PublicKey
    from embit.psbt import PSBT, DerivationPath
    from embit.transaction import Transaction, TransactionInput, TransactionOutput

    def spk(p: str, signer: SoftwareSigner) -> tuple[Any, PublicKey, list[int]]:
        xpub = signer.get_xpub(p)
        pub = bip32.HDKey.from_string(xpub).key
        return script.p2wpkh(pub), pub, bip32.parse_path(p)

    mine, pub, der = spk(path, sw)
    change_path = path.rsplit("/", 2)[0] + "/1/0"
    change, cpub, cder = spk(change_path, sw)
    other, _, _ = spk("m/84'/1'/0'/0/0", SoftwareSigner.from_mnemonic("abandon " * 11 + "about"))
    prev = Transaction(
        vin=[TransactionInput(b"\x11" * 32, 0)], vout=[TransactionOutput(100_000, mine)]
    )
    tx = Transaction(
        vin=[TransactionInput(prev.txid(), 0)],
        vout=[TransactionOutput(60_000, other), TransactionOutput(39_000, change)],
    )
    psbt = PSBT(tx)
    psbt.inputs[0].witness_utxo = prev.vout[0]
    psbt.inputs[0].non_witness_utxo = prev
    psbt.inputs[0].bip32_derivations[pub] = DerivationPath(sw.fingerprint, der)
    psbt.outputs[1].bip32_derivations[cpub] = DerivationPath(sw.fingerprint, cder)
    hrp = {"btc-regtest": "bcrt"}[chain]
    return psbt.serialize(), other.address({"bech32": hrp}), 1_000


def test_each_request_is_told_before_it_is_signed(
    agent: SignerAgent, seen: list[AgentRequest]
) -> None:
    remote = _open()
    remote.sign_evm_tx(ETH, TX)
    remote.sign_message(ETH, b"pay me")
    asked = [r for r in seen if r.event == "request"]
    tx = next(r for r in asked if r.method == "sign_evm_tx")
    assert tx.prompt is not None and tx.prompt.amount is not None and tx.prompt.fee is not None
    assert (tx.prompt.address, tx.prompt.chain_id) == (TX.to, 31337)
    assert tx.prompt.amount.value == TX.value
    assert tx.prompt.fee.value == TX.gas * (TX.max_fee_per_gas or 0)
    assert tx.server == f"{socket.gethostname()} (as it says)"
    message = next(r for r in asked if r.method == "sign_message")
    assert message.message == b"pay me"


def test_typed_errors_come_back_as_their_own_types() -> None:
    back = error_from(error_frame(WrongApp("Bitcoin", current="Ethereum"))["error"])
    assert isinstance(back, WrongApp) and back.wanted == "Bitcoin"
    back = error_from(error_frame(UserCancelled("You rejected it"))["error"])
    assert isinstance(back, UserCancelled) and str(back) == "You rejected it"
    from devices.emulator import SigningError

    back = error_from(error_frame(SigningError("bad typed data"))["error"])
    assert back.code == "SIGNING_REFUSED"
    back = error_from({"code": "\x1b[31mX", "message": "m"})
    assert back.code == "DEVICE"
    # Whatever an agent puts in the details, the error is still built.
    back = error_from({"code": "WRONG_PIN", "message": "m", "details": {"message": 1, "a b": 2}})
    assert back.code == "WRONG_PIN" and back.details == {}


def test_a_refusal_at_the_device_is_user_cancelled_on_the_server(
    agent_dir: Path, seen: list[AgentRequest], use_agent: None
) -> None:
    class Refuses(SoftwareSigner):
        def sign_evm_tx(self, path: str, tx: Any) -> Any:
            raise UserCancelled("You rejected the request on the Trezor.")

    config = _config(agent_dir, seen, software=lambda: Refuses.from_mnemonic(PHRASE))
    with SignerAgent(config):
        with pytest.raises(UserCancelled, match="rejected the request"):
            _open().sign_evm_tx(ETH, TX)


# --- who may ask ------------------------------------------------------------------------------


def test_a_process_without_the_secret_is_refused(
    agent: SignerAgent, seen: list[AgentRequest], monkeypatch: pytest.MonkeyPatch
) -> None:
    import devices.agent_client as client

    monkeypatch.setenv("TERMWALLET_AGENT_SECRET", "ab" * 32)
    monkeypatch.setattr(client, "_secret", None)
    found = registry.discover_for("agent")
    assert found.devices == []
    (problem,) = found.problems
    assert problem.code == "AGENT_REFUSED"
    assert "without this session's secret" in problem.message
    assert any(r.event == "refused" for r in seen)


def test_without_a_secret_the_client_says_how_to_get_one(
    agent: SignerAgent, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import devices.agent_client as client

    # A socket of its own: no secret file next to it.
    other = tmp_path / "other"
    other.mkdir(mode=0o700)
    listener = socket.socket(socket.AF_UNIX)
    old = os.umask(0o177)
    listener.bind(str(other / "agent.sock"))
    os.umask(old)
    monkeypatch.setenv("TERMWALLET_AGENT_SOCK", str(other / "agent.sock"))
    monkeypatch.delenv("TERMWALLET_AGENT_SECRET")
    monkeypatch.setattr(client, "_secret", None)
    with pytest.raises(AgentRefused, match="termwallet ssh HOST"):
        client.list_devices(str(other / "agent.sock"))
    listener.close()


def test_the_secret_leaves_the_environment_once_read(agent: SignerAgent) -> None:
    _open()
    assert "TERMWALLET_AGENT_SECRET" not in os.environ  # programs we start do not inherit it


def test_a_socket_open_to_others_is_not_used(
    agent: SignerAgent, agent_dir: Path, use_agent: None
) -> None:
    os.chmod(agent_dir / "agent.sock", 0o666)
    found = registry.discover_for("agent")
    assert found.devices == []
    (problem,) = found.problems
    assert problem.code == "AGENT_REFUSED" and "open to other users (mode 666)" in problem.message
    with pytest.raises(AgentRefused, match="open to other users"):
        AgentSigner.open("software")


def test_the_agent_refuses_a_directory_others_can_enter(tmp_path: Path) -> None:
    loose = tmp_path / "loose"
    loose.mkdir()
    os.chmod(loose, 0o755)
    with pytest.raises(AgentRefused, match="can be entered by other users"):
        SignerAgent(_config(loose, []))


NOBODY = "nobody"


def _as_nobody(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            "setpriv",
            f"--reuid={NOBODY}",
            "--regid=nogroup",
            "--clear-groups",
            sys.executable,
            "-c",
            code,
        ],
        env={"PYTHONPATH": str(ROOT), "PATH": os.environ.get("PATH", "")},
        capture_output=True,
        text=True,
        timeout=60,
    )


def _nobody_possible() -> str | None:
    if os.getuid() != 0 or shutil.which("setpriv") is None:
        return "needs root and setpriv to run a process as another user (nobody)"
    try:
        probe = _as_nobody("import devices.agent_protocol")
    except (OSError, subprocess.SubprocessError) as exc:
        return f"cannot run as nobody: {exc}"
    if probe.returncode != 0:
        return "nobody cannot read this checkout or the Python install"
    return None


CONNECT_AS_NOBODY = """
import socket, sys
from devices.agent_protocol import send_frame, recv_frame
s = socket.socket(socket.AF_UNIX)
try:
    s.connect(sys.argv[1])
except OSError as exc:
    print("connect failed:", exc.strerror)
    raise SystemExit(0)
try:
    send_frame(s, {"v": 1, "op": "hello", "secret": sys.argv[2], "host": "nobody"})
except BrokenPipeError:
    pass  # the agent may refuse (and hang up) before the hello is even sent
print(recv_frame(s))
"""


@pytest.fixture
def world_dir() -> Iterator[Path]:
    """A folder the other user can walk through to the agent's (pytest's are the owner's
    only), so only the agent's own folder and socket modes stand in the way."""
    base = Path(tempfile.mkdtemp(prefix="termwallet-agent-test-", dir="/tmp"))
    os.chmod(base, 0o755)
    try:
        yield base
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_another_user_cannot_reach_the_socket(world_dir: Path, seen: list[AgentRequest]) -> None:
    why = _nobody_possible()
    if why:
        pytest.skip(why)
    with SignerAgent(_config(world_dir / "agent", seen)) as running:
        code = CONNECT_AS_NOBODY.replace("sys.argv[1]", repr(str(running.socket_path)))
        code = code.replace("sys.argv[2]", repr(SECRET.hex()))
        result = _as_nobody(code)
    assert result.returncode == 0, result.stderr
    assert "connect failed: Permission denied" in result.stdout


def test_another_user_with_the_secret_is_refused_by_its_uid(
    world_dir: Path, seen: list[AgentRequest]
) -> None:
    """Even with the folder and socket opened up (a mistake), and the secret known, another
    user's process is refused: the agent checks the peer's uid (SO_PEERCRED)."""
    why = _nobody_possible()
    if why:
        pytest.skip(why)
    with SignerAgent(_config(world_dir / "agent", seen)) as running:
        os.chmod(running.socket_path.parent, 0o755)
        os.chmod(running.socket_path, 0o666)
        code = CONNECT_AS_NOBODY.replace("sys.argv[1]", repr(str(running.socket_path)))
        code = code.replace("sys.argv[2]", repr(SECRET.hex()))
        result = _as_nobody(code)
    assert result.returncode == 0, result.stderr
    assert "AGENT_REFUSED" in result.stdout
    assert "serves only its own user" in result.stdout
    assert any(r.event == "refused" and "uid" in r.detail for r in seen)


# --- what a session may ask -------------------------------------------------------------------


def test_a_chain_or_account_the_session_did_not_open_is_refused(
    agent_dir: Path, seen: list[AgentRequest], use_agent: None
) -> None:
    config = _config(agent_dir, seen, chains=frozenset({"eth"}), accounts=frozenset({0}))
    sw = SoftwareSigner.from_mnemonic(PHRASE)
    with SignerAgent(config):
        remote = _open()
        assert remote.get_address("eth", ETH) == sw.get_address("eth", ETH)
        with pytest.raises(AgentRefused, match=r"Ethereum account 1 .*chains eth, account 0"):
            remote.sign_evm_tx("m/44'/60'/0'/0/1", TX)
        with pytest.raises(AgentRefused, match="the network 'btc'"):
            remote.get_address("btc", "m/84'/0'/0'/0/0")
        with pytest.raises(AgentRefused, match="coin type 0"):
            remote.get_xpub("m/84'/0'/0'")
        with pytest.raises(AgentRefused, match="the network 'btc-regtest'"):
            remote.sign_psbt(_psbt(sw, "m/84'/1'/0'/0/0", "btc-regtest")[0], "btc-regtest")
        with pytest.raises(AgentRefused, match="refused the key"):
            remote.sign_message("m/44'/60'/7'/0/0", b"x")  # another Ethereum layout
        # The session goes on after a refusal.
        assert remote.sign_evm_tx(ETH, TX) == sw.sign_evm_tx(ETH, TX)
    assert sum(r.event == "refused" for r in seen) == 5


def test_a_psbt_spending_an_account_not_opened_is_refused(
    agent_dir: Path, seen: list[AgentRequest], use_agent: None
) -> None:
    config = _config(agent_dir, seen, accounts=frozenset({0}))
    sw = SoftwareSigner.from_mnemonic(PHRASE)
    with SignerAgent(config):
        with pytest.raises(AgentRefused, match=r"account 5 \(m/84'/1'/5'/0/0\)"):
            _open().sign_psbt(_psbt(sw, "m/84'/1'/5'/0/0", "btc-regtest")[0], "btc-regtest")


def test_grant_paths() -> None:
    grant = Grant(frozenset({"eth", "btc-testnet"}), frozenset({0, 2}))
    grant.check_path("m/44'/60'/0'/0", None)  # the Ethereum account key (public)
    grant.check_path("m/44'/60'/0'/0/2", "devnet")  # every EVM network shares the keys
    grant.check_path("m/84'/1'/2'/1/9", "btc-testnet")
    grant.check_path("m/86h/1h/0h", None)
    for path, chain in [
        ("m/44'/60'/0'/0/1", "eth"),
        ("m/84'/1'/1'", None),
        ("m/84'/1'/0'/0/0", "btc-regtest"),
        ("m/84'/1'/0'/0/0", "eth"),
        ("m/44'/60'/0'/0/0", "btc-testnet"),
        ("m/84/1'/0'", None),
        ("m/0'", None),
    ]:
        with pytest.raises(AgentRefused):
            grant.check_path(path, chain)


def test_a_session_is_bound_to_the_device_it_opened(agent: SignerAgent) -> None:
    from devices.agent_client import AgentConnection

    conn = AgentConnection(str(agent.socket_path))
    conn.request({"op": "open", "device": "software"}, None)
    with pytest.raises(AgentRefused, match="bound to software"):
        conn.request({"op": "open", "device": "trezor:udp:127.0.0.1:21324"}, None)
    conn.close()


# --- connections that drop ----------------------------------------------------------------------


def test_a_connection_dropped_mid_signature_fails_clearly_and_the_next_call_reconnects(
    agent_dir: Path, seen: list[AgentRequest], use_agent: None
) -> None:
    gate = Gate(SoftwareSigner.from_mnemonic(PHRASE))
    config = _config(agent_dir, seen, software=lambda: gate)
    sw = SoftwareSigner.from_mnemonic(PHRASE)
    with SignerAgent(config) as running:
        remote = _open()
        failure: list[BaseException] = []

        def sign() -> None:
            try:
                remote.sign_evm_tx(ETH, TX)
            except BaseException as exc:
                failure.append(exc)

        worker = threading.Thread(target=sign)
        worker.start()
        assert gate.waiting.wait(10)
        for session in list(running._sessions):  # the link dies (ssh ended, Wi-Fi gone)
            session.conn.shutdown(socket.SHUT_RDWR)
        worker.join(10)
        gate.go.set()
        (exc,) = failure
        assert isinstance(exc, AgentDisconnected)
        assert "dropped during sign_evm_tx" in str(exc) and "nothing was sent" in str(exc)
        # The next request opens a new session by itself.
        gate.waiting.clear()
        assert remote.sign_evm_tx(ETH, TX) == sw.sign_evm_tx(ETH, TX)


def test_an_agent_restarted_mid_flow_is_found_again(
    agent_dir: Path, seen: list[AgentRequest], use_agent: None
) -> None:
    sw = SoftwareSigner.from_mnemonic(PHRASE)
    first = SignerAgent(_config(agent_dir, seen)).start()
    remote = _open()
    assert remote.get_address("eth", ETH) == sw.get_address("eth", ETH)
    first.stop()
    with pytest.raises(AgentDisconnected, match="No signer agent at"):
        remote.sign_evm_tx(ETH, TX)  # the agent is gone: said before anything is sent
    with SignerAgent(_config(agent_dir, seen)):
        # Reads retry on a fresh connection, signatures go on the next call.
        assert remote.get_xpub("m/84'/0'/0'") == sw.get_xpub("m/84'/0'/0'")
        assert remote.sign_evm_tx(ETH, TX) == sw.sign_evm_tx(ETH, TX)
    assert sum(r.event == "session" for r in seen) == 2


def test_an_idle_session_is_closed_and_the_next_request_opens_a_new_one(
    agent_dir: Path, seen: list[AgentRequest], use_agent: None
) -> None:
    sw = SoftwareSigner.from_mnemonic(PHRASE)
    with SignerAgent(_config(agent_dir, seen, idle_timeout=0.3)):
        remote = _open()
        deadline = time.monotonic() + 10
        while not any(r.event == "closed" for r in seen):
            assert time.monotonic() < deadline, seen
            time.sleep(0.05)
        assert "idle" in next(r.detail for r in seen if r.event == "closed")
        # A signature after the idle close goes through: the closed session is noticed
        # before the request is sent, not reported as a drop in the middle of it.
        assert remote.sign_evm_tx(ETH, TX) == sw.sign_evm_tx(ETH, TX)
    assert sum(r.event == "session" for r in seen) == 2


# --- a recorded Trezor One through the agent -----------------------------------------------------


def test_a_recorded_trezor_one_signs_through_the_agent(
    agent_dir: Path, seen: list[AgentRequest], use_agent: None
) -> None:
    from devices.transcript import Transcript, replay_trezor_transport
    from devices.trezor import TrezorSigner
    from tests.devices.emulator_seed import TRANSCRIPTS, recorded_meta, recorded_seed
    from tests.devices.test_trezor import (
        Recorder,
        check_against_software,
        check_prompts,
        run_scenario,
    )

    name = "trezor_one_scenario.json"
    udp = "udp:127.0.0.1:21324"
    transport = replay_trezor_transport(Transcript.load(TRANSCRIPTS / name), path=udp)
    at_laptop = Recorder()

    def discover() -> registry.Discovery:
        entry = registry.DeviceEntry(f"trezor:{udp}", SignerKind.TREZOR, "Trezor", udp)
        return registry.Discovery(devices=[entry])

    def open_entry(entry: Any, interaction: Any) -> Any:
        return TrezorSigner(transport, interaction)

    config = _config(
        agent_dir,
        seen,
        software=None,
        discover=discover,
        open_entry=open_entry,
        interaction=at_laptop,
    )
    with SignerAgent(config):
        found = registry.discover_for("agent")
        (entry,) = found.devices
        assert entry.id == f"agent:trezor:{udp}" and entry.kind is SignerKind.TREZOR
        on_server = Recorder()
        signer = AgentSigner.open(entry.path, on_server)
        assert signer.info.model == "Trezor One"
        out = run_scenario(signer)
        signer.close()
    assert transport.cursor.finished, "the agent skipped recorded exchanges"
    recorded = recorded_meta(name)["results"]
    del out["info"], recorded["info"]
    assert out == recorded
    check_against_software(out, recorded_seed(name))
    # The device's screens were shown where the person is, and also on the server's side.
    check_prompts(at_laptop, out["displayed"], "btc")
    check_prompts(on_server, out["displayed"], "btc")
    assert on_server.asked.count("finished") == 4
    told = [r for r in seen if r.event == "request" and r.prompt is not None]
    assert {r.method for r in told} == {"get_address", "sign_evm_tx", "sign_typed_data"}


class NeverAsked:
    """The server side's Interaction: it may show the device's screens, but a PIN or a
    passphrase must never be asked there."""

    def __init__(self) -> None:
        self.shown: list[Any] = []

    def get_pin(self, kind: Any) -> str:
        raise AssertionError("the server was asked for the PIN")

    def get_passphrase(self, *, on_device_ok: bool) -> Any:
        raise AssertionError("the server was asked for the passphrase")

    def confirm_on_device(self, prompt: Any) -> None:
        self.shown.append(prompt)

    def finished(self) -> None:
        pass


def test_pin_and_passphrase_are_asked_at_the_agent_never_on_the_server(
    agent_dir: Path, seen: list[AgentRequest], use_agent: None
) -> None:
    """The recording of a PIN- and passphrase-protected Trezor One (tests/devices/
    test_trezor_pin.py): its hidden wallet, then its standard wallet, each in a session of
    its own. The person at the agent enters the PIN (once: the device stays unlocked) and the
    passphrases; the server's side is never asked, and gets what the device gave."""
    from devices.transcript import Transcript, replay_trezor_transport
    from devices.trezor import TrezorSigner
    from tests.devices.emulator_seed import TRANSCRIPTS, recorded_meta, recorded_seed
    from tests.devices.test_trezor_pin import PROTECTED, check_protected, wallet_answers

    meta = recorded_meta(PROTECTED)
    udp = "udp:127.0.0.1:21324"
    transport = replay_trezor_transport(Transcript.load(TRANSCRIPTS / PROTECTED), path=udp)

    class AtTheLaptop:
        """The person at the agent: the recorded PIN positions, then the hidden wallet's
        passphrase, then the standard wallet's (empty)."""

        device = "device"

        def __init__(self) -> None:
            self.pins: list[Any] = []
            self.passphrases = [meta["passphrase"], ""]

        def get_pin(self, kind: Any) -> str:
            self.pins.append(kind)
            return str(meta["pin"]["positions"])

        def get_passphrase(self, *, on_device_ok: bool) -> Any:
            return self.passphrases.pop(0)

        def confirm_on_device(self, prompt: Any) -> None:
            pass

        def finished(self) -> None:
            pass

    person = AtTheLaptop()

    def discover() -> registry.Discovery:
        entry = registry.DeviceEntry(f"trezor:{udp}", SignerKind.TREZOR, "Trezor", udp)
        return registry.Discovery(devices=[entry])

    config = _config(
        agent_dir,
        seen,
        software=None,
        discover=discover,
        open_entry=lambda entry, interaction: TrezorSigner(transport, interaction),
        interaction=person,
    )
    out: dict[str, Any] = {}
    with SignerAgent(config):
        for wallet, sign in (("hidden", True), ("standard", False)):
            signer = AgentSigner.open(f"trezor:{udp}", NeverAsked())
            try:
                out[wallet] = wallet_answers(signer, sign=sign)
            finally:
                signer.close()
    assert transport.cursor.finished, "the agent skipped recorded exchanges"
    assert out == meta["results"]
    check_protected(out, recorded_seed(PROTECTED), meta["passphrase"])
    assert len(person.pins) == 1 and person.passphrases == []
    assert person.device == "Trezor One"  # the agent's prompts name the model


@pytest.mark.parametrize("chain", ["btc", "ltc"])
def test_a_recorded_trezor_one_signs_a_psbt_through_the_agent(
    chain: str, agent_dir: Path, seen: list[AgentRequest], use_agent: None
) -> None:
    """tests/devices/test_trezor_psbt.py's recordings, through the agent: the same exchanges
    with the device (the agent's own check of the PSBT's keys asks it nothing more), the
    same signed PSBT, the device's screen shown on the server's side, and the agent telling
    the payment (the stranger's output, the fee; change left out) before the device shows it."""
    from devices.transcript import Transcript, replay_trezor_transport
    from devices.trezor import TrezorSigner
    from tests.devices.emulator_seed import TRANSCRIPTS, recorded_meta, recorded_seed
    from tests.devices.test_trezor import Recorder
    from tests.devices.test_trezor_psbt import (
        CASES,
        FEE,
        PAY,
        build_psbt,
        check_prompts,
        check_signed,
        device_keys,
        recorded_keys,
    )

    name, coin, taproot = CASES[chain]
    udp = "udp:127.0.0.1:21324"
    transport = replay_trezor_transport(Transcript.load(TRANSCRIPTS / name), path=udp)

    def discover() -> registry.Discovery:
        entry = registry.DeviceEntry(f"trezor:{udp}", SignerKind.TREZOR, "Trezor", udp)
        return registry.Discovery(devices=[entry])

    config = _config(
        agent_dir,
        seen,
        software=None,
        discover=discover,
        open_entry=lambda entry, interaction: TrezorSigner(transport, interaction),
    )
    on_server = Recorder()
    with SignerAgent(config):
        signer = AgentSigner.open(f"trezor:{udp}", on_server)
        keys = device_keys(signer, coin, taproot=taproot)
        unsigned, spent = build_psbt(coin, keys)
        signed = signer.sign_psbt(unsigned, chain)
        signer.close()
    assert transport.cursor.finished, "the agent skipped recorded exchanges"
    assert keys == recorded_keys(name)
    assert recorded_meta(name)["signed_psbt"] == signed.hex()
    check_signed(chain, signed, unsigned, spent, recorded_seed(name))
    check_prompts(chain, on_server)
    (told,) = [r for r in seen if r.method == "sign_psbt"]
    assert told.prompt is not None and told.prompt.fee is not None
    assert told.prompt.fee.value == FEE
    paid = [o for o in told.prompt.outputs if not o.address.endswith(CHANGE_MARK)]
    assert [o.amount.value for o in paid] == [PAY]
