"""The table-driven mapper of device-library exceptions (devices/errors.py) and the tables the
adapters give it. Library exceptions are the libraries' own classes, raised as they raise them."""

from __future__ import annotations

import pytest

from devices import errors


def test_unlisted_exceptions_pass_unchanged_and_ours_pass_through():
    table = errors.ErrorTable(rules=(errors.ErrorRule(KeyError, errors.Disconnected, "gone"),))
    bug = RuntimeError("a bug, not a device answer")

    def fails(exc: Exception) -> None:
        raise exc

    with pytest.raises(RuntimeError) as info:
        errors.call_mapped(table, fails, bug)
    assert info.value is bug
    ours = errors.WrongPin("again")
    with pytest.raises(errors.WrongPin) as got:
        errors.call_mapped(table, fails, ours)
    assert got.value is ours
    with pytest.raises(errors.Disconnected) as mapped:
        errors.call_mapped(table, fails, KeyError("secret request data"))
    assert str(mapped.value) == "gone"
    assert mapped.value.__suppress_context__  # raised `from None`: no library text rides along


def test_rules_are_tried_in_order_with_kind_and_detail():
    table = errors.ErrorTable(
        detail=lambda e: e.args[0].upper(),
        rules=(
            errors.ErrorRule(
                ValueError, errors.DeviceLocked, "locked", when=lambda e: "pin" in str(e)
            ),
            errors.ErrorRule(LookupError, errors.Unsupported, "{kind}: {detail}"),
        ),
    )
    assert type(table.translate(ValueError("pin"))) is errors.DeviceLocked
    assert table.translate(ValueError("other")) is None
    got = table.translate(IndexError("x"))
    assert type(got) is errors.Unsupported and str(got) == "IndexError: X"


@pytest.mark.parametrize(
    ("name", "ours", "text"),
    [
        ("ActionCanceledError", "UserCancelled", "You rejected the request on the device."),
        ("DeviceNotReadyError", "DeviceLocked", "Unlock the device (PIN) and try again."),
        ("DeviceConnectionError", "Disconnected", "plug it in"),
        ("UnavailableActionError", "Unsupported", "cannot do that: the text"),
        ("BadArgumentError", "DeviceError", "refused the request: the text"),
        ("DeviceBusyError", "DeviceError", "reported an error: the text"),
    ],
)
def test_each_hwilib_error_maps_to_ours(name: str, ours: str, text: str):
    """Every class the HWI table names exists in hwilib (a misspelt one made the old except
    clause raise AttributeError for any hwilib error past the first)."""
    from hwilib import errors as hwi_errors

    from devices.hwi import _map_errors

    @_map_errors
    def call() -> None:
        raise getattr(hwi_errors, name)("the text")

    with pytest.raises(errors.DeviceError) as info:
        call()
    assert type(info.value) is getattr(errors, ours)
    assert text in str(info.value)


def test_ledger_status_words_keep_their_errors():
    from devices.ledger import (
        SW_BLIND_SIGNING_OFF,
        SW_DENIED,
        SW_LOCKED,
        SW_WRONG_APP,
        _status_error,
    )

    assert type(_status_error(SW_DENIED, "Ethereum")) is errors.UserCancelled
    assert all(type(_status_error(sw, "Ethereum")) is errors.DeviceLocked for sw in SW_LOCKED)
    wrong = _status_error(SW_WRONG_APP[0], "Bitcoin")
    assert isinstance(wrong, errors.WrongApp) and wrong.wanted == "Bitcoin"
    blind = _status_error(SW_BLIND_SIGNING_OFF, "Ethereum")
    assert "blind signing" in str(blind) and blind.details == {"sw": "6a80"}
    other = _status_error(0x6B00, "Ethereum")
    assert str(other) == "The Ledger answered status 6b00." and other.details == {"sw": "6b00"}
