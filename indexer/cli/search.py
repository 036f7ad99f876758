"""`zhengce search QUERY --index DIR`: ranked, cited passages (or documents) in the terminal or as JSON."""

from __future__ import annotations

import json
from typing import Any

from indexer.cli import backend_from_args
from indexer.retrieval.filters import parse_filters
from indexer.retrieval.search import DocumentHit, Hit, Searcher


def main_search(args: Any) -> int:
    """`zhengce search QUERY --index DIR [--top-k N] [--mode M] [--by-document] [--filter F=V] [--json]`."""
    filters = parse_filters(args.filter)
    index = backend_from_args(args).open(expect_model=args.model)
    searcher = Searcher(index)
    if args.by_document:
        results: list[Any] = searcher.search_documents(args.query, args.top_k, args.mode, filters)
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
