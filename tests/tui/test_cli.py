"""tui/cli.py: a subcommand loads only the module that registers it; config files that are
never read are named."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

from tui import commands


def test_the_command_table_is_what_the_modules_register():
    from tui.cli import COMMANDS

    registered = {}
    for mod in pkgutil.iter_modules(commands.__path__):
        sub = argparse.ArgumentParser().add_subparsers()
        importlib.import_module(f"tui.commands.{mod.name}").register(sub)
        registered.update(dict.fromkeys(sub.choices, mod.name))
    assert COMMANDS == registered


def _loaded_after(argv: list[str]) -> tuple[list[str], bool, str]:
    """In a fresh interpreter: the command modules and whether asyncio were imported once
    `termwallet ARGV` has parsed its arguments (`--help` exits there), and what it printed."""
    code = (
        "import sys\n"
        "from tui.cli import main\n"
        "try:\n"
        f"    main({argv!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        "mods = sorted(m for m in sys.modules if m.startswith('tui.commands.'))\n"
        "print('|'.join(mods), 'asyncio' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    *printed, last = done.stdout.strip().splitlines()
    mods, asyncio = last.rsplit(" ", 1)
    return mods.split("|") if mods else [], asyncio == "True", "\n".join(printed)


def test_a_subcommand_imports_only_its_own_module_and_help_still_lists_all():
    mods, asyncio, _ = _loaded_after(["address", "eth", "--help"])
    assert mods == ["tui.commands.keys"]
    assert not asyncio, "asyncio (~30 ms) is not needed to print an address"
    mods, _, out = _loaded_after(["--help"])
    assert len(mods) == len({m.name for m in pkgutil.iter_modules(commands.__path__)})
    for name in ("address", "devices", "send", "ticket", "swap"):
        assert name in out


def test_a_config_file_that_is_never_read_is_named_on_stderr(
    termwallet_home: Path, capsys: pytest.CaptureFixture[str]
):
    from tui.cli import main

    termwallet_home.mkdir(parents=True)
    (termwallet_home / "config.toml").write_text('network = "sepolia"\n')
    assert main(["accounts"]) == 0
    err = capsys.readouterr().err.splitlines()
    warned = [line for line in err if "config.toml" in line]
    assert warned == [
        f"termwallet: {termwallet_home / 'config.toml'} is not read, so its settings do not "
        f"apply: termwallet reads {termwallet_home / 'config' / 'config.toml'}. Move the file "
        "there."
    ]
