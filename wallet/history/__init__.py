"""History: every transaction of the user's accounts, kept in SQLite and synced incrementally.

- `model`: what a row is (`HistoryItem` as a source reports it, `HistoryRow` as stored), the
  filters (`HistoryQuery`), and `HistorySource`, what a chain plugs in (EVM node,
  Etherscan-compatible API, Bitcoin and Litecoin account syncs): given the accounts and where
  each stopped, it returns the items since then and the new cursors.
- `store`: `HistoryStore` holds the rows, the user's labels and notes, and the cursors; it
  answers filtered, searched pages newest first from indexes (the table shows 100,000 rows by
  asking only for the rows on screen).
- `export`: the CSV export and its stable columns.
- `evm_source`, `utxo_source`: the sources, turning chain transactions into rows.
- `sync`: `HistorySync` runs the sources, adds what this app signed and is still pending (the
  outbox), and flags abnormal activity (wallet/activity.py) on the rows that are new; and the
  choice of sources for a wallet (`sources_for`, `history_api_of`, `sync_wallet_history`).
"""
