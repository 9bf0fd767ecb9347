"""Keys: unlock lockout state, TOTP replay guard, and what an account is (script, xpub)."""

SQL = """
        -- One row per guarded action ('unlock', 'totp'): failures since the last success and
        -- the time (Unix seconds) before which no attempt is accepted. Kept on disk so that
        -- restarting the app does not reset the delay.
        CREATE TABLE lockout (
            scope TEXT PRIMARY KEY,
            failures INTEGER NOT NULL DEFAULT 0 CHECK (failures >= 0),
            locked_until REAL NOT NULL DEFAULT 0,
            last_failure_at REAL
        );
        -- The secret lives in the encrypted keystore; here only what must survive without it:
        -- the last accepted time step, so a code cannot be used twice.
        CREATE TABLE totp_state (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            enabled INTEGER NOT NULL DEFAULT 0,
            for_sending INTEGER NOT NULL DEFAULT 0,
            last_step INTEGER NOT NULL DEFAULT 0
        );
        ALTER TABLE accounts ADD COLUMN script TEXT;          -- eth | p2wpkh | p2tr
        ALTER TABLE accounts ADD COLUMN account_index INTEGER;
        ALTER TABLE accounts ADD COLUMN xpub TEXT;            -- account-level public key
        ALTER TABLE accounts ADD COLUMN watch_only INTEGER NOT NULL DEFAULT 0;
"""
