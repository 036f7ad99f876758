"""The flags that say where an index lives, shared by the commands that open one."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from indexer.update.backends import Backend


def add_backend_flags(parser: argparse.ArgumentParser) -> None:
    """--backend and the Milvus location; unset flags fall back to ZHENGCE_BACKEND, ZHENGCE_MILVUS_URI ..."""
    parser.add_argument("--backend", choices=["local", "milvus"], default=None,
                        help="where the index lives: local folder (default) or Milvus")
    parser.add_argument("--milvus-uri", default=None,
                        help="Milvus Lite file (path ending in .db) or server URI (http://host:19530)")
    parser.add_argument("--milvus-collection", default=None, help="Milvus collection (alias) name (default zhengce)")


def backend_from_args(args: argparse.Namespace) -> Backend:
    """The backend the flags (over the ZHENGCE_* settings) name."""
    from indexer.update.backends import open_backend

    return open_backend(args.backend, index_dir=args.index_dir, milvus_uri=args.milvus_uri,
                        collection=args.milvus_collection)
