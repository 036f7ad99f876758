"""`zhengce search QUERY --index DIR`: ranked, cited passages (or documents) in the terminal or as JSON."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from indexer.cli.backend_flags import add_backend_flags, backend_from_args

if TYPE_CHECKING:
    from indexer.retrieval.search import DocumentHit, Hit


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    search = commands.add_parser("search", help="query an index")
    search.add_argument("query")
    search.add_argument("--index", dest="index_dir", type=Path, default=None, help="index folder (local backend)")
    add_backend_flags(search)
    search.add_argument("--top-k", type=int, default=10)
    search.add_argument("--mode", choices=["hybrid", "dense", "lexical"], default="hybrid")
    search.add_argument("--by-document", action="store_true", help="group passages by document")
    search.add_argument(
        "--filter", action="append", default=[], metavar="FIELD=VALUE",
        help="metadata filter: issuer, doc_type, region, doc_number, date_from, date_to (repeatable)",
    )
    search.add_argument("--model", default=None, help="embedding model (must match the index)")
    search.add_argument("--json", action="store_true")
    search.set_defaults(handler=main_search)


def main_search(args: argparse.Namespace) -> int:
    """`zhengce search QUERY --index DIR [--top-k N] [--mode M] [--by-document] [--filter F=V] [--json]`."""
    from indexer.retrieval.filters import parse_filters
    from indexer.retrieval.search import DocumentHit, Searcher

    filters = parse_filters(args.filter)
    index = backend_from_args(args).open(expect_model=args.model)
    searcher = Searcher(index)
    if args.by_document:
        results: Sequence[Hit | DocumentHit] = searcher.search_documents(args.query, args.top_k, args.mode, filters)
    else:
        results = searcher.search(args.query, args.top_k, args.mode, filters)
    if args.json:
        print(json.dumps([r.to_dict() for r in results], ensure_ascii=False, indent=1))
        return 0
    if not results:
        print("no results")
    for result in results:
        if isinstance(result, DocumentHit):
            meta = result.document.meta
            print(f"{result.rank}. [{result.score:.4f}] {meta.title or result.document.source}")
            for hit in result.hits:
                print(_format_hit(hit, indent="    "))
        else:
            print(_format_hit(result))
    return 0


def _format_hit(hit: Hit, indent: str = "") -> str:
    cite = hit.citation()
    where = " · ".join(
        str(part) for part in (
            cite["doc_number"], cite["issuer"], cite["date"], cite["section"] or None,
            f"p.{cite['page']}" if cite["page"] else None, f"chars {cite['char_start']}-{cite['char_end']}",
        ) if part
    )
    quote = _quote(hit)
    return f"{indent}{hit.rank}. [{hit.score:.4f}] {cite['title'] or cite['source']}\n{indent}   {where}\n{indent}   「{quote}」"


def _quote(hit: Hit, width: int = 120) -> str:
    """A window of the passage around its first highlight, with highlights in 【】."""
    text = hit.chunk.text
    start = max(0, hit.highlights[0][0] - 20) if hit.highlights else 0
    end = min(len(text), start + width)
    pieces, cursor = [], start
    for span_start, span_end in hit.highlights:
        if span_end <= start or span_start >= end:
            continue
        span_start, span_end = max(span_start, start), min(span_end, end)
        pieces += [text[cursor:span_start], "【", text[span_start:span_end], "】"]
        cursor = span_end
    pieces.append(text[cursor:end])
    quote = "".join(pieces).replace("\n", " ")
    return ("…" if start > 0 else "") + quote + ("…" if end < len(text) else "")
