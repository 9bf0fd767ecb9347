"""Accounts in the store: software accounts from a signer, watch-only from xpub or address."""

from __future__ import annotations

from pathlib import Path

import pytest

from devices.emulator import SoftwareSigner
from wallet.accounts import AccountBook, AccountError, display_xpub
from wallet.keys import ScriptKind
from wallet.store import Store

ABANDON = "abandon " * 11 + "about"
# BIP84's account-0 zpub for ABANDON (tests/devices/vectors/bip84.json)
ZPUB = (
    "zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31"
    "mGDtKsAYz2oz2AGutZYs"
)


@pytest.fixture
def store(tmp_path: Path):
    s = Store(tmp_path / "db.sqlite3")
    yield s
    s.close()


@pytest.fixture(scope="module")
def signer() -> SoftwareSigner:
    return SoftwareSigner.from_mnemonic(ABANDON)


def test_default_accounts_and_password_free_addresses(store: Store, signer: SoftwareSigner):
    book = AccountBook(store)
    wallet = book.software_wallet()
    accounts = book.add_default_accounts(signer, wallet)
    assert {(a.family, a.script) for a in accounts} >= {
        ("eth", ScriptKind.ETH),
        ("btc", ScriptKind.P2WPKH),
        ("btc", ScriptKind.P2TR),
        ("ltc", ScriptKind.P2WPKH),
    }
    # Every address the book derives from stored xpubs is the signer's own.
    for chain, script, acct, index, path in [
        ("btc", ScriptKind.P2WPKH, 0, 7, "m/84'/0'/0'/0/7"),
        ("btc-regtest", ScriptKind.P2TR, 0, 3, "m/86'/1'/0'/0/3"),
        ("ltc", ScriptKind.P2WPKH, 0, 1, "m/84'/2'/0'/0/1"),
        ("ltc-testnet", ScriptKind.P2TR, 0, 0, "m/86'/1'/0'/0/0"),
        ("eth", ScriptKind.ETH, 4, 0, "m/44'/60'/0'/0/4"),
    ]:
        assert book.address(chain, script, acct, index) == signer.get_address(chain, path)
    # A second account of the same kind.
    second = book.add_from_signer(signer, wallet, "btc", ScriptKind.P2WPKH, 1)
    assert second.address == signer.get_address("btc", "m/84'/0'/1'/0/0")
    assert book.address("btc", ScriptKind.P2WPKH, 1, 0) == second.address
    with pytest.raises(AccountError):
        book.address("btc", ScriptKind.P2WPKH, 2, 0)
    # Restoring the same wallet again does not duplicate accounts.
    assert len(book.add_default_accounts(signer, wallet)) == len(accounts)
    assert len(book.list()) == len(accounts) + 1


def test_watch_only_from_zpub(store: Store):
    book = AccountBook(store)
    acct = book.add_watch_xpub("btc", ZPUB, label="cold")
    assert acct.watch_only and acct.script is ScriptKind.P2WPKH
    assert acct.address == "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu"
    assert display_xpub(acct.xpub or "", ScriptKind.P2WPKH, testnet=False) == ZPUB
    with pytest.raises(AccountError, match="main network"):
        book.add_watch_xpub("btc-testnet", ZPUB)
    with pytest.raises(AccountError):
        book.add_watch_xpub("btc", ZPUB[:-1] + "t")  # checksum


def test_watch_only_xpub_needs_a_script(store: Store, signer: SoftwareSigner):
    xpub = signer.get_xpub("m/86'/0'/0'")
    book = AccountBook(store)
    with pytest.raises(AccountError, match="p2wpkh or p2tr"):
        book.add_watch_xpub("btc", xpub)
    acct = book.add_watch_xpub("btc", xpub, ScriptKind.P2TR)
    assert acct.address == signer.get_address("btc", "m/86'/0'/0'/0/0")


def test_private_keys_are_refused(store: Store, signer: SoftwareSigner):
    xprv = str(signer._node("m/84'/0'/0'").PrivateKey().ToExtended())
    with pytest.raises(AccountError):
        AccountBook(store).add_watch_xpub("btc", xprv, ScriptKind.P2WPKH)


def test_watch_only_addresses(store: Store):
    book = AccountBook(store)
    eth = book.add_watch_address("eth", "0x9858effd232b4033e47d90003d41ec34ecaeda94")
    assert eth.address == "0x9858EfFD232B4033E47d90003D41EC34EcaEda94"
    with pytest.raises(AccountError, match="checksum"):
        book.add_watch_address("eth", "0x9858EFfd232B4033E47d90003D41EC34EcaEda94")
    tr = book.add_watch_address(
        "btc", "bc1p5cyxnuxmeuwuvkwfem96lqzszd02n6xdcjrs20cac6yqjjwudpxqkedrcr"
    )
    assert tr.script is ScriptKind.P2TR
    ltc = book.add_watch_address("ltc", "ltc1qjmxnz78nmc8nq77wuxh25n2es7rzm5c2rkk4wh")
    assert ltc.script is ScriptKind.P2WPKH
    with pytest.raises(AccountError):
        book.add_watch_address("ltc", "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu")
    with pytest.raises(AccountError, match="already"):
        book.add_watch_address("ltc", "ltc1qjmxnz78nmc8nq77wuxh25n2es7rzm5c2rkk4wh")
