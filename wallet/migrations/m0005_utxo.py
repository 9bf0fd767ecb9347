"""Bitcoin-like accounts: discovered addresses, the transactions that touch them, and the
transactions we signed (kept before broadcast so a crash neither loses nor repeats one)."""

SQL = """
        -- Every address derived for an account, used or not; gap-limit discovery extends it.
        CREATE TABLE utxo_addresses (
            account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
            network TEXT NOT NULL,
            change INTEGER NOT NULL CHECK (change IN (0, 1)),
            idx INTEGER NOT NULL CHECK (idx >= 0),
            address TEXT NOT NULL,
            used INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (account_id, network, change, idx)
        );
        CREATE INDEX utxo_addresses_by_address ON utxo_addresses(network, address);
        -- Raw transactions seen by the account (confirmed ones never change: a cache).
        CREATE TABLE utxo_transactions (
            network TEXT NOT NULL,
            txid TEXT NOT NULL,
            raw BLOB NOT NULL,
            height INTEGER NOT NULL DEFAULT 0,   -- 0 or less: unconfirmed
            block_time INTEGER,
            PRIMARY KEY (network, txid)
        );
        -- Which account each transaction touches, and by how much (base units as TEXT).
        CREATE TABLE utxo_history (
            account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
            network TEXT NOT NULL,
            txid TEXT NOT NULL,
            received TEXT NOT NULL,
            sent TEXT NOT NULL,
            fee TEXT,                             -- NULL when an input is not ours
            PRIMARY KEY (account_id, network, txid)
        );
        -- Signed by us: written before broadcast; inputs stay reserved until it settles.
        CREATE TABLE utxo_outgoing (
            id INTEGER PRIMARY KEY,
            account_id INTEGER NOT NULL REFERENCES accounts(id),
            network TEXT NOT NULL,
            txid TEXT NOT NULL,
            raw BLOB NOT NULL,
            psbt BLOB NOT NULL,
            inputs TEXT NOT NULL,                 -- JSON list of 'txid:vout'
            recipient TEXT NOT NULL,
            amount TEXT NOT NULL,
            fee TEXT NOT NULL,
            fee_rate INTEGER NOT NULL,
            state TEXT NOT NULL
                CHECK (state IN ('signed', 'broadcast', 'confirmed', 'failed', 'replaced')),
            height INTEGER,
            created_at TEXT NOT NULL,
            broadcast_at TEXT,
            last_error TEXT,
            UNIQUE (network, txid)
        );
"""
