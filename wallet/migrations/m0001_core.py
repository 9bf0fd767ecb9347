"""Core tables: metadata, wallets, accounts, cached balances."""

SQL = """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE wallets (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('software', 'device', 'watch')),
            created_at TEXT NOT NULL
        );
        CREATE TABLE accounts (
            id INTEGER PRIMARY KEY,
            wallet_id INTEGER NOT NULL REFERENCES wallets(id),
            network TEXT NOT NULL,
            path TEXT,
            address TEXT NOT NULL,
            label TEXT,
            UNIQUE (wallet_id, network, address)
        );
        CREATE TABLE balances (
            network TEXT NOT NULL,
            address TEXT NOT NULL,
            asset TEXT NOT NULL,
            amount TEXT NOT NULL,
            block INTEGER,
            as_of TEXT NOT NULL,
            PRIMARY KEY (network, address, asset)
        );
"""
