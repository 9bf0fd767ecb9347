"""The last known fiat price of each coin per currency, with its time and source, so that an
offline wallet shows the last price marked with its age instead of nothing or a made-up one."""

SQL = """
        CREATE TABLE prices (
            symbol TEXT NOT NULL,             -- 'BTC'
            currency TEXT NOT NULL,           -- 'USD'
            price TEXT NOT NULL,              -- Decimal as text: one coin in the currency
            as_of TEXT NOT NULL,              -- ISO 8601 UTC: when the source says it was current
            source TEXT NOT NULL,             -- 'coingecko', 'coinbase', 'kraken', 'devnet pool'
            fetched_at TEXT NOT NULL,         -- ISO 8601 UTC: when the wallet read it
            PRIMARY KEY (symbol, currency)
        );
"""
