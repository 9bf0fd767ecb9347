"""History: every transaction touching the user's accounts, labels and notes, sync cursors.

One row per (account, transaction, movement): a transaction's own native value is log_index
-1, each token event its log index. Addresses and hashes are NOCASE so search by prefix can use
an index whatever case the user types (base58 addresses keep their case in storage).
"""

SQL = """
        CREATE TABLE history (
            id INTEGER PRIMARY KEY,
            network TEXT NOT NULL,
            account TEXT NOT NULL COLLATE NOCASE,      -- the user's address the row belongs to
            tx_hash TEXT NOT NULL COLLATE NOCASE,
            log_index INTEGER NOT NULL DEFAULT -1,     -- -1: the transaction's native value
            kind TEXT NOT NULL CHECK (kind IN ('transfer', 'approval', 'call')),
            direction TEXT NOT NULL CHECK (direction IN ('in', 'out', 'self')),
            asset TEXT NOT NULL,                       -- Asset.key: network:contract|native
            symbol TEXT NOT NULL DEFAULT '',
            decimals INTEGER,                          -- NULL: a token we know nothing about
            amount TEXT NOT NULL DEFAULT '0',          -- base units (allowance for approvals)
            counterparty TEXT NOT NULL DEFAULT '' COLLATE NOCASE,  -- spender for approvals
            status TEXT NOT NULL CHECK (status IN ('pending', 'confirmed', 'failed')),
            block INTEGER,
            ts INTEGER NOT NULL,                       -- block time, or first seen (pending)
            fee TEXT,                                  -- native base units, one row per tx
            nonce INTEGER,
            method TEXT NOT NULL DEFAULT '',           -- transfer | approve | swap | 0x...
            made_here INTEGER NOT NULL DEFAULT 0,      -- signed by this app (the outbox)
            flags INTEGER NOT NULL DEFAULT 0,          -- wallet/activity.py Flag bits
            dismissed INTEGER NOT NULL DEFAULT 0,      -- the user has seen the flags
            UNIQUE (network, account, tx_hash, log_index)
        );
        -- The table pages newest first; each filter has an index that ends in the sort key,
        -- so a filtered page is an index range scan, not a sort of 100,000 rows.
        CREATE INDEX history_by_time ON history(ts DESC, id DESC);
        CREATE INDEX history_by_account ON history(account, ts DESC, id DESC);
        CREATE INDEX history_by_asset ON history(asset, ts DESC, id DESC);
        CREATE INDEX history_by_direction ON history(direction, ts DESC, id DESC);
        CREATE INDEX history_flagged ON history(ts DESC, id DESC) WHERE flags != 0;
        CREATE INDEX history_by_hash ON history(tx_hash);
        CREATE INDEX history_by_counterparty ON history(counterparty);
        CREATE INDEX history_by_block ON history(network, block);

        -- The user's words about a transaction; kept apart so a re-sync never touches them.
        CREATE TABLE history_notes (
            network TEXT NOT NULL,
            tx_hash TEXT NOT NULL COLLATE NOCASE,
            label TEXT NOT NULL DEFAULT '',
            note TEXT NOT NULL DEFAULT '',
            updated_at TEXT NOT NULL,
            PRIMARY KEY (network, tx_hash)
        );
        CREATE INDEX history_notes_label ON history_notes(label);

        -- Where each source stopped, per account: the next sync starts there.
        CREATE TABLE history_cursors (
            network TEXT NOT NULL,
            source TEXT NOT NULL,                      -- evm-node | etherscan | electrum | ...
            account TEXT NOT NULL COLLATE NOCASE,
            cursor TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (network, source, account)
        );
"""
