"""`zhengce inspect FILE`: what the pipeline makes of one file (metadata, cleaned text, chunks)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    inspect = commands.add_parser("inspect", help="show what the tool makes of one file")
    inspect.add_argument("file", type=Path)
    inspect.add_argument("--json", action="store_true", help="print JSON instead of a summary")
    inspect.add_argument("--chunk-chars", type=int, default=None, help="target chunk size in characters")
    inspect.add_argument("--explain", action="store_true", help="show the rule that found each metadata field")
    inspect.add_argument("--ocr", choices=["auto", "off", "force"], default="auto", help="as for index")
    inspect.set_defaults(handler=main_inspect)


def main_inspect(args: argparse.Namespace) -> int:
    """`zhengce inspect FILE`: show what the pipeline makes of one file."""
    from indexer.gongwen.chunk import ChunkSettings
    from indexer.gongwen.documents import chunk_document, read_document

    settings = ChunkSettings.for_target(args.chunk_chars) if args.chunk_chars else ChunkSettings()
    doc, rules = read_document(args.file, ocr=args.ocr)
    chunks = chunk_document(doc, settings)
    found_by = rules if args.explain else None
    if args.json:
        report = {
            "doc_id": doc.doc_id,
            "source": doc.source,
            "format": doc.format,
            "metadata": doc.meta.to_dict(),
            **({"found_by": found_by} if found_by is not None else {}),
            "text_length": len(doc.text),
            "pages": len(doc.page_starts) or None,
            "ocr_pages": [facts.to_dict() for facts in doc.ocr_pages],
            "chunk_settings": settings.to_dict(),
            "chunks": [chunk.to_dict() for chunk in chunks],
        }
        json.dump(report, sys.stdout, ensure_ascii=False, indent=2)
        print()
        return 0
    print(f"{doc.source}  doc_id={doc.doc_id}  format={doc.format}  {len(doc.text)} characters")
    for field, value in doc.meta.to_dict().items():
        rule = "" if found_by is None else f"  <- {found_by.get(field, 'not found')}"
        print(f"  {field:16} {value}{rule}")
    for facts in doc.ocr_pages:
        read = f"mean confidence {facts.confidence:.3f}" if facts.confidence is not None else "no text read"
        print(f"  OCR p.{facts.page}  {facts.error or read}")
    print(f"{len(chunks)} chunks:")
    for chunk in chunks:
        page = f" p.{chunk.page}" if chunk.page else ""
        page += " (OCR)" if doc.ocr_page(chunk.page) else ""
        print(f"  [{chunk.index}] {chunk.char_start}-{chunk.char_end}{page}  {chunk.section or '(no heading)'}")
        print(f"      {chunk.text[:60]}{'…' if len(chunk.text) > 60 else ''}")
    return 0
