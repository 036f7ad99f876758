"""`zhengce serve`: bring the index up to date with the corpus folder, then serve the API from
``--workers`` processes (uvicorn's supervisor), each building its service from the environment."""

from __future__ import annotations

import os
import sys
from argparse import Namespace
from typing import Any

from pydantic import ValidationError

from indexer.errors import ZhengceError
from indexer.index.report import format_report
from search_api.service import backend_for
from search_api.settings import Settings


def settings_from_args(args: Namespace) -> Settings:
    """Environment (ZHENGCE_*) first, command-line flags over it."""
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

    Nothing is pruned: documents indexed from elsewhere (uploads, other folders) stay.
    Returns False, after saying why, when the index cannot be brought up to date.
    """
    try:
        report = backend_for(settings).update([settings.corpus_dir], progress=True)
    except ZhengceError as error:
        print(f"zhengce serve: {error}", file=sys.stderr)
        return False
    print(format_report(report), file=sys.stderr)
    return True


def main_serve(args: Namespace) -> int:
    import uvicorn

    try:
        settings = settings_from_args(args)
    except ValidationError as error:
        print(f"zhengce serve: invalid settings:\n{error}", file=sys.stderr)
        return 2
    if settings.corpus_dir is not None and not refresh_index(settings):
        return 2
    # every worker reads its settings from the environment: what the flags said goes there first
    os.environ.update({f"ZHENGCE_{name.upper()}": str(value) for name, value in flags_of(args).items()})
    uvicorn.run("search_api.app:create_app", factory=True, host=settings.host, port=settings.port,
                workers=settings.workers)
    return 0
