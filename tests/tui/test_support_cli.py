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


# -- the demo's own helpdesk (wallet/demo_support.py) ----------------------------------------


@pytest.fixture
def demo_desk(termwallet_home, monkeypatch):
    """The CLI pointed at the helpdesk and mail sink `termwallet demo` starts."""
    from wallet.demo_support import DemoSupport

    support = DemoSupport().start()
    s = support.settings
    configure(
        termwallet_home,
        f'[support]\nhelpdesk_url = "{s.helpdesk_url}"\nhelpdesk_email = "{s.helpdesk_email}"\n'
        f'smtp_host = "127.0.0.1"\nsmtp_port = {s.smtp_port}\nsmtp_starttls = false\n'
        f'support_email = "{s.support_email}"\nfrom_email = "{s.from_email}"\n'
        f"live_reply_minutes = {s.live_reply_minutes}\n",
    )
    monkeypatch.setenv("TERMWALLET_SUPPORT__HELPDESK_TOKEN", support.helpdesk.token)
    yield support
    support.stop()


def _past_due(home: Path, reference: str) -> None:
    """The minute the demo promises, gone by: the ticket's times moved back two minutes."""
    import sqlite3
    from datetime import datetime, timedelta

    from wallet.paths import Paths

    db = sqlite3.connect(Paths.under(home).database)
    try:
        row = db.execute(
            "SELECT submitted_at, reply_due_at FROM support_tickets WHERE reference = ?",
            (reference,),
        ).fetchone()
        moved = [(datetime.fromisoformat(v) - timedelta(minutes=2)).isoformat() for v in row]
        db.execute(
            "UPDATE support_tickets SET submitted_at = ?, reply_due_at = ? WHERE reference = ?",
            (*moved, reference),
        )
        db.commit()
    finally:
        db.close()


def test_ticket_life_on_the_demo_helpdesk(demo_desk, termwallet_home, capsys):
    new = ["ticket", "new", "--category", "fees", "--subject", "Fee question"]
    rc, out, err = run(
        [*new, "--description-file", "-", "--channel", "live", "--yes", "--json"],
        "Why was the fee so high?",
        capsys,
    )
    assert rc == 0, err
    ref = json.loads(out)["reference"]
    assert "Reply expected by" in err and "within 1 minute)" in err
    rc, out, _ = run(["ticket", "show", ref], capsys=capsys)
    assert "No replies yet." in out

    _past_due(termwallet_home, ref)
    rc, out, err = run(["ticket", "list"], capsys=capsys)
    assert "OVERDUE" in out and "1 ticket is past its promised reply time" in err

    rc, out, err = run(["ticket", "show", ref, "--follow-up", "-"], "Any news?", capsys)
    assert rc == 0, err
    assert "[DEMO REPLY" in out and "no person read your ticket" in out and "answered" in out

    rc, out, err = run(
        [*new, "--description-file", "-", "--channel", "email", "--yes"], "By mail.", capsys
    )
    assert rc == 0 and "sent (Email)" in err
    assert len(demo_desk.mail.messages) == 1


def test_a_phrase_is_refused_before_the_channel_is_looked_at(termwallet_home, capsys):
    # No channel is set up at all: the refusal still comes first, and no reply time is
    # promised for a channel that cannot send.
    rc, _, err = run(
        [
            "ticket",
            "new",
            "--category",
            "locked_out",
            "--subject",
            "locked",
            "--description-file",
            "-",
            "--yes",
        ],
        f"my words: {CANARY}",
        capsys,
    )
    assert rc == 2 and "recovery phrase" in err and "sausage" not in err
    fees = ["ticket", "new", "--category", "fees", "--subject", "x", "--description-file", "-"]
    rc, _, err = run(
        [*fees, "--yes"],
        "Why so high?",
        capsys,
    )
    assert "business days" not in err and "not set up" in err


def test_a_phrase_is_flagged_even_when_the_ticket_is_wrong_otherwise(termwallet_home, capsys):
    # A subject far too long and a phrase in the description: the phrase is what is reported.
    long_subject = ["--subject", "x" * 200]
    rc, _, err = run(
        ["ticket", "new", "--category", "other", *long_subject, "--description-file", "-", "--yes"],
        f"words {CANARY}",
        capsys,
    )
    assert rc == 2 and "recovery phrase" in err and "at most 150" not in err
    assert "sausage" not in err
