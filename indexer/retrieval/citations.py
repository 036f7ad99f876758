"""One citation format for every output (CLI JSON, HTTP, exports): where a quote comes from.

``document.text[char_start:char_end]`` is the quote, so anyone can verify it against the
document the service returns.
"""

from __future__ import annotations

from typing import Any

from indexer.models import Chunk, Document


def citation_of(chunk: Chunk, document: Document, start: int | None = None, end: int | None = None) -> dict[str, Any]:
    """The citation of a chunk, or of the span ``start:end`` inside it (an answer sentence)."""
    meta = document.meta
    start = chunk.char_start if start is None else start
    page = document.page_at(start)
    ocr = document.ocr_page(page)  # a quote from a scanned page may hold recognition errors
    return {
        "doc_id": document.doc_id,
        "title": meta.title,
        "doc_number": meta.doc_number,
        "issuer": meta.issuer,
        "date": meta.date,
        "doc_type": meta.doc_type,
        "source": document.source,
        "page": page,
        "ocr": ocr is not None,
        "ocr_confidence": ocr.confidence if ocr else None,
        "section": chunk.section,
        "char_start": start,
        "char_end": chunk.char_end if end is None else end,
    }
