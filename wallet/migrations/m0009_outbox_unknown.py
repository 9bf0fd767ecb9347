"""Outbox: the 'unknown' state, and a refused transaction gives up its nonce slot.

A node's refusal of a broadcast proves nothing: a hostile or buggy node can pass the bytes on
and answer "insufficient funds" (issue 14). Such a row is 'unknown' until the chain settles it
by hash (mined) or by nonce (another transaction took it: dropped). Meanwhile the next payment
may take the same nonce: at most one of the two can ever be mined, so reusing it is what keeps
an unknown transaction from paying twice, and a refused one from blocking every later send.

SQLite cannot change a CHECK constraint in place: the table is rebuilt (its own foreign key
names the new table, which the rename rewrites, so dropping the old one breaks nothing).
"""

SQL = """
        CREATE TABLE outbox_v9 (
            id INTEGER PRIMARY KEY,
            network TEXT NOT NULL,
            chain_id INTEGER NOT NULL,
            sender TEXT NOT NULL,
            nonce INTEGER NOT NULL CHECK (nonce >= 0),
            tx_hash TEXT NOT NULL UNIQUE,
            raw_tx TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN
                ('send', 'speedup', 'cancel', 'approve', 'swap', 'revoke', 'swap_fee')),
            replaces INTEGER REFERENCES outbox_v9(id),
            recipient TEXT NOT NULL,
            asset TEXT NOT NULL,
            amount TEXT NOT NULL,
            gas INTEGER NOT NULL,
            max_fee_per_gas TEXT NOT NULL,
            max_priority_fee_per_gas TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN
                ('signed', 'broadcast', 'mined', 'failed', 'replaced', 'dropped', 'unknown')),
            block INTEGER,
            error TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        INSERT INTO outbox_v9 SELECT * FROM outbox;
        DROP TABLE outbox;
        ALTER TABLE outbox_v9 RENAME TO outbox;
        CREATE INDEX outbox_by_nonce ON outbox(network, sender, nonce);
        CREATE INDEX outbox_open ON outbox(state)
            WHERE state IN ('signed', 'broadcast', 'unknown');
        -- One new transaction per nonce among those sent or on chain; a refused ('unknown'),
        -- dropped or replaced one leaves the nonce to the next payment (which, mined, settles
        -- the refused one as replaced).
        CREATE UNIQUE INDEX outbox_one_send_per_nonce ON outbox(network, sender, nonce)
            WHERE kind NOT IN ('speedup', 'cancel')
            AND state IN ('signed', 'broadcast', 'mined', 'failed');
"""
