"""The Textual UI. Talks to wallet/ only; never to device or network libraries."""
