"""Sign on the laptop, run on the server (issue 18), over a real sshd and a real `ssh -R`.

One machine plays both: the "laptop" is a TERMWALLET_HOME with a software wallet and a
`termwallet agent --software` process (its "Sign? [y/N]" answered on its stdin, as a person
would); the "server" is another TERMWALLET_HOME reached through the test's own sshd on
127.0.0.1, where `termwallet ssh` runs the remote termwallet. The server's wallet is a device
wallet read through the agent; its send is signed at the agent and confirms on the devnet.
Under the `emulator` marker the same send is signed on the live Trezor One emulator served by
the laptop's agent (tests/tui/agent_pressing.py: DebugLink is the finger on its button).
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pytest

from tests.devices.test_trezor import debuglink, emulator_seed  # noqa: F401  (fixtures)
from tests.fixtures.cli import one_document
from tests.fixtures.devnet import Devnet
from tests.fixtures.litecoin import Regtest
from tests.fixtures.sshd import Sshd, sshd  # noqa: F401  (fixture)
from wallet.keystore import KdfParams, Keystore

ROOT = Path(__file__).resolve().parents[2]
PHRASE = "legal winner thank year wave sausage worth useful legal winner thank yellow"
ADDRESS = "0x58A57ed9d8d624cBD12e2C467D34787555bB1b25"  # PHRASE at m/44'/60'/0'/0/0
PASSWORD = "the laptop's password"
RECIPIENT = "0x" + "42" * 20


def _termwallet(home: Path) -> list[str]:
    return [sys.executable, "-m", "tui"]


def _env(home: Path, agent_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        TERMWALLET_HOME=str(home),
        TERMWALLET_AGENT_DIR=str(agent_dir),
        PYTHONPATH=str(ROOT),
        LANG="C.UTF-8",
    )
    for name in ("TERMWALLET_AGENT_SOCK", "TERMWALLET_AGENT_SECRET"):
        env.pop(name, None)
    return env


@dataclass
class Agent:
    proc: subprocess.Popen[str]
    log: Path

    def answer(self, text: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()

    def text(self) -> str:
        return self.log.read_text()

    def wait_for(self, needle: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while needle not in self.text():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"agent never said {needle!r}:\n{self.text()}")
            time.sleep(0.05)
        return self.text()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@dataclass
class World:
    laptop: Path
    server: Path
    agent_dir: Path
    password_file: Path
    sshd: Sshd
    devnet: Devnet | None

    def start_agent(self, *extra: str) -> Agent:
        log = self.agent_dir.parent / f"agent-{time.monotonic_ns()}.log"
        stream: IO[str] = log.open("w")
        proc = subprocess.Popen(
            [
                *_termwallet(self.laptop),
                "agent",
                "--software",
                "--password-file",
                str(self.password_file),
                *extra,
            ],
            env=_env(self.laptop, self.agent_dir),
            stdin=subprocess.PIPE,
            stdout=stream,
            stderr=stream,
            text=True,
        )
        agent = Agent(proc, log)
        agent.wait_for("Signer agent ready")
        return agent

    def remote_termwallet(self) -> str:
        """What runs termwallet on the "server": this checkout, the server's home."""
        return " ".join(
            [
                "env",
                f"TERMWALLET_HOME={shlex.quote(str(self.server))}",
                f"PYTHONPATH={shlex.quote(str(ROOT))}",
                shlex.quote(sys.executable),
                "-m",
                "tui",
            ]
        )

    def ssh(
        self,
        *remote_args: str,
        remote: str | None = None,
        options: tuple[str, ...] = (),
        timeout: float = 120,
    ) -> subprocess.CompletedProcess[str]:
        """`termwallet ssh OPTIONS ... 127.0.0.1 -- ARGS` from the laptop."""
        return subprocess.run(
            [
                *_termwallet(self.laptop),
                "ssh",
                *options,
                "--remote-termwallet",
                remote or self.remote_termwallet(),
                *self.sshd.ssh_options,
                self.sshd.host,
                "--",
                *remote_args,
            ],
            env=_env(self.laptop, self.agent_dir),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )


def _homes(tmp_path: Path, server_config: str) -> tuple[Path, Path, Path]:
    """The laptop's home (a software wallet, cheap KDF parameters: test-only, stored in the
    file), the server's (only its config), and the laptop's password file."""
    from wallet.paths import Paths

    laptop, server = tmp_path / "laptop", tmp_path / "server"
    env_home = os.environ.get("TERMWALLET_HOME")
    try:
        os.environ["TERMWALLET_HOME"] = str(laptop)
        paths = Paths.default().ensure()
        Keystore(paths.data_dir / "keystore.json", kdf=KdfParams.cheap_for_tests()).create(
            PHRASE, PASSWORD
        ).lock()
        os.environ["TERMWALLET_HOME"] = str(server)
        Paths.default().ensure().config_file.write_text(server_config)
    finally:
        if env_home is None:
            os.environ.pop("TERMWALLET_HOME", None)
        else:
            os.environ["TERMWALLET_HOME"] = env_home
    password_file = tmp_path / "password.txt"
    password_file.write_text(PASSWORD + "\n")
    return laptop, server, password_file


@pytest.fixture
def world(
    tmp_path: Path,
    sshd: Sshd,  # noqa: F811
    devnet_snapshot: Devnet,
) -> Iterator[World]:
    laptop, server, password_file = _homes(
        tmp_path,
        'network = "devnet"\nutxo_networks = []\n'
        f'rpc_urls = {{ devnet = ["{devnet_snapshot.rpc_url}"] }}\n',
    )
    devnet_snapshot.rpc("anvil_setBalance", [ADDRESS, hex(10**18)])
    yield World(laptop, server, tmp_path / "agent", password_file, sshd, devnet_snapshot)


def _nonce(devnet: Devnet | None) -> int:
    assert devnet is not None
    return int(devnet.rpc("eth_getTransactionCount", [ADDRESS, "latest"]), 16)


@pytest.mark.devnet
def test_a_send_on_the_server_is_signed_at_the_laptops_agent_and_confirms(world: World) -> None:
    sockets_before = set(Path("/tmp").glob("termwallet-agent-*.sock"))
    agent = world.start_agent()
    try:
        listed = world.ssh("devices")
        assert listed.returncode == 0, listed.stderr
        assert "agent:software" in listed.stdout
        assert "software wallet (via agent on " in listed.stdout
        # The server's wallet: the account keys read through the agent (no phrase on it).
        init = world.ssh("init", "--device", "agent", "--json")
        assert init.returncode == 0, init.stderr
        assert ADDRESS in init.stdout
        assert "opened a session" in agent.text()
        assert world.devnet is not None
        before = int(world.devnet.rpc("eth_getBalance", [RECIPIENT, "latest"]), 16)
        agent.answer("y")  # the person at the laptop says yes to the one signature
        sent = world.ssh("send", "devnet", RECIPIENT, "0.25", "--yes")
        assert sent.returncode == 0, sent.stderr + agent.text()
        after = int(world.devnet.rpc("eth_getBalance", [RECIPIENT, "latest"]), 16)
        assert after - before == 25 * 10**16
        assert _nonce(world.devnet) == 1
        shown = agent.text()
        # What the agent printed before signing: chain, recipient, amount, fee, who asked.
        assert "asks:" in shown
        assert "0x4242424242424242424242424242424242424242" in shown
        assert "0.25" in shown and "ETH" in shown
        assert "31337" in shown
        # Who asked: the host of the ssh connection the request came through.
        assert f"{world.sshd.host} (ssh) asks:" in shown
        # The forwarded sockets did not outlive their sessions on the server.
        assert set(Path("/tmp").glob("termwallet-agent-*.sock")) <= sockets_before
    finally:
        agent.stop()


@pytest.mark.devnet
def test_a_refusal_at_the_agent_sends_nothing(world: World) -> None:
    agent = world.start_agent()
    try:
        assert world.ssh("init", "--device", "agent").returncode == 0
        agent.answer("n")
        sent = world.ssh("send", "devnet", RECIPIENT, "0.25", "--yes")
        assert sent.returncode != 0
        assert "Rejected on your software wallet. Nothing was signed." in sent.stderr
        assert _nonce(world.devnet) == 0
    finally:
        agent.stop()


@pytest.mark.devnet
def test_agent_killed_mid_signature_then_restarted_the_send_goes_through(world: World) -> None:
    agent = world.start_agent()
    try:
        assert world.ssh("init", "--device", "agent").returncode == 0
        proc = subprocess.Popen(
            [
                *_termwallet(world.laptop),
                "ssh",
                "--remote-termwallet",
                world.remote_termwallet(),
                *world.sshd.ssh_options,
                world.sshd.host,
                "--",
                "send",
                "devnet",
                RECIPIENT,
                "0.25",
                "--yes",
            ],
            env=_env(world.laptop, world.agent_dir),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        agent.wait_for("Sign with the software wallet")  # waiting for the person
        # Meanwhile no command line on this machine (the laptop's ssh, the server's shell and
        # termwallet: one machine plays both) shows the session secret.
        secret = (world.agent_dir / "secret").read_text().strip()
        for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
            try:
                words = cmdline.read_bytes()
            except OSError:
                continue  # gone already
            assert secret.encode() not in words, cmdline
        agent.proc.kill()  # the laptop's agent dies mid-signature
        _, err = proc.communicate(timeout=60)
        assert proc.returncode != 0
        assert "signer agent" in err and "dropped during sign_evm_tx" in err, err
        assert _nonce(world.devnet) == 0
        # The agent is started again (same folder and secret): the same send now goes through.
        agent = world.start_agent()
        agent.answer("y")
        again = world.ssh("send", "devnet", RECIPIENT, "0.25", "--yes")
        assert again.returncode == 0, again.stderr + agent.text()
        assert _nonce(world.devnet) == 1
    finally:
        agent.stop()


def test_a_server_process_without_the_secret_is_refused_through_the_forward(
    world: World,
) -> None:
    """Any process on the server that reaches the forwarded socket but does not hold the
    session secret (here: a script that connects with its own) is refused, and the agent
    says so."""
    agent = world.start_agent()
    try:
        probe = (
            "import os, socket; "
            "from devices.agent_protocol import send_frame, recv_frame; "
            "s = socket.socket(socket.AF_UNIX); s.connect(os.environ['TERMWALLET_AGENT_SOCK']); "
            "send_frame(s, {'v': 1, 'op': 'hello', 'secret': '00' * 32, 'host': 'intruder'}); "
            "print(recv_frame(s)); "
            "os.unlink(os.environ['TERMWALLET_AGENT_SOCK'])"  # as termwallet does at exit
        )
        remote = " ".join(
            [
                "env",
                f"PYTHONPATH={shlex.quote(str(ROOT))}",
                shlex.quote(sys.executable),
                "-c",
                shlex.quote(probe),
            ]
        )
        result = world.ssh(remote=remote)
        assert result.returncode == 0, result.stderr
        assert "AGENT_REFUSED" in result.stdout
        assert "without this session's secret" in result.stdout
        agent.wait_for("Refused for")
        assert "devices" not in result.stdout  # nothing was listed to it
    finally:
        agent.stop()


@pytest.mark.devnet
def test_a_chain_or_account_the_session_did_not_open_is_refused(world: World) -> None:
    agent = world.start_agent("--chains", "btc", "--accounts", "0")
    try:
        init = world.ssh("init", "--device", "agent", "--json")
        assert init.returncode == 0, init.stderr
        # Only the Bitcoin accounts were given: the Ethereum key was refused by the agent.
        assert ADDRESS not in init.stdout
        assert "refused" in agent.text() and "Ethereum" in agent.text()
        sent = world.ssh("send", "devnet", RECIPIENT, "0.25", "--yes")
        assert sent.returncode != 0
        assert _nonce(world.devnet) == 0
    finally:
        agent.stop()


@pytest.mark.regtest
def test_a_litecoin_psbt_send_on_the_server_is_signed_at_the_agent_and_confirms(
    tmp_path: Path,
    sshd: Sshd,  # noqa: F811
    regtest: Regtest,
) -> None:
    """The PSBT flow: the server's device wallet builds a Litecoin regtest PSBT, the agent
    tells its outputs and fee and signs it, the server broadcasts it, a block confirms it."""
    laptop, server, password_file = _homes(
        tmp_path,
        'network = "eth"\nrpc_urls = { eth = ["http://127.0.0.1:9"] }\n'
        'utxo_networks = ["ltc-regtest"]\n'
        f'[electrum_servers]\nltc-regtest = ["{regtest.electrum_tcp}"]\n',
    )
    world = World(laptop, server, tmp_path / "agent", password_file, sshd, None)
    agent = world.start_agent()
    try:
        assert world.ssh("init", "--device", "agent").returncode == 0
        got = world.ssh("address", "ltc-regtest")
        assert got.returncode == 0, got.stderr
        receive = got.stdout.strip()
        funding = regtest.fund(receive, 10**8)
        regtest.mine(1)
        regtest.wait_electrum_height(regtest.height(), funded=receive, txid=funding)
        to = str(regtest.rpc("getnewaddress", "", "bech32"))
        agent.answer("y")
        sent = world.ssh("send", "ltc-regtest", to, "0.25", "--yes", "--json", "--no-wait")
        assert sent.returncode == 0, sent.stderr + agent.text()
        txid = one_document(sent.stdout)[1]["txid"]
        regtest.mine(1)
        paid = regtest.rpc("gettransaction", txid)
        assert paid["confirmations"] == 1 and paid["amount"] == pytest.approx(0.25)
        told = agent.text()
        assert "asks:" in told and to in told and "0.25" in told
        assert not (server / "data" / "keystore.json").exists()
    finally:
        agent.stop()


def test_without_a_running_agent_termwallet_ssh_starts_one_and_cleans_up(
    tmp_path: Path,
    sshd: Sshd,  # noqa: F811
) -> None:
    """No agent runs on the laptop: `termwallet ssh` starts one for the connection (no
    software wallet: its question would need the terminal the remote wallet holds), the
    server sees it (here with no device plugged in), and both sockets are gone afterwards."""
    laptop, server, password_file = _homes(tmp_path, "")
    world = World(laptop, server, tmp_path / "agent", password_file, sshd, None)
    before = set(Path("/tmp").glob("termwallet-agent-*.sock"))
    listed = world.ssh("devices", "--json")
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout)["problems"] == []  # reached, and the secret was right
    assert "started a signer agent for this connection" in listed.stderr
    log = (world.agent_dir / "requests.log").read_text()
    assert "Refused" not in log
    assert not (world.agent_dir / "agent.sock").exists()
    assert set(Path("/tmp").glob("termwallet-agent-*.sock")) <= before
    refused = world.ssh("devices", options=("--software",))
    assert refused.returncode == 2
    assert "termwallet agent --software" in refused.stderr


def test_a_recorded_trezor_one_on_the_laptop_makes_a_device_wallet_on_the_server(
    tmp_path: Path,
    sshd: Sshd,  # noqa: F811
) -> None:
    """The recording behind tests/tui/test_device_wallet_cli_replay.py (init --device
    --show-on-device, wallets, address --show-on-device of the device wallet), made on the
    server through `termwallet ssh` while the Trezor One (its recording) is at the laptop's
    agent: the same bytes reach the device, and the server stores what the device gave."""
    from tests.devices.emulator_seed import TRANSCRIPTS, recorded_meta, recorded_seed
    from tests.tui.test_device_wallet_cli_replay import NAME, check

    laptop, server, password_file = _homes(tmp_path, "")
    world = World(laptop, server, tmp_path / "agent", password_file, sshd, None)
    secret = os.urandom(32).hex()
    world.agent_dir.mkdir(mode=0o700)
    (world.agent_dir / "secret").write_text(secret)
    log = tmp_path / "replay-agent.log"
    agent = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.tui.agent_replay",
            str(TRANSCRIPTS / NAME),
            str(world.agent_dir),
            secret,
        ],
        env=_env(laptop, world.agent_dir),
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        cwd=ROOT,
    )
    try:
        deadline = time.monotonic() + 30
        while "ready" not in log.read_text():
            assert agent.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        out: dict[str, object] = {}
        init = world.ssh("init", "--device", "agent", "--show-on-device", "--json")
        assert init.returncode == 0, init.stderr + log.read_text()
        body = json.loads(init.stdout)
        out["wallet"] = body["wallet"]
        out["accounts"] = {f"{a['family']} {a['script']}": a["address"] for a in body["accounts"]}
        lines = init.stderr.splitlines()
        out["checked_on_device"] = [x for x in lines if x.startswith("Check on")]
        out["not_added"] = [x for x in lines if x.startswith("not added")]
        wallets = world.ssh("wallets", "--json")
        assert wallets.returncode == 0, wallets.stderr
        out["wallets"] = json.loads(wallets.stdout)
        shown = world.ssh("address", "btc", "--change", "--show-on-device", "--json")
        assert shown.returncode == 0, shown.stderr + log.read_text()
        out["change_address"] = json.loads(shown.stdout)["address"]
        out["change_shown"] = [x for x in shown.stderr.splitlines() if x.startswith("Shown on")]
    finally:
        agent.terminate()
        agent.wait(30)
    assert (world.agent_dir / "finished").read_text() == "True", "recorded exchanges skipped"
    assert out == recorded_meta(NAME)["results"]
    check(out, recorded_seed(NAME))
    told = log.read_text()
    assert "session open Trezor One" in told
    assert "request get_address" in told  # each address shown on the device was told first


@pytest.mark.emulator
@pytest.mark.devnet
def test_a_send_on_the_server_is_signed_on_the_laptops_live_trezor_and_confirms(
    tmp_path: Path,
    sshd: Sshd,  # noqa: F811
    devnet_snapshot: Devnet,
    emulator_seed: str,  # noqa: F811  (whatever the emulator holds; skips without one)
) -> None:
    """The live Trezor One emulator at the laptop's `termwallet agent` (DebugLink pressing
    its button after the agent told the request): through `termwallet ssh`, the server makes
    a device wallet of it (init --device) and sends ETH on the devnet, signed on the device;
    the transaction confirms from the address the emulator's seed gives."""
    from devices.emulator import SoftwareSigner

    me = SoftwareSigner.from_mnemonic(emulator_seed).get_address("eth", "m/44'/60'/0'/0/0")
    laptop, server, _ = _homes(
        tmp_path,
        'network = "devnet"\nutxo_networks = []\n'
        f'rpc_urls = {{ devnet = ["{devnet_snapshot.rpc_url}"] }}\n',
    )
    world = World(laptop, server, tmp_path / "agent", tmp_path / "unused", sshd, devnet_snapshot)
    devnet_snapshot.rpc("anvil_setBalance", [me, hex(10**18)])
    log = tmp_path / "trezor-agent.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.tui.agent_pressing"],
        env=_env(laptop, world.agent_dir),
        stdin=subprocess.DEVNULL,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        text=True,
        cwd=ROOT,
    )
    agent = Agent(proc, log)
    try:
        agent.wait_for("Signer agent ready")
        listed = world.ssh("devices")
        assert listed.returncode == 0, listed.stderr
        assert "Trezor" in listed.stdout and "(via agent on " in listed.stdout, listed.stdout
        init = world.ssh("init", "--device", "agent", "--json")
        assert init.returncode == 0, init.stderr + agent.text()
        made = json.loads(init.stdout)
        assert made["wallet"]["kind"] == "device" and made["wallet"]["model"] == "Trezor One"
        eth = next(a for a in made["accounts"] if a["family"] == "eth")
        assert eth["address"] == me
        before = int(devnet_snapshot.rpc("eth_getBalance", [RECIPIENT, "latest"]), 16)
        sent = world.ssh("send", "devnet", RECIPIENT, "0.25", "--yes", "--json")
        assert sent.returncode == 0, sent.stderr + agent.text()
        tx_hash = json.loads(sent.stdout)["result"]["tx_hash"]
        receipt = devnet_snapshot.rpc("eth_getTransactionReceipt", [tx_hash])
        assert int(receipt["status"], 16) == 1
        assert receipt["from"].lower() == me.lower()
        assert receipt["to"].lower() == RECIPIENT.lower()
        after = int(devnet_snapshot.rpc("eth_getBalance", [RECIPIENT, "latest"]), 16)
        assert after - before == 25 * 10**16
        told = agent.text()
        # Before the device was asked, the agent said who asked, and what: chain, recipient,
        # amount; the button was pressed only after that.
        asks = told.index(f"{sshd.host} (ssh) asks:")
        assert asks < told.index("(DebugLink presses yes)")
        assert "0x4242424242424242424242424242424242424242" in told[asks:]
        assert "0.25" in told[asks:] and "ETH" in told[asks:] and "31337" in told[asks:]
        assert not (server / "data" / "keystore.json").exists()  # no phrase on the server
        print(told)  # what the agent printed (shown with -s)
    finally:
        agent.stop()
