"""The serving commands of `zhengce` (serve, mcp, audit), registered through indexer.cli.COMMANDS."""
