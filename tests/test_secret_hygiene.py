"""A canary recovery phrase, passphrase, password and the keys they make run through every
path that handles them: the CLI, the keystore, the signer, errors, the clipboard, the store
and the screens. None of them may show up in logs, exception text, reprs, files written,
command output or screenshots.
"""

from __future__ import annotations

import html
import io
import logging
import re
import sys
import traceback
from pathlib import Path

import pytest

from devices.emulator import SoftwareSigner
from wallet.keys import mnemonic_from_entropy

# 32 bytes of entropy spelling out what it is: this phrase must never hold money.
CANARY = mnemonic_from_entropy(b"termwallet canary do not fund!!!")
PASSPHRASE = "canary-passphrase-Zq7"
PASSWORD = "canary-password-Xv9"
_signer = SoftwareSigner.from_mnemonic(CANARY, PASSPHRASE)
ETH_KEY = _signer._key("m/44'/60'/0'/0/0").hex()
ROOT_XPRV = str(_signer._root.PrivateKey().ToExtended())
ACCOUNT_XPRV = str(_signer._node("m/84'/0'/0'").PrivateKey().ToExtended())
# Fragments long enough to be unmistakable: any 4 consecutive words of the phrase.
_WORDS = CANARY.split()
FRAGMENTS = [" ".join(_WORDS[i : i + 4]) for i in range(len(_WORDS) - 3)]
SECRETS = [*FRAGMENTS, PASSPHRASE, PASSWORD, ETH_KEY, ROOT_XPRV, ACCOUNT_XPRV]


def leaks(text: str) -> list[str]:
    low = text.lower()
    return [s for s in SECRETS if s.lower() in low]


def assert_clean(where: str, text: str) -> None:
    found = leaks(text)
    assert not found, f"secret material in {where}: {len(found)} fragment(s)"


@pytest.fixture
def all_logs():
    """Every log record of every logger, at every level, while the test runs."""
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    root = logging.getLogger()
    handler, old_level = Keep(level=logging.DEBUG), root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield records
    root.removeHandler(handler)
    root.setLevel(old_level)


def _exc_text(exc: BaseException) -> str:
    return "".join(traceback.format_exception(exc)) + repr(exc) + str(getattr(exc, "details", ""))


def test_cli_keystore_store_and_errors_never_leak(termwallet_home: Path, capsys, all_logs):
    from tui.cli import main

    captured: list[str] = []

    def cli(args: list[str], stdin: str = "") -> int:
        old = sys.stdin
        sys.stdin = io.StringIO(stdin)
        try:
            rc = main(args)
        finally:
            sys.stdin = old
        out, err = capsys.readouterr()
        captured.append(out + err)
        return rc

    # Bad phrases first: errors must describe, not quote.
    typo = CANARY.replace(_WORDS[5], _WORDS[5] + "x", 1)
    assert cli(["init", "--restore"], f"{typo}\n{PASSWORD}\n") == 2
    swapped = " ".join([_WORDS[1], _WORDS[0], *_WORDS[2:]])
    assert cli(["init", "--restore"], f"{swapped}\n{PASSWORD}\n") == 2
    with pytest.raises(SystemExit):
        main(["init", "--restore", "--mnemonic", CANARY])
    captured.append("".join(capsys.readouterr()))
    # The real thing, then everything a script can ask.
    assert (
        cli(
            ["init", "--restore", "--with-passphrase", "--json"],
            f"{CANARY}\n{PASSWORD}\n{PASSPHRASE}\n",
        )
        == 0
    )
    assert cli(["accounts", "--json"]) == 0
    assert cli(["accounts"]) == 0
    for chain in ("eth", "btc", "ltc", "btc-testnet", "ltc-regtest"):
        assert cli(["address", chain, "--json"]) == 0
    for i, text in enumerate(captured):
        assert_clean(f"CLI output #{i}", text)

    # Every file the wallet wrote (keystore, SQLite and its WAL, anything else).
    files = [p for p in termwallet_home.rglob("*") if p.is_file()]
    assert any(p.name == "keystore.json" for p in files)
    for p in files:
        assert_clean(str(p.relative_to(termwallet_home)), p.read_bytes().decode("latin-1"))

    # Errors raised with the canary in hand, reprs of everything holding it.
    from wallet.clipboard import ClipboardGuard
    from wallet.keys import validate_mnemonic
    from wallet.keystore import Keystore

    ks = Keystore()
    unlocked = ks.unlock(PASSWORD)
    signer = unlocked.signer()
    errors: list[BaseException] = []
    for call in (
        lambda: validate_mnemonic(typo),
        lambda: validate_mnemonic(swapped),
        lambda: ks.unlock(PASSWORD + "!"),
        lambda: ks.create(CANARY, PASSWORD),
        lambda: Keystore(termwallet_home / "other.json").create(CANARY, "short"),
        lambda: SoftwareSigner.from_mnemonic(typo),
        lambda: signer.sign_typed_data("m/44'/60'/0'/0/0", {"bad": CANARY}),
        lambda: signer.sign_psbt(b"psbt\xff" + CANARY.encode(), "btc"),
        lambda: signer.get_address("eth", CANARY),
        lambda: ClipboardGuard(_NullBoard()).copy(CANARY),
        lambda: ClipboardGuard(_NullBoard()).copy(ETH_KEY),
        lambda: ClipboardGuard(_NullBoard()).copy(ACCOUNT_XPRV),
    ):
        with pytest.raises(Exception) as info:  # any error: its text is the point
            call()
        errors.append(info.value)
    for exc in errors:
        assert_clean(f"{type(exc).__name__}", _exc_text(exc))
    for obj in (ks, unlocked, unlocked.secrets, signer):
        assert_clean(f"repr of {type(obj).__name__}", repr(obj) + str(obj))
    for obj in (unlocked, signer):
        with pytest.raises(TypeError):
            __import__("pickle").dumps(obj)
    for r in all_logs:
        assert_clean(f"log record from {r.name}", r.getMessage() + str(r.exc_text or ""))


class _NullBoard:
    def set_text(self, text: str) -> None:
        raise AssertionError("a secret reached the clipboard backend")

    def get_text(self) -> str | None:
        return None


async def test_screens_and_screenshots_never_show_the_canary(tmp_path: Path):
    from textual.app import App

    from tui.screens.onboarding import OnboardingScreen
    from tui.screens.unlock import UnlockScreen
    from wallet.keystore import KdfParams, Keystore
    from wallet.lockout import Lockout
    from wallet.store import Store

    ks = Keystore(tmp_path / "keystore.json", kdf=KdfParams.cheap_for_tests())
    store = Store(tmp_path / "db.sqlite3")
    results: list[object] = []

    class Host(App[None]):
        def __init__(self, factory) -> None:
            super().__init__()
            self.factory = factory

        def on_mount(self) -> None:
            self.push_screen(self.factory(), callback=results.append)

    shots: list[str] = []

    def shot(app: App) -> None:
        svg = app.export_screenshot()
        shots.append(html.unescape(re.sub(r"<[^>]+>", " ", svg)))

    app = Host(lambda: OnboardingScreen(ks, store))
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.press("down", "enter")
        await pilot.press(*CANARY)
        shot(app)
        await pilot.press("enter", *PASSPHRASE)
        shot(app)
        await pilot.press("enter", *PASSWORD, "enter", *PASSWORD)
        shot(app)
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        shot(app)
    assert results, "the restore did not finish"

    app = Host(lambda: UnlockScreen(ks, Lockout(store)))
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.press(*PASSWORD)
        shot(app)
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert len(results) == 2
    for i, text in enumerate(shots):
        # Word by word too: a masked box must not show even single words of the phrase.
        assert_clean(f"screenshot #{i}", text)
        assert not [w for w in _WORDS if re.search(rf"\b{w}\b", text)], f"screenshot #{i}"
    for p in tmp_path.rglob("*"):
        if p.is_file():
            assert_clean(str(p), p.read_bytes().decode("latin-1"))
    store.close()
