"""A message placed inside another ("Not current: {reason}. Showing...") keeps one full stop:
seen, "Check the connection or set another RPC URL in settings.. Showing the last balances"."""

from __future__ import annotations

import re

import pytest

from chains.errors import NodeUnreachable
from tui import i18n
from tui.errors import user_message
from tui.i18n import LANGUAGES, catalog, placeholders, t

DOUBLED = re.compile(r"[.。!?！？][.。]")


@pytest.fixture(autouse=True)
def english_after() -> None:  # type: ignore[misc]
    i18n.set_unambiguous(False)
    yield
    i18n.set_language("en")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_offline_balances_say_it_in_one_sentence_each(lang: str) -> None:
    i18n.set_language(lang)
    reason = user_message(NodeUnreachable("http://127.0.0.1:9", "connection refused"))
    assert reason.endswith(("settings.", "。"))  # the error is a whole sentence
    for key in ("assets.stale", "assets.stale_empty"):
        text = t(key, reason=reason, block=11)
        assert reason in text and not DOUBLED.search(text), text


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_template_doubles_the_stop_of_a_sentence_put_in_it(lang: str) -> None:
    """Every template, every placeholder filled with a sentence that ends in a full stop (the
    way error messages end in this catalog)."""
    i18n.set_language(lang)
    sentence = "The node did not answer." if lang == "en" else "节点没有回应。"
    doubled = []
    for key, template in catalog(lang).items():
        names = placeholders(template)
        if not names or DOUBLED.search(template):
            continue
        text = t(key, **dict.fromkeys(names, sentence))
        if DOUBLED.search(text):
            doubled.append((key, text))
    assert not doubled
