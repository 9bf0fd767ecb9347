"""`termwallet ticket new|list|show` against the local helpdesk and aiosmtpd fixtures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.cli import run_cli
from tests.wallet.support import conftest as support_parts
from tests.wallet.support.conftest import HELPDESK_EMAIL, HELPDESK_TOKEN, SMTP_PASSWORD, SMTP_USER
from tui.i18n import set_language

CANARY = "legal winner thank year wave sausage worth useful legal winner thank yellow"


@pytest.fixture(autouse=True)
def english():
    set_language("en")
    yield
    set_language("en")


# The real SMTP server and helpdesk of the support tests, shared rather than copied.
helpdesk = support_parts.helpdesk
smtp_server = support_parts.smtp_server


def run(args: list[str], stdin: str = "", capsys: Any = None) -> tuple[int, str, str]:
    return run_cli(args, capsys, stdin)


def configure(home: Path, text: str) -> None:
    cfg = home / "config"
    cfg.mkdir(parents=True, exist_ok=True)
    (cfg / "config.toml").write_text(text)


@pytest.fixture
def live(termwallet_home, helpdesk, monkeypatch):
    configure(
        termwallet_home,
        f'[support]\nhelpdesk_url = "{helpdesk.url}"\nhelpdesk_email = "{HELPDESK_EMAIL}"\n'
        'support_email = "help@termwallet.example"\nsocial_handle = "@termwallet"\n',
    )
    monkeypatch.setenv("TERMWALLET_SUPPORT__HELPDESK_TOKEN", HELPDESK_TOKEN)
    return helpdesk


def test_secret_is_refused_without_echo(live, capsys):
    rc, out, err = run(
        [
            "ticket",
            "new",
            "--category",
            "locked_out",
            "--subject",
            "locked",
            "--description-file",
            "-",
            "--channel",
            "live",
            "--yes",
        ],
        f"I cannot log in, my phrase is {CANARY}",
        capsys,
    )
    assert rc == 2
    assert "recovery phrase" in err and "never needs" in err
    assert "sausage" not in out + err
    rc, out, _ = run(["ticket", "list", "--json"], capsys=capsys)
    assert json.loads(out) == []


def test_new_list_show_follow_up_over_helpdesk(live, capsys):
    rc, out, err = run(
        [
            "ticket",
            "new",
            "--category",
            "abnormal_transaction",
            "--subject",
            "Unknown transfer",
            "--description-file",
            "-",
            "--channel",
            "live",
            "--tx",
            "ab" * 32,
            "--yes",
            "--json",
        ],
        "A transfer I did not make. They told me to go to https://wallet-rescue.xyz",
        capsys,
    )
    assert rc == 0, err
    ticket = json.loads(out)
    assert ticket["status"] == "sent" and ticket["channel"] == "live"
    assert "exactly what will be sent" in err and "-- Diagnostics --" in err
    assert "Not an official termwallet address: https://wallet-rescue.xyz" in err
    assert "never asks for your recovery phrase" in err
    assert HELPDESK_TOKEN not in out + err
    ref = ticket["reference"]
    [rid] = live.requests

    rc, out, _ = run(["ticket", "list"], capsys=capsys)
    assert ref in out and "sent" in out and "In-app live" in out

    live.agent_reply(rid, "We are looking at it.")
    rc, out, err = run(
        ["ticket", "show", ref.lower(), "--follow-up", "-"], "Thanks, waiting.", capsys
    )
    assert rc == 0, err
    assert "We are looking at it." in out and "answered" in out
    assert live.comments[rid][-1]["body"].endswith("Thanks, waiting.")

    rc, out, _ = run(["--lang", "zh-CN", "ticket", "show", ref, "--offline"], capsys=capsys)
    assert "已回复" in out and "渠道" in out


def test_email_ticket_and_missing_settings(termwallet_home, smtp_server, monkeypatch, capsys):
    # Not configured: the ticket is kept and the reason says what to set.
    rc, _, err = run(
        [
            "ticket",
            "new",
            "--category",
            "fees",
            "--subject",
            "Fee question",
            "--description-file",
            "-",
            "--yes",
        ],
        "Why was the network fee so high?",
        capsys,
    )
    assert rc == 1 and "SUPPORT_CHANNEL_NOT_CONFIGURED" in err and "support_email" in err

    configure(
        termwallet_home,
        f'[support]\nsmtp_host = "127.0.0.1"\nsmtp_port = {smtp_server.port}\n'
        f'smtp_user = "{SMTP_USER}"\nsmtp_ca_file = "{smtp_server.cafile}"\n'
        'support_email = "help@termwallet.example"\nfrom_email = "me@example.org"\n',
    )
    monkeypatch.setenv("TERMWALLET_SUPPORT__SMTP_PASSWORD", SMTP_PASSWORD)
    rc, out, err = run(
        [
            "ticket",
            "new",
            "--category",
            "fees",
            "--subject",
            "Fee question",
            "--description-file",
            "-",
            "--yes",
            "--json",
        ],
        "Why was the network fee so high?",
        capsys,
    )
    assert rc == 0, err
    assert json.loads(out)["status"] == "sent" and len(smtp_server.messages) == 1
    assert "1-2 business days" in err
    rc, out, _ = run(["ticket", "show", json.loads(out)["reference"]], capsys=capsys)
    assert "arrive in your mailbox" in out
    assert SMTP_PASSWORD not in out + err


def test_needs_yes_when_not_interactive(live, capsys):
    rc, _, err = run(
        ["ticket", "new", "--category", "other", "--subject", "hi", "--description-file", "-"],
        "hello",
        capsys,
    )
    assert rc == 2 and "--yes" in err
    rc, out, _ = run(["ticket", "list", "--json"], capsys=capsys)
    assert json.loads(out) == []


def test_a_key_of_the_wallets_own_address_is_refused_by_the_cli(live, capsys):
    """130 hex digits look like a signature; inside them is the key of an address this wallet
    holds (watched here), so `ticket new` refuses, as the app's form does."""
    from tests.wallet.support.scrub_corpus import owned_cases

    [case] = owned_cases()
    (address,) = case.own_addresses
    assert run(["watch", "add", "btc", address], capsys=capsys)[0] == 0
    text = case.fields["description"]
    args = ["ticket", "new", "--category", "other", "--subject", "signature"]
    rc, _, err = run([*args, "--description-file", "-", "--yes"], text, capsys)
    assert rc == 2, err
    assert text.split()[-1] not in err
    rc, out, _ = run(["ticket", "list", "--json"], capsys=capsys)
    assert json.loads(out) == []
