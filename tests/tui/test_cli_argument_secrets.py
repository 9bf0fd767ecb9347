"""argparse's error messages repeat unknown arguments; through `tui.cli.main`, none that look
secret may reach stderr (or stdout)."""

from __future__ import annotations

import re

import pytest
from mnemonic import Mnemonic

from tui.cli import main

WORDS = Mnemonic("english").to_mnemonic(bytes(range(16, 32))).split()
PASSWORD = "Hunter2-canary-pw"  # the canary
KEY = "9f" * 32


def _stderr_of(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    out, err = capsys.readouterr()
    return out + err


@pytest.mark.parametrize(
    "argv",
    [
        ["accounts", "--password", PASSWORD],
        ["accounts", f"--password={PASSWORD}"],
        ["history", "--pw", PASSWORD],
        ["accounts", "--mnemonic", *WORDS],
        ["accounts", "--seed", " ".join(WORDS)],
        ["accounts", *WORDS],
        WORDS,  # a phrase as the command: "invalid choice: 'word'"
        ["address", WORDS[0], *WORDS[1:]],  # a wordlist word where a chain is expected
        ["accounts", "--private-key", KEY],
        ["accounts", KEY],
    ],
    ids=lambda a: " ".join(a)[:40],
)
def test_unknown_secret_arguments_are_not_echoed(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    shown = _stderr_of(argv, capsys)
    assert "[hidden]" in shown or "invalid choice" in shown
    assert PASSWORD not in shown and KEY not in shown
    # argparse's own words ("invalid choice") aside, no word of the phrase is in the message.
    message = shown.splitlines()[-1].replace("invalid choice", "")
    assert not set(WORDS) & set(re.findall(r"[a-z]+", message))


def test_ordinary_typos_are_still_named(capsys: pytest.CaptureFixture[str]) -> None:
    shown = _stderr_of(["acounts"], capsys)
    assert "'acounts'" in shown
    shown = _stderr_of(["accounts", "--jsno"], capsys)
    assert "--jsno" in shown
