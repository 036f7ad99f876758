"""`zhengce`: one sub-command per job, each registering its own flags next to its code.

``COMMANDS`` names the modules that make up the command, in ``zhengce --help`` order; each has
``register(commands)``, which adds its sub-parser with its flags and its handler (a function taking
the parsed arguments and returning an exit code). The serving and evaluation commands live in
search_api.cli and eval.cli and are only named here, so nothing in indexer imports either package.
A command module imports its heavy dependencies inside its handler: building the parser stays cheap.
"""

from __future__ import annotations

import argparse
import errno
import logging
import sys
from importlib import import_module

from indexer.errors import UnreadableFile, ZhengceError

COMMANDS = (
    "indexer.cli.inspect",
    "indexer.cli.index",
    "indexer.cli.search",
    "search_api.cli.serve",
    "eval.cli.evaluate",
    "indexer.cli.draft",
    "eval.cli.judgments",
    "search_api.cli.audit",
    "search_api.cli.mcp",
    "eval.cli.bench",
)
STORAGE_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES)
# exit codes per kind of error; any other exception is a bug and ends in a traceback
EXIT_CODES = ((UnreadableFile, 1), (ZhengceError, 2))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="zhengce", description="政策检索: search Chinese policy documents")
    commands = parser.add_subparsers(dest="command", required=True)
    for module in COMMANDS:
        import_module(module).register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # per-file problems are reported by the command itself; the parsers' own chatter is noise
    for noisy in ("pypdf", "trafilatura", "htmldate", "jieba", "RapidOCR"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    try:
        return int(args.handler(args) or 0)
    except ZhengceError as error:
        print(f"zhengce {args.command}: {error}", file=sys.stderr)
        return exit_code(error)
    except OSError as error:  # a full disk or read-only folder is the operator's to fix, not a bug
        if error.errno not in STORAGE_ERRNOS:
            raise
        print(f"zhengce {args.command}: {error.strerror}: {error.filename or ''}; the index was left as it was",
              file=sys.stderr)
        return 2


def exit_code(error: ZhengceError) -> int:
    return next(code for kind, code in EXIT_CODES if isinstance(error, kind))
