"""The price of a coin on a past day (CoinGecko's history: 00:00 UTC of that day), per currency,
for History's "value at the time". A NULL price records that the source has none for that day
(the coin had no market yet), so the day is not asked again; a failed request stores nothing."""

SQL = """
        CREATE TABLE day_prices (
            symbol TEXT NOT NULL,             -- 'BTC'
            day TEXT NOT NULL,                -- 'YYYY-MM-DD' (UTC)
            currency TEXT NOT NULL,           -- 'USD'
            price TEXT,                       -- Decimal as text; NULL: the source has none
            source TEXT NOT NULL,             -- 'coingecko'
            fetched_at TEXT NOT NULL,         -- ISO 8601 UTC: when the wallet read it
            PRIMARY KEY (symbol, day, currency)
        );
"""
