"""`zhengce serve`: bring the index up to date with the corpus folder, then serve the API from
``--workers`` processes (uvicorn's supervisor), each building its service from the environment."""

from __future__ import annotations

import argparse
import os
import socket
import sys
from argparse import Namespace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from indexer.cli.backend_flags import add_backend_flags
from indexer.errors import ZhengceError

if TYPE_CHECKING:
    from search_api.settings import Settings

APP = "search_api.app:create_app"  # a factory: each worker process builds its own service


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = commands.add_parser("serve", help="serve the HTTP API")
    serve.add_argument("--index", dest="index_dir", type=Path, default=None)
    add_backend_flags(serve)
    serve.add_argument("--corpus", type=Path, default=None, help="index this folder first if stale")
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument("--workers", type=int, default=None,
                       help="server processes sharing the port and the index (default 1, ZHENGCE_WORKERS)")
    serve.set_defaults(handler=main_serve)


def settings_from_args(args: Namespace) -> Settings:
    """Environment (ZHENGCE_*) first, command-line flags over it."""
    from search_api.settings import Settings

    return Settings(**flags_of(args))


def flags_of(args: Namespace) -> dict[str, Any]:
    """The settings the command line gives (None: not given)."""
    flags = {
        "index_dir": getattr(args, "index_dir", None),
        "corpus_dir": getattr(args, "corpus", None),
        "host": getattr(args, "host", None),
        "port": getattr(args, "port", None),
        "backend": getattr(args, "backend", None),
        "milvus_uri": getattr(args, "milvus_uri", None),
        "milvus_collection": getattr(args, "milvus_collection", None),
        "workers": getattr(args, "workers", None),
    }
    return {name: value for name, value in flags.items() if value is not None}


def refresh_index(settings: Settings) -> bool:
    """Index new or changed files of the corpus folder; cheap when nothing changed.

    Nothing is pruned: documents indexed from elsewhere (uploads, other folders) stay. The index
    keeps its own settings; serving the learned ranker, an index that lacks sentence vectors gets them.
    Returns False, after saying why, when the index cannot be brought up to date.
    """
    from indexer.index.report import format_report
    from indexer.index.settings import IndexSettings
    from search_api.service import backend_for

    try:
        backend = backend_for(settings)
        index_settings = None
        if settings.fusion == "learned":
            manifest = backend.current_manifest()
            index_settings = IndexSettings.of(manifest) if manifest else IndexSettings()
            index_settings.sentences = True
        print(f"zhengce serve: indexing what is new or changed in {settings.corpus_dir} before serving "
              "(the first time: a minute or more; progress below)", file=sys.stderr, flush=True)
        report = backend.update([settings.corpus_dir], index_settings, progress=True)
    except ZhengceError as error:
        print(f"zhengce serve: {error}", file=sys.stderr)
        return False
    print(format_report(report), file=sys.stderr)
    return True


def main_serve(args: Namespace) -> int:
    import uvicorn
    from pydantic import ValidationError

    try:
        settings = settings_from_args(args)
    except ValidationError as error:
        print(f"zhengce serve: invalid settings:\n{error}", file=sys.stderr)
        return 2
    if settings.corpus_dir is not None and not refresh_index(settings):
        return 2
    # every worker reads its settings from the environment: what the flags said goes there first
    os.environ.update({f"ZHENGCE_{name.upper()}": str(value) for name, value in flags_of(args).items()})
    from search_api.connections import HeaderDeadlineH11  # slow request headers get 408 and a closed connection

    if settings.workers == 1:
        uvicorn.run(APP, factory=True, host=settings.host, port=settings.port, http=HeaderDeadlineH11)
        return 0
    from uvicorn.supervisors import Multiprocess

    config = uvicorn.Config(APP, factory=True, host=settings.host, port=settings.port, workers=settings.workers,
                            http=HeaderDeadlineH11)
    try:
        shared = listening_socket(settings.host, settings.port)
    except OSError as error:
        print(f"zhengce serve: cannot listen on {settings.host}:{settings.port}: {error}", file=sys.stderr)
        return 2
    print(f"zhengce serve: {settings.workers} workers on http://{settings.host}:{shared.getsockname()[1]}",
          file=sys.stderr)
    Multiprocess(config, sockets=[shared]).run()
    return 0


def listening_socket(host: str, port: int) -> socket.socket:
    """The port the workers share, bound here and declared TCP with Nagle's algorithm off. Bound
    by uvicorn it has no protocol set, so asyncio leaves Nagle on for every connection and each
    response waits for a delayed ACK (README, Serving, has the figures); Linux passes TCP_NODELAY on to
    the accepted connections."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    shared = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    shared.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    shared.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    shared.bind((host, port))
    shared.set_inheritable(True)
    return shared
