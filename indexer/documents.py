"""From a file (or a text) to a cleaned `Document` with metadata, and from a document to chunks."""

from __future__ import annotations

import hashlib
import json
import sys
from argparse import Namespace
from pathlib import Path

from indexer.chunk import ChunkSettings, chunk_text
from indexer.clean import clean_pages, clean_text
from indexer.ingest import extract
from indexer.metadata import extract_metadata
from indexer.models import Chunk, Document

DOC_ID_LENGTH = 16


def load_document(path: Path, source: str | None = None) -> Document:
    """Read, clean and describe one file; raises IngestError with the reason when it can't."""
    extracted = extract(path)
    text, page_starts = clean_pages(extracted.pages)
    return Document(
        doc_id=extracted.content_hash[:DOC_ID_LENGTH],
        source=source or path.name,
        text=text,
        meta=extract_metadata(text, title_hint=extracted.title_hint),
        format=extracted.format,
        content_hash=extracted.content_hash,
        page_starts=page_starts if extracted.format == "pdf" else [],
    )


def document_from_text(text: str, source: str, *, title: str | None = None, doc_id: str | None = None) -> Document:
    """A document whose text arrives without a file (evaluation corpora, JSONL collections).

    A given title wins over the one the layout rules find: collections state their titles.
    """
    cleaned = clean_text(text)
    content_hash = hashlib.sha256(f"{title or ''}\n{text}".encode()).hexdigest()
    return Document(
        doc_id=doc_id or content_hash[:DOC_ID_LENGTH],
        source=source,
        text=cleaned,
        meta=extract_metadata(cleaned, title=title),
        format="text",
        content_hash=content_hash,
    )


def chunk_document(doc: Document, settings: ChunkSettings | None = None) -> list[Chunk]:
    chunks = chunk_text(doc.text, settings, doc_id=doc.doc_id)
    for chunk in chunks:
        chunk.page = doc.page_at(chunk.char_start)
    return chunks


def passage_text(doc: Document, chunk: Chunk, heading_path: bool = True) -> str:
    """What the embedder reads: the title and heading path situate a passage the text alone doesn't."""
    if not heading_path:
        return chunk.text
    context = [part for part in (doc.meta.title, chunk.section) if part and part not in chunk.text[:60]]
    return "\n".join([*context, chunk.text])


def main_inspect(args: Namespace) -> int:
    """`zhengce inspect FILE`: show what the pipeline makes of one file."""
    from indexer.ingest import IngestError

    settings = ChunkSettings.for_target(args.chunk_chars) if args.chunk_chars else ChunkSettings()
    try:
        doc = load_document(args.file)
    except IngestError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    chunks = chunk_document(doc, settings)
    if args.json:
        report = {
            "doc_id": doc.doc_id,
            "source": doc.source,
            "format": doc.format,
            "metadata": doc.meta.to_dict(),
            "text_length": len(doc.text),
            "pages": len(doc.page_starts) or None,
            "chunk_settings": settings.to_dict(),
            "chunks": [chunk.to_dict() for chunk in chunks],
        }
        json.dump(report, sys.stdout, ensure_ascii=False, indent=2)
        print()
        return 0
    print(f"{doc.source}  doc_id={doc.doc_id}  format={doc.format}  {len(doc.text)} characters")
    for field, value in doc.meta.to_dict().items():
        print(f"  {field:16} {value}")
    print(f"{len(chunks)} chunks:")
    for chunk in chunks:
        page = f" p.{chunk.page}" if chunk.page else ""
        print(f"  [{chunk.index}] {chunk.char_start}-{chunk.char_end}{page}  {chunk.section or '(no heading)'}")
        print(f"      {chunk.text[:60]}{'…' if len(chunk.text) > 60 else ''}")
    return 0
