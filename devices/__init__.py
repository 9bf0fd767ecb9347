"""Device layer: hardware wallets (Trezor, Ledger, HWI devices) and the software signer.

Never imports textual, tui, wallet or chains. Device libraries are imported lazily inside the
adapter that uses them, so the app starts without waiting for them.
"""
