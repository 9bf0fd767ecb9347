"""`termwallet agent` and `termwallet ssh` without a network: what the agent prints for each
request (outside strings cleaned), how `ssh` splits termwallet's options from ssh's and the
remote command's, and the ssh config that carries the secret."""

from __future__ import annotations

import io
from pathlib import Path

from devices.agent_peer import ssh_destination
from devices.agent_requests import AgentRequest
from devices.base import DevicePrompt, PromptAmount, PromptKind
from tui.cli import build_parser
from tui.commands.agent import Announcer, _ssh_config, _take_config_option


def _told(request: AgentRequest) -> str:
    out = io.StringIO()
    Announcer(out).announce(request)
    return out.getvalue()


def test_a_transaction_is_told_in_plain_words() -> None:
    prompt = DevicePrompt(
        kind=PromptKind.SIGN_TX,
        device="Trezor One",
        chain_id=1,
        path="m/44'/60'/0'/0/0",
        address="0x" + "35" * 20,
        amount=PromptAmount(value=10**15, decimals=18, symbol="ETH"),
        fee=PromptAmount(value=42 * 10**12, decimals=18, symbol="ETH"),
    )
    text = _told(AgentRequest(server="build-01 (ssh)", method="sign_evm_tx", prompt=prompt))
    assert "build-01 (ssh) asks:" in text
    assert "0x" + "35" * 20 in text
    assert "0.001 ETH" in text and "0.000042 ETH" in text


def test_outside_strings_reach_the_terminal_clean() -> None:
    hostile = "evil\x1b[2J\x1b]0;pwned\x07\rhost"
    for request in (
        AgentRequest(server=hostile, method="get_xpub", path="m/84'/0'/0'"),
        AgentRequest(
            server=hostile,
            method="sign_message",
            path="m/44'/60'/0'/0/0",
            message=b"hi\x1b[31m\rthere\xe2\x80\xae",
        ),
        AgentRequest(server="s", method="", event="refused", detail=hostile),
    ):
        text = _told(request)
        assert "\x1b" not in text and "\r" not in text and "\x07" not in text
        assert "\u202e" not in text  # no bidi override either


def test_ssh_options_pass_through_and_the_remote_command_follows_the_dashes() -> None:
    argv = [
        "ssh",
        "--chains",
        "eth",
        "--software",
        "-p",
        "2222",
        "-o",
        "ProxyJump=bastion",
        "-vA",
        "me@server",
        "--",
        "send",
        "eth",
        "0x" + "11" * 20,
        "1",
    ]
    args = build_parser(argv).parse_args(argv)
    assert args.chains == "eth" and args.software is True
    assert args.ssh_args == ["-p", "2222", "-o", "ProxyJump=bastion", "-vA", "me@server"]
    assert args.remote_args == ["send", "eth", "0x" + "11" * 20, "1"]
    assert ssh_destination(args.ssh_args) == "me@server"


def test_ssh_destination_skips_option_values() -> None:
    assert ssh_destination(["-i", "key", "-l", "bob", "-p22", "host"]) == "host"
    assert ssh_destination(["-Nv", "-R", "a:b", "h"]) == "h"
    assert ssh_destination(["-o", "X=1"]) is None


def test_the_secret_travels_in_a_private_config_with_the_users_own_after_it(
    tmp_path: Path,
) -> None:
    rest, given = _take_config_option(["-F", "/home/me/alt_config", "-p", "22", "host"])
    assert given == "/home/me/alt_config" and rest == ["-p", "22", "host"]
    path = tmp_path / "config"
    _ssh_config(path, "TERMWALLET_AGENT_SECRET=ab exec termwallet", given)
    assert path.stat().st_mode & 0o777 == 0o600
    lines = path.read_text().splitlines()
    # RemoteCommand first: ssh keeps the first value it reads, so the user's cannot win.
    assert lines[:2] == ["Host *", "  RemoteCommand TERMWALLET_AGENT_SECRET=ab exec termwallet"]
    assert lines[2] == '  Include "/home/me/alt_config"'


def test_the_software_wallet_at_the_agent_asks_before_a_bitcoin_message(monkeypatch) -> None:
    """Issue 20's sign_btc_message goes through the same "Sign? [y/N]" as every signature, and
    the person at the agent reads the message it signs."""
    import io

    import pytest

    from devices.agent_requests import AgentRequest
    from devices.emulator import SoftwareSigner
    from devices.errors import UserCancelled
    from tui.commands.agent import Announcer, AskFirst

    sw = SoftwareSigner.from_mnemonic("abandon " * 11 + "about")
    path = "m/84'/0'/0'/0/0"
    asking = AskFirst(sw, stream=io.StringIO())
    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))
    with pytest.raises(UserCancelled):
        asking.sign_btc_message("btc", path, b"hi", "bip322")
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))
    assert asking.sign_btc_message("btc", path, b"hi", "legacy") == sw.sign_btc_message(
        "btc", path, b"hi", "legacy"
    )
    out = io.StringIO()
    Announcer(out).announce(
        AgentRequest(server="srv", method="sign_btc_message", chain="btc", path=path, message=b"hi")
    )
    assert "asks to sign this message" in out.getvalue() and "hi" in out.getvalue()
