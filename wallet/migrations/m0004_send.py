"""Sending: the outbox of signed transactions (written before broadcast), the address book and
tokens the user added."""

SQL = """
        -- Every signed transaction, stored BEFORE it is broadcast, so a crash at any step can
        -- be reconciled on start (re-broadcast the same bytes, or record that it was mined).
        -- Rows sharing (network, sender, nonce) are one send and its replacements (speed-up,
        -- cancel): at most one of them can ever be mined.
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY,
            network TEXT NOT NULL,
            chain_id INTEGER NOT NULL,
            sender TEXT NOT NULL,
            nonce INTEGER NOT NULL CHECK (nonce >= 0),
            tx_hash TEXT NOT NULL UNIQUE,
            raw_tx TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN
                ('send', 'speedup', 'cancel', 'approve', 'swap', 'revoke', 'swap_fee')),
            replaces INTEGER REFERENCES outbox(id),
            recipient TEXT NOT NULL,       -- who receives the asset (not the token contract)
            asset TEXT NOT NULL,           -- Asset.key
            amount TEXT NOT NULL,          -- base units
            gas INTEGER NOT NULL,
            max_fee_per_gas TEXT NOT NULL,
            max_priority_fee_per_gas TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN
                ('signed', 'broadcast', 'mined', 'failed', 'replaced', 'dropped')),
            block INTEGER,
            error TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX outbox_by_nonce ON outbox(network, sender, nonce);
        CREATE INDEX outbox_open ON outbox(state) WHERE state IN ('signed', 'broadcast');
        -- One new transaction per nonce: replacements (speed-up, cancel) share it, a second new
        -- transaction of any kind never does.
        CREATE UNIQUE INDEX outbox_one_send_per_nonce ON outbox(network, sender, nonce)
            WHERE kind NOT IN ('speedup', 'cancel');

        CREATE TABLE address_book (
            network TEXT NOT NULL,
            address TEXT NOT NULL,         -- EIP-55 checksummed
            label TEXT NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (network, address)
        );

        CREATE TABLE user_tokens (
            network TEXT NOT NULL,
            contract TEXT NOT NULL,        -- EIP-55 checksummed
            symbol TEXT NOT NULL,
            name TEXT NOT NULL,
            decimals INTEGER NOT NULL CHECK (decimals BETWEEN 0 AND 36),
            listed INTEGER NOT NULL,       -- 1: on the built-in token list
            added_at TEXT NOT NULL,
            PRIMARY KEY (network, contract)
        );
"""
