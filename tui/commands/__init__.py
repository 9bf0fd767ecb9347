"""Non-interactive subcommands. Each module here defines `register(subparsers)`; cli.py finds
them. Command names and flags are a contract with users' scripts: add, never rename."""
