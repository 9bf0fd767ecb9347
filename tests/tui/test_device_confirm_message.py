"""What the "confirm on your device" screen shows for a message and for domain-only typed data:
the message as the device shows it, never a terminal escape from it."""

from __future__ import annotations

from devices.base import DevicePrompt, PromptKind, shown_message
from tui.screens.device_confirm import prompt_text


def test_message_prompt_shows_text_lines_and_neutralises_escapes():
    raw = "Log in to example.org\nnonce: 42\x1b[2J\u202e"
    prompt = DevicePrompt(
        kind=PromptKind.SIGN_MESSAGE,
        device="Trezor One",
        chain="btc",
        path="m/84'/0'/0'/0/0",
        message=raw,
    )
    text = prompt_text(prompt)
    assert "Sign a message. It moves no coins" in text
    assert "Log in to example.org" in text and "nonce: 42" in text
    assert "\x1b" not in text and "\u202e" not in text
    assert "m/84'/0'/0'/0/0" in text


def test_ledger_message_hash_row():
    prompt = DevicePrompt(
        kind=PromptKind.SIGN_MESSAGE, device="Ledger", message="hi", hashes=("ab" * 32,)
    )
    assert "AB" * 32 in prompt_text(prompt)


def test_domain_only_typed_data_says_the_domain_alone_is_signed():
    prompt = DevicePrompt(kind=PromptKind.SIGN_TYPED_DATA, device="Trezor One", hashes=("cd" * 32,))
    text = prompt_text(prompt)
    assert "0x" + "cd" * 32 in text
    assert "the domain alone is signed" in text


def test_shown_message_is_text_or_unambiguous_hex():
    assert shown_message(b"hello\nworld") == "hello\nworld"
    assert shown_message(b"\x00\x01") == "0x0001"
    assert shown_message("\u202eevil".encode()) == "0x" + "\u202eevil".encode().hex()
    # Text that starts with 0x would read as hex: it is shown as its bytes' hex instead.
    assert shown_message(b"0x1234") == "0x" + b"0x1234".hex()
