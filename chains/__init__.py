"""Chain layer: talks to nodes, indexers, swap providers and price feeds.

Never imports textual, tui, wallet or devices. Amounts are integers in base units; only
units.py turns them into Decimal for display and back.
"""
