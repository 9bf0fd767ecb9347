"""Global options (--lang, --version) work after the subcommand too, at every level."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tui.cli import build_parser


@pytest.mark.parametrize(
    "argv",
    [
        ["demo", "--lang", "zh-CN"],
        ["--lang", "zh-CN", "demo"],
        ["--lang", "en", "demo", "--lang", "zh-CN"],  # the last one given wins
        ["devices", "--lang", "zh-CN"],
        ["watch", "add", "btc", "xpub-or-address", "--lang", "zh-CN"],
        ["watch", "--lang", "zh-CN", "add", "btc", "xpub-or-address"],
        ["totp", "status", "--json", "--lang", "zh-CN"],
    ],
)
def test_lang_is_read_before_or_after_the_command(argv: list[str]) -> None:
    assert build_parser(argv).parse_args(argv).lang == "zh-CN"


def test_a_command_without_lang_keeps_the_one_given_before_it() -> None:
    argv = ["--lang", "zh-CN", "watch", "add", "btc", "key"]
    assert build_parser(argv).parse_args(argv).lang == "zh-CN"
    argv = ["watch", "add", "btc", "key"]
    args = build_parser(argv).parse_args(argv)
    assert args.lang is None and args.version is False


def test_version_after_the_command() -> None:
    argv = ["devices", "--version"]
    assert build_parser(argv).parse_args(argv).version is True


def test_demo_lang_after_the_command_reaches_the_app() -> None:
    """End to end: without a terminal the demo refuses, in the language given after it."""
    done = subprocess.run(
        [sys.executable, "-m", "tui", "demo", "--lang", "zh-CN"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "TERM": "xterm-256color"},
    )
    assert "unrecognized arguments" not in done.stderr
    assert done.returncode == 2 and "全屏界面需要终端" in done.stderr, done.stderr
