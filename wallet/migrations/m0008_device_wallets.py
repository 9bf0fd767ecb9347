"""Device wallets: a wallet whose keys live on a hardware wallet, kept beside the others.

A device wallet stores what identifies its keys (the BIP32 master fingerprint where the device
tells it, e.g. a Trezor or a Ledger in its Bitcoin app) and how to find the device again (its
kind and model); its accounts are xpubs like any other. No secret is stored. A passphrase
wallet on a device is another wallet (another fingerprint). `meta.current_wallet` names the
wallet the app and the CLI open.
"""

SQL = """
        ALTER TABLE wallets ADD COLUMN fingerprint TEXT;   -- hex, 8 digits; NULL: unknown
        ALTER TABLE wallets ADD COLUMN device_kind TEXT;   -- trezor | ledger | hwi
        ALTER TABLE wallets ADD COLUMN model TEXT;         -- "Trezor One", "Ledger"
        ALTER TABLE wallets ADD COLUMN passphrase INTEGER NOT NULL DEFAULT 0;
        CREATE UNIQUE INDEX wallets_device_fingerprint ON wallets(fingerprint)
            WHERE kind = 'device' AND fingerprint IS NOT NULL;
"""
