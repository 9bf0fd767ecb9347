"""Coin control and BIP329 labels: outputs the user froze (never spent by automatic selection),
and labels for transactions, addresses, keys, inputs and outputs as BIP329 names them, so a file
from Sparrow or Electrum comes in whole and goes out again unchanged."""

SQL = """
        -- A frozen coin, by outpoint 'txid:vout' (a txid names one chain's transaction).
        CREATE TABLE utxo_frozen (
            outpoint TEXT NOT NULL PRIMARY KEY COLLATE NOCASE,
            frozen_at TEXT NOT NULL
        );
        -- BIP329 records. Transaction labels are also written to history_notes, which the
        -- History screen reads; this table keeps the long form and the origin for export.
        CREATE TABLE labels (
            type TEXT NOT NULL CHECK (type IN ('tx', 'addr', 'pubkey', 'input', 'output', 'xpub')),
            ref TEXT NOT NULL,
            label TEXT NOT NULL DEFAULT '',
            origin TEXT,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (type, ref)
        );
"""
