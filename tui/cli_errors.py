"""The one error a subcommand raises for the user. Its own module, below tui/cli.py and
tui/commands/, so commands need not import the entry point that imports them."""

from __future__ import annotations


class CliError(Exception):
    """A message for the user, printed without a traceback; exit status 2. `code` names the
    kind for scripts (the `--json` error object)."""

    def __init__(self, message: str, code: str = "CLI_ERROR") -> None:
        super().__init__(message)
        self.code = code


def typed_error(exc: BaseException) -> CliError:
    """A wallet or chain error as a CliError: its own sentence in English; in another language
    the catalog's sentence for its code (tui/errors.py), which says the same in that language,
    or else its own sentence in that language where it was raised with a Said."""
    from tui.errors import error_code, sentence, user_message
    from tui.i18n import catalog, language

    code = error_code(exc)
    if language() != "en" and code and f"errors.{code}" in catalog(language()):
        return CliError(user_message(exc), code)
    return CliError(sentence(exc), code or "CLI_ERROR")
