"""The evaluation commands of `zhengce` (eval, bench, judgments), registered through indexer.cli.COMMANDS."""
