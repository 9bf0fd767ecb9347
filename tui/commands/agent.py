"""`termwallet agent` (serve this machine's devices to a termwallet elsewhere) and
`termwallet ssh [ssh options] HOST [-- COMMAND...]` (open termwallet on HOST, signing here).

The agent (devices/agent_server.py) listens on a socket in a 0700 directory; `termwallet ssh`
forwards that socket to a fresh private path on HOST with OpenSSH's own Unix-socket forwarding
(`ssh -R REMOTE:LOCAL`) and starts the remote termwallet with the socket's path and the
session secret in its environment (devices/agent_client.py takes them from there).

The secret never appears on a command line here: it reaches ssh inside a temporary ssh config
(RemoteCommand, 0600 in a 0700 directory, removed when ssh ends). On HOST it is in the
remote shell's command for the instant before `exec`, then only in termwallet's environment.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from tui.cli import SafeArgumentParser
from tui.errors import sentence

DIR_ENV = "TERMWALLET_AGENT_DIR"
# What `termwallet ssh` runs on the server unless told otherwise.
REMOTE_TERMWALLET = "termwallet"


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "agent",
        help="let a termwallet on a server sign with this machine's hardware wallet",
        description="Serve the hardware wallets plugged into this machine to a termwallet "
        "started with `termwallet ssh HOST`. PIN and passphrase are asked here; each request "
        "is printed here before the device shows it.",
    )
    _agent_options(p)
    p.add_argument("--new-secret", action="store_true", help="make a new session secret")
    p.set_defaults(handler=run_agent)

    s = sub.add_parser(
        "ssh",
        help="open termwallet on a server over ssh, signing with this machine's device",
        description="Run termwallet on HOST over ssh with this machine's signer agent "
        "forwarded to it (started here if none runs). Options before HOST are termwallet's "
        "listed below, then ssh's; words after `--` are the remote termwallet's arguments.",
        usage="termwallet ssh [--software] [--chains C] [--accounts N] [ssh options] HOST "
        "[-- termwallet arguments]",
    )
    _agent_options(s)
    s.add_argument(
        "--remote-termwallet",
        metavar="CMD",
        default=REMOTE_TERMWALLET,
        help="the command that runs termwallet on HOST (default: termwallet)",
    )
    s.set_defaults(handler=run_ssh, ssh_args=[], remote_args=[])
    s.__class__ = _SshParser  # ssh's own options pass through untouched (see below)


def _agent_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--software",
        action="store_true",
        help="also serve this machine's software wallet (asks its password; each signature "
        "is confirmed here)",
    )
    p.add_argument("--password-file", type=Path, metavar="FILE", help="with --software")
    p.add_argument(
        "--chains",
        metavar="LIST",
        help="networks a session may use, comma-separated (default: eth,btc,ltc and their "
        "test networks)",
    )
    p.add_argument(
        "--accounts", metavar="LIST", help="account numbers a session may use (default: 0)"
    )
    p.add_argument(
        "--idle-timeout",
        type=float,
        default=15 * 60.0,
        metavar="SECONDS",
        help="close a session after this long without a request (default: 900)",
    )


class _SshParser(SafeArgumentParser):
    """The `ssh` subparser: termwallet's own options come first, everything from
    the first other word on is ssh's (argparse would refuse `-p 2222` as unknown), and words
    after `--` are the remote termwallet's."""

    _OURS_WITH_VALUE = ("--password-file", "--chains", "--accounts", "--idle-timeout")
    _OURS_WITH_VALUE += ("--remote-termwallet", "--lang")
    _OURS_FLAGS = ("--software", "--version", "-h", "--help")

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        words = list(args or [])
        ours: list[str] = []
        while words:
            word = words[0]
            name = word.split("=", 1)[0]
            if name in self._OURS_FLAGS:
                ours.append(words.pop(0))
            elif name in self._OURS_WITH_VALUE:
                ours.append(words.pop(0))
                if "=" not in word and words:
                    ours.append(words.pop(0))
            else:
                break
        remote: list[str] = []
        if "--" in words:
            cut = words.index("--")
            words, remote = words[:cut], words[cut + 1 :]
        namespace, rest = super().parse_known_args(ours, namespace)
        namespace.ssh_args = words
        namespace.remote_args = remote
        return namespace, rest


# --- the agent ------------------------------------------------------------------------------


def agent_directory() -> Path:
    """Where this user's agent listens: $TERMWALLET_AGENT_DIR, else a 0700 folder in
    $XDG_RUNTIME_DIR (or the temp folder) named for the user."""
    given = os.environ.get(DIR_ENV)
    if given:
        return Path(given)
    import tempfile

    base = os.environ.get("XDG_RUNTIME_DIR") or tempfile.gettempdir()
    return Path(base) / f"termwallet-agent-{os.getuid()}"


def _secret(directory: Path, *, new: bool) -> bytes:
    """The agent's session secret: kept in its 0600 file across restarts (so a server's
    session reconnects after the agent is restarted), new when asked."""
    import secrets

    path = directory / "secret"
    if not new:
        try:
            return bytes.fromhex(path.read_text().strip())
        except (OSError, ValueError):
            pass
    secret = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(secret.hex() + "\n")
    return secret


def _grant(args: argparse.Namespace) -> tuple[frozenset[str], frozenset[int]]:
    """--chains and --accounts, checked before anything is started."""
    from devices.agent_grant import parse_accounts, parse_chains
    from devices.errors import DeviceError
    from tui.cli_errors import CliError

    try:
        chains = parse_chains(args.chains)
        accounts = parse_accounts(args.accounts)
    except DeviceError as exc:
        raise CliError(sentence(exc)) from None
    if args.idle_timeout <= 0:
        raise CliError("--idle-timeout must be more than 0 seconds")
    return chains, accounts


def _config(args: argparse.Namespace, directory: Path, secret: bytes, **kw: Any) -> Any:
    from devices.agent_server import AgentConfig

    chains, accounts = _grant(args)
    return AgentConfig(
        secret=secret,
        directory=directory,
        chains=chains,
        accounts=accounts,
        idle_timeout=args.idle_timeout,
        **kw,
    )


def run_agent(args: argparse.Namespace) -> int:
    from devices.agent_peer import private_directory
    from devices.agent_server import SignerAgent
    from devices.errors import DeviceError
    from tui.cli_errors import CliError
    from tui.commands.devices import CliInteraction
    from tui.i18n import t

    if args.password_file and not args.software:
        raise CliError("--password-file is for --software")
    _grant(args)
    software = _software_signer(args) if args.software else None
    directory = agent_directory()
    try:
        private_directory(directory)
    except DeviceError as exc:
        raise CliError(sentence(exc)) from None
    interaction = CliInteraction("device")
    config = _config(
        args,
        directory,
        _secret(directory, new=args.new_secret),
        announce=Announcer(sys.stderr).announce,
        interaction=interaction,
        software=software,
    )
    agent = SignerAgent(config)
    try:
        agent.start()
    except OSError as exc:
        raise CliError(
            t("agent.cannot_listen", path=str(agent.socket_path), reason=exc.strerror)
        ) from None
    print(t("agent.ready", path=str(agent.socket_path)), file=sys.stderr)
    print(t("agent.grant", grant=_grant_text(config)), file=sys.stderr, flush=True)
    try:
        agent.serve_forever()
    except KeyboardInterrupt:
        print(t("agent.stopped"), file=sys.stderr)
    finally:
        agent.stop()
    return 0


def _grant_text(config: Any) -> str:
    from devices.agent_grant import Grant

    return Grant(config.chains, config.accounts).describe()


def _software_signer(args: argparse.Namespace) -> Any:
    """The laptop's software wallet, unlocked once (its password, through the lockout), and
    wrapped so that each signature is confirmed in the agent's terminal: it has no screen of
    its own, and the server must not make it sign unseen."""
    from tui.cli_wallet import unlock_keystore
    from wallet.paths import Paths
    from wallet.user import UserWallet

    user = UserWallet.open(Paths.default().ensure())
    signer = unlock_keystore(user, args.password_file)

    def factory() -> Any:
        return AskFirst(signer)

    return factory


class AskFirst:
    """A software signer that asks "Sign?" in the agent's terminal before each signature (the
    request was printed just before). Reads a line from stdin: `y` signs, anything else (or
    the end of input) refuses with UserCancelled."""

    def __init__(self, inner: Any, stream: Any = None) -> None:
        self._inner = inner
        from dataclasses import replace

        self._err = stream or sys.stderr
        self.info = replace(inner.info, model="software wallet")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def _ask(self) -> None:
        from devices.errors import UserCancelled
        from tui.i18n import t

        print(t("agent.software_ask"), end="", file=self._err, flush=True)
        answer = sys.stdin.readline()
        if answer.strip().lower() not in ("y", "yes"):
            print(t("agent.software_refused"), file=self._err, flush=True)
            raise UserCancelled(t("agent.software_refused"))

    def get_address(self, chain: str, path: str, *, display: bool = False) -> str:
        address = str(self._inner.get_address(chain, path))
        if display:
            from tui.text import plain

            print(f"  {plain(address)}", file=self._err, flush=True)
        return address

    def sign_evm_tx(self, path: str, tx: Any) -> Any:
        self._ask()
        return self._inner.sign_evm_tx(path, tx)

    def sign_message(self, path: str, message: bytes) -> bytes:
        self._ask()
        return bytes(self._inner.sign_message(path, message))

    def sign_btc_message(self, chain: str, path: str, message: bytes, fmt: str) -> bytes:
        self._ask()
        return bytes(self._inner.sign_btc_message(chain, path, message, fmt))

    def sign_typed_data(self, path: str, data: dict[str, Any]) -> bytes:
        self._ask()
        return bytes(self._inner.sign_typed_data(path, data))

    def sign_psbt(self, psbt: bytes, chain: str) -> bytes:
        self._ask()
        return bytes(self._inner.sign_psbt(psbt, chain))

    def close(self) -> None:
        pass  # the unlocked key stays for the agent's life; it is wiped when the agent ends


class Announcer:
    """Prints each request in plain words (devices/agent_requests.AgentRequest), outside strings
    (the server's name, addresses, a message) through tui.text.plain."""

    def __init__(self, stream: Any) -> None:
        self._out = stream

    def announce(self, r: Any) -> None:
        import time

        from tui.i18n import t
        from tui.text import plain

        when = time.strftime("%H:%M:%S")
        server = plain(r.server)
        if r.event == "refused":
            line = t("agent.refused", server=server, detail=plain(r.detail))
        elif r.event == "session":
            line = t("agent.session", server=server, detail=plain(r.detail))
        elif r.event == "closed":
            line = t("agent.closed", server=server, detail=plain(r.detail))
        elif r.prompt is not None:
            from tui.screens.device_confirm import prompt_text

            line = t("agent.asks", server=server) + "\n" + _indent(prompt_text(r.prompt))
        elif r.method in ("sign_message", "sign_btc_message"):
            line = t("agent.message", server=server, path=r.path or "?")
            line += "\n" + _indent(_message_preview(r.message or b""))
        else:
            what = r.path or ""
            if r.chain:
                what = f"{r.chain} {what}"
            line = t("agent.read", server=server, method=r.method, what=plain(what))
        print(f"[{when}] {line}", file=self._out, flush=True)


def _indent(text: str) -> str:
    from tui.text import plain

    return "\n".join("  " + plain(line) for line in text.splitlines())


def _message_preview(data: bytes) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return "0x" + data[:256].hex() + ("..." if len(data) > 256 else "")
    lines = text.splitlines()[:20] or [""]
    return "\n".join(repr(line)[1:-1][:200] for line in lines)


# --- termwallet ssh ---------------------------------------------------------------------------


def _running_agent(directory: Path) -> bool:
    """An agent answers at `directory` (its socket, with the secret file next to it)."""
    import socket

    path = directory / "agent.sock"
    if not path.exists():
        return False
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe.settimeout(2.0)
    try:
        probe.connect(str(path))
    except OSError:
        return False
    finally:
        probe.close()
    return (directory / "secret").exists()


def _ssh_config(path: Path, remote_command: str, user_config: str | None) -> None:
    """A config whose RemoteCommand carries the secret, then the user's own configuration
    (RemoteCommand: the first value ssh reads wins)."""
    lines = ["Host *", f"  RemoteCommand {remote_command}"]
    if user_config is not None:
        lines.append(f'  Include "{user_config}"')
    else:
        home = Path.home() / ".ssh" / "config"
        if home.exists():
            lines.append(f'  Include "{home}"')
        if Path("/etc/ssh/ssh_config").exists():
            lines.append('  Include "/etc/ssh/ssh_config"')
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("\n".join(lines) + "\n")


def _take_config_option(ssh_args: list[str]) -> tuple[list[str], str | None]:
    """ssh's own -F FILE, taken out (ours replaces it and includes it)."""
    out: list[str] = []
    given = None
    words = iter(ssh_args)
    for word in words:
        if word == "-F":
            given = next(words, None)
        elif word.startswith("-F") and len(word) > 2:
            given = word[2:]
        else:
            out.append(word)
    return out, given


def run_ssh(args: argparse.Namespace) -> int:
    import secrets
    import shlex
    import shutil
    import subprocess
    import tempfile

    from devices.agent_client import SECRET_ENV, SOCK_ENV
    from devices.agent_peer import private_directory, ssh_destination
    from devices.agent_server import SignerAgent
    from devices.errors import DeviceError
    from tui.cli_errors import CliError
    from tui.i18n import t

    ssh_args, user_config = _take_config_option(args.ssh_args)
    host = ssh_destination(ssh_args)
    if host is None:
        raise CliError("termwallet ssh needs a HOST: termwallet ssh [ssh options] HOST")
    if args.password_file:
        raise CliError("--password-file is for `termwallet agent --software`")
    _grant(args)
    ssh = shutil.which("ssh")
    if ssh is None:
        raise CliError("ssh is not installed: install OpenSSH's client (Debian: openssh-client)")
    directory = agent_directory()
    own_agent: Any = None
    if _running_agent(directory):
        if args.software or args.chains or args.accounts:
            print(t("agent.ssh_uses_running"), file=sys.stderr)
        secret = bytes.fromhex((directory / "secret").read_text().strip())
        local = directory / "agent.sock"
    else:
        if args.software:
            # Its "Sign?" question needs this terminal, which the remote wallet holds.
            raise CliError(t("agent.ssh_software_needs_agent"))
        try:
            private_directory(directory)
        except DeviceError as exc:
            raise CliError(sentence(exc)) from None
        secret = _secret(directory, new=True)
        log = (directory / "requests.log").open("a", encoding="utf-8")
        config = _config(
            args, directory, secret, announce=Announcer(log).announce, server_name=host
        )
        own_agent = SignerAgent(config).start()
        local = own_agent.socket_path
        print(t("agent.ssh_started", log=str(directory / "requests.log")), file=sys.stderr)
    # A fresh name on the server, in its /tmp (the one folder every server has): sshd creates
    # the socket 0600 for this user, and 96 random bits leave no name to guess or pre-empt.
    remote = f"/tmp/termwallet-agent-{secrets.token_hex(12)}.sock"  # noqa: S108
    command = " ".join(
        [
            f"{SOCK_ENV}={shlex.quote(remote)}",
            f"{SECRET_ENV}={secret.hex()}",
            "TERMWALLET_AGENT_UNLINK=1",
            "exec",
            args.remote_termwallet,
            *(shlex.quote(a) for a in args.remote_args),
        ]
    )
    workdir = Path(tempfile.mkdtemp(prefix="termwallet-ssh-"))
    try:
        config_file = workdir / "config"
        _ssh_config(config_file, command, user_config)
        argv = [
            ssh,
            "-F",
            str(config_file),
            "-R",
            f"{remote}:{local}",
            "-o",
            "StreamLocalBindUnlink=yes",
            "-o",
            "ExitOnForwardFailure=yes",
            "-t",
            *ssh_args,
        ]
        try:
            return subprocess.run(argv, check=False).returncode
        except KeyboardInterrupt:
            return 130
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        if own_agent is not None:
            own_agent.stop()
