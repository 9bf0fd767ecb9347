"""Swaps: each swap the wallet executed (what the review showed and what was paid), and the
token allowances it granted, so the user can see and revoke them."""

SQL = """
        CREATE TABLE swaps (
            id INTEGER PRIMARY KEY,
            network TEXT NOT NULL,
            sender TEXT NOT NULL,
            provider TEXT NOT NULL,
            sell_asset TEXT NOT NULL,          -- Asset.key
            sell_symbol TEXT NOT NULL,
            sell_decimals INTEGER NOT NULL,
            buy_asset TEXT NOT NULL,
            buy_symbol TEXT NOT NULL,
            buy_decimals INTEGER NOT NULL,
            amount_in TEXT NOT NULL,           -- base units, as reviewed
            expected_out TEXT NOT NULL,
            min_out TEXT NOT NULL,             -- amountOutMin, enforced on chain
            deadline INTEGER,                  -- chain time; NULL: the provider sets none
            slippage_bps INTEGER NOT NULL,
            price_impact_bps INTEGER NOT NULL,
            provider_fee TEXT NOT NULL,
            service_fee TEXT NOT NULL,
            service_fee_bps INTEGER NOT NULL,
            service_fee_to TEXT,
            approval_tx TEXT,
            swap_tx TEXT,
            fee_tx TEXT,
            received TEXT,                     -- read from the swap's receipt
            network_fee_paid TEXT,             -- gas x price of every transaction of this swap
            state TEXT NOT NULL CHECK (state IN
                ('started', 'approved', 'sent', 'done', 'reverted', 'failed')),
            error TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX swaps_by_network ON swaps(network, id);

        CREATE TABLE swap_approvals (
            network TEXT NOT NULL,
            owner TEXT NOT NULL,
            token TEXT NOT NULL,
            spender TEXT NOT NULL,
            amount TEXT NOT NULL,              -- as approved; 0 after a revoke
            tx_hash TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (network, owner, token, spender)
        );
"""
