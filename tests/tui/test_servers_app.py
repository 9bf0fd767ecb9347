"""The Assets screen says where each chain's data comes from, and stops at a server whose
pinned certificate changed with the message naming both fingerprints (issue 19). On litecoind +
ElectrumX regtest over TLS (a self-signed certificate, as most public Electrum servers use)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.litecoin import Regtest
from tests.fixtures.tls import der_fingerprint
from tests.tui.test_utxo_app import PHRASE, _config, _text, _until
from tui.app import make_app
from tui.screenshots import settle
from tui.services import UserServices
from wallet.paths import Paths

OTHER = ":".join(["5A"] * 32)


def _watch(paths: Paths) -> None:
    from devices.emulator import SoftwareSigner
    from wallet.accounts import AccountBook, convert_xpub
    from wallet.keys import ScriptKind, account_path
    from wallet.store import Store

    signer = SoftwareSigner.from_mnemonic(PHRASE)
    xpub = convert_xpub(signer.get_xpub(account_path("ltc-regtest", ScriptKind.P2WPKH, 0)), "tpub")
    store = Store(paths.database)
    AccountBook(store).add_watch_xpub("ltc-testnet", xpub, ScriptKind.P2WPKH)
    store.close()


@pytest.mark.regtest
@pytest.mark.parametrize("language", ["en", "zh-CN"])
async def test_assets_names_the_server_then_stops_on_a_changed_certificate(
    regtest: Regtest, termwallet_home: Path, language: str
) -> None:
    paths = Paths.default().ensure()
    _config(paths, regtest.electrum_ssl)
    _watch(paths)

    app = make_app(services=UserServices(paths), language=language)
    async with app.run_test(size=(140, 30)) as pilot:
        await settle(pilot)
        await _until(pilot, lambda: app.screen.utxo_view is not None, "Litecoin rows")
        (row,) = app.screen.utxo_view
        assert not row.stale and row.amount is not None  # self-signed: trusted on first use
        text = _text(app)
        said = "Read from: Litecoin Regtest 127.0.0.1" if language == "en" else "数据来源："
        assert said in text and "Litecoin Regtest 127.0.0.1" in text, text

    # Someone else's certificate is pinned now (as if the server's had changed since).
    from wallet.server_certs import StorePins
    from wallet.store import Store

    store = Store(paths.database)
    StorePins(store).accept(regtest.electrum_ssl, OTHER)
    store.close()
    app = make_app(services=UserServices(paths), language=language)
    async with app.run_test(size=(140, 30)) as pilot:
        await settle(pilot)
        await _until(pilot, lambda: app.screen.utxo_view is not None, "Litecoin rows")
        (row,) = app.screen.utxo_view
        assert row.stale and getattr(row.error, "code", None) == "CERT_CHANGED"
        text = " ".join(_text(app).split())
        real = der_fingerprint(regtest.cert_path)
        # Fingerprints are long: the note wraps; the words are checked on the joined text.
        joined = text.replace(" ", "")
        assert OTHER in joined and real in joined, text
        assert joined.count(OTHER) == 1, text  # said once, not again as a skipped server
        assert f"termwalletserversaccept-cert{regtest.electrum_ssl}{real}" in joined
        if language == "en":
            assert "TLS certificate changed" in text
        else:
            assert "TLS 证书已变更" in text
