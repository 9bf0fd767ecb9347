"""Swap providers: quotes and the transactions that execute them (Uniswap V2 on chain, a
0x-style aggregator over HTTP). Amounts are integers in base units; see base.py."""
