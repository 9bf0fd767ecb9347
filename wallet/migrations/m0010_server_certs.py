"""Pinned TLS certificates of Electrum servers (trust on first use, chains/cert_pins.py).

In the store rather than a file beside it: a pin is security state written while the app
syncs, and SQLite writes it whole or not at all (a torn JSON file would silently forget every
pin and trust the next certificate again); it is backed up and restored with the accounts it
protects; and the CLI that accepts a new certificate already opens the store.
"""

SQL = """
        CREATE TABLE server_certs (
            server TEXT PRIMARY KEY,          -- 'ssl://host:port'
            fingerprint TEXT NOT NULL,        -- SHA-256 of the DER certificate, 'AB:CD:...'
            first_seen TEXT NOT NULL,         -- ISO 8601 UTC: when this certificate was pinned
            ca_valid INTEGER NOT NULL CHECK (ca_valid IN (0, 1)),
            accepted_by_user INTEGER NOT NULL DEFAULT 0 CHECK (accepted_by_user IN (0, 1))
        );
"""
