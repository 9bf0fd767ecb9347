"""The support desk: FAQ, tickets with scrubbed diagnostics, channels with reply-time promises.

Nothing here imports Textual; network libraries (httpx, smtplib) are imported by the modules
that talk to them, which the app only loads when a ticket is sent or refreshed."""
