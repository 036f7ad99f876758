"""`zhengce index PATH... --index DIR`: add, update (and with --prune remove) files in an index."""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from indexer.cli import backend_from_args
from indexer.gongwen.chunk import ChunkSettings
from indexer.gongwen.documents import load_document
from indexer.index.report import format_report
from indexer.index.settings import IndexSettings


def main_index(args: Any) -> int:
    """`zhengce index PATH... --index DIR [--prune] [--model M] [--factory F] [--chunk-chars N] [--[no-]sentences] [--ocr MODE] [--json]`."""
    backend = backend_from_args(args)
    manifest = backend.current_manifest()
    settings = None
    options = ("model", "factory", "chunk_chars", "query_prefix", "passage_prefix", "sentences")
    if manifest is None or any(getattr(args, name, None) is not None for name in options):
        base = IndexSettings.of(manifest) if manifest else IndexSettings()
        if args.model:
            base.model = args.model
        if args.query_prefix is not None:
            base.query_prefix = args.query_prefix
        if args.passage_prefix is not None:
            base.passage_prefix = args.passage_prefix
        if args.factory:
            base.factory = args.factory
        if args.chunk_chars:
            base.chunk = ChunkSettings.for_target(args.chunk_chars)
        if args.sentences is not None:
            base.sentences = args.sentences
        settings = base
    read = partial(load_document, ocr=args.ocr)  # which pages OCR reads: this command drives ingest
    report = backend.update(args.paths, settings, prune=args.prune, progress=not args.json, read=read)
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=1))
    else:
        print(format_report(report))
    return 1 if report.failed and not (report.added or report.updated or report.unchanged) else 0
