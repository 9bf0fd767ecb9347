"""A Said is its English sentence wherever a str is used, and keeps its key and values."""

from __future__ import annotations

import copy
import pickle

import pytest

from said import Said, said_of


def test_a_said_is_its_english_sentence() -> None:
    text = Said("t.no_account", "no {script} account {index} for {chain}", script="p2wpkh",
                index=0, chain="btc")  # fmt: skip
    assert text == "no p2wpkh account 0 for btc"
    assert str(text) == "no p2wpkh account 0 for btc" and f"{text}" == str(text)
    assert isinstance(text, str) and "account 0" in text
    assert (text.key, text.template) == ("t.no_account", "no {script} account {index} for {chain}")
    assert dict(text.values) == {"script": "p2wpkh", "index": 0, "chain": "btc"}


def test_values_are_formatted_as_an_f_string_would() -> None:
    text = Said("t.fee", "fee {fee:,} sat ({rate!r})", fee=1234567, rate="2.5")
    assert text == f"fee {1234567:,} sat ({'2.5'!r})"


def test_a_missing_value_fails_where_it_is_raised() -> None:
    with pytest.raises(KeyError):
        Said("t.x", "no {script}")


def test_pickled_and_copied_exceptions_keep_the_key() -> None:
    exc = ValueError(Said("t.no", "no account {n}", n=3))
    for again in (pickle.loads(pickle.dumps(exc)), copy.deepcopy(exc)):
        first = said_of(again)
        assert first is not None and first.key == "t.no" and first.values == {"n": 3}
        assert str(again) == "no account 3"


def test_said_of_finds_only_a_first_argument_said() -> None:
    assert said_of(ValueError("plain")) is None
    assert said_of(ValueError()) is None
    assert said_of(ValueError(1, Said("t.a", "a"))) is None
    assert said_of(ValueError(Said("t.a", "a"))) == "a"
