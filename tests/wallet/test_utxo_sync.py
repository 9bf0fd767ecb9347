"""Account keys and backend choice, without a network (the regtest tests sync for real)."""

from __future__ import annotations

from pathlib import Path

import pytest

from chains.electrum import ElectrumBackend
from chains.esplora import EsploraBackend
from chains.utxo_networks import utxo_network
from devices.emulator import SoftwareSigner
from wallet.accounts import AccountBook, derive_address
from wallet.keys import ScriptKind, account_path, address_path
from wallet.store import Store
from wallet.utxo_keys import AccountKeys, UtxoAccountError
from wallet.utxo_sync import UtxoAccount, utxo_backend

MNEMONIC = "legal winner thank year wave sausage worth useful legal winner thank yellow"


@pytest.mark.parametrize("chain", ["btc", "ltc", "btc-regtest", "ltc-regtest"])
@pytest.mark.parametrize("script", [ScriptKind.P2WPKH, ScriptKind.P2TR])
def test_keys_match_the_signer_and_the_account_book(chain: str, script: ScriptKind) -> None:
    signer = SoftwareSigner.from_mnemonic(MNEMONIC)
    path = account_path(chain, script)
    xpub = signer.get_xpub(path)
    keys = AccountKeys(utxo_network(chain), script, xpub, path)
    for change, index in [(0, 0), (0, 1), (1, 0), (0, 57)]:
        k = keys.key(change, index)
        # Three derivations agree: embit from the xpub (sync), bip_utils from the xpub
        # (wallet.accounts), and the signer from the seed (what it will sign for).
        assert k.address == derive_address(chain, script, xpub, change, index)
        assert k.address == signer.get_address(
            chain, address_path(chain, script, 0, index, change=bool(change))
        )
        assert k.path[-2:] == (change, index) and len(k.pubkey) == 33


def test_backend_choice_and_user_servers() -> None:
    assert isinstance(utxo_backend("ltc"), ElectrumBackend)
    assert isinstance(utxo_backend("btc", prefer="esplora"), EsploraBackend)
    mine = utxo_backend("ltc-regtest", electrum_servers={"ltc-regtest": ["tcp://127.0.0.1:1"]})
    assert isinstance(mine, ElectrumBackend) and mine.servers == ("tcp://127.0.0.1:1",)
    rest = utxo_backend("ltc-regtest", esplora_urls={"ltc-regtest": ["http://127.0.0.1:1"]})
    assert isinstance(rest, EsploraBackend)
    with pytest.raises(UtxoAccountError, match="no server configured"):
        utxo_backend("btc-regtest")


def test_accounts_without_keys_or_of_another_chain_are_refused(tmp_path: Path) -> None:
    store = Store(tmp_path / "w.sqlite3")
    book = AccountBook(store)
    watched = book.add_watch_address("ltc", "ltc1qqqqsyqcyq5rqwzqfpg9scrgwpugpzysn3s44dy")
    backend = ElectrumBackend(utxo_network("ltc"))
    with pytest.raises(UtxoAccountError, match="no xpub"):
        UtxoAccount(store, watched, backend)
    signer = SoftwareSigner.from_mnemonic(MNEMONIC)
    btc = book.add_from_signer(signer, book.software_wallet(), "btc", ScriptKind.P2WPKH)
    with pytest.raises(UtxoAccountError, match="not ltc"):
        UtxoAccount(store, btc, backend)
    store.close()
