"""The one error a subcommand raises for the user. Its own module, below tui/cli.py and
tui/commands/, so commands need not import the entry point that imports them."""

from __future__ import annotations


class CliError(Exception):
    """A message for the user, printed without a traceback; exit status 2."""
