"""Domain core: settings, accounts, keystore, store, portfolio, history, send/swap, support.

No Textual here. Calls down into devices/ and chains/, which never call back up.
"""
