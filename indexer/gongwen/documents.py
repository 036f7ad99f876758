"""From a file (or a text) to a cleaned `Document` with metadata, and from a document to chunks."""

from __future__ import annotations

import contextlib
import hashlib
from pathlib import Path

from indexer.gongwen.chunk import ChunkSettings, chunk_text
from indexer.gongwen.clean import clean
from indexer.gongwen.metadata import extract_metadata, read_metadata
from indexer.ingest import PAGED_FORMATS, OcrMode, extract
from indexer.ingest.pagelines import lines_of, recording
from indexer.models import Chunk, Document

DOC_ID_LENGTH = 16


def load_document(path: Path, source: str | None = None, ocr: OcrMode = "auto") -> Document:
    """Read, clean and describe one file; raises UnreadableFile with the reason when it can't."""
    return read_document(path, source, ocr)[0]


def read_document(path: Path, source: str | None = None, ocr: OcrMode = "auto") -> tuple[Document, dict[str, str]]:
    """The document, and for each metadata field the rule that found it (`zhengce inspect --explain`)."""
    with recording() as read_by_ocr:
        extracted = extract(path, ocr)
    keep_ocr_lines(extracted.content_hash, extracted.format, read_by_ocr)
    cleaned = clean(extracted.pages)
    paged = extracted.format in PAGED_FORMATS
    meta, found_by = read_metadata(cleaned.text, title_hint=extracted.title_hint, stated=cleaned.stated, laid_out=paged,
                                   set_right=cleaned.set_right, mastheads=cleaned.mastheads)
    document = Document(
        doc_id=extracted.content_hash[:DOC_ID_LENGTH],
        source=source or path.name,
        text=cleaned.text,
        meta=meta,
        format=extracted.format,
        content_hash=extracted.content_hash,
        page_starts=(cleaned.page_starts or [0]) if paged else [],  # a one-page scan is cited as page 1
        ocr_pages=extracted.ocr_pages,
    )
    return document, found_by


def keep_ocr_lines(content_hash: str, fmt: str, read: dict) -> None:
    """The lines OCR read on each page, in the page's units (a PDF's points), for the 原文 viewer."""
    if not read:
        return
    from indexer.gongwen.pagemap import store
    from indexer.ingest.ocr import RENDER_DPI

    scale = 72 / RENDER_DPI if fmt == "pdf" else 1.0
    unit = "pt" if fmt == "pdf" else "px"
    with contextlib.suppress(OSError):  # a cache: the viewer reads the page again when it is shown
        store().put(content_hash, {page: lines_of(boxes, size[0], size[1], unit, scale)
                                   for page, (boxes, size) in read.items()})


def document_from_text(text: str, source: str, *, title: str | None = None, doc_id: str | None = None) -> Document:
    """A document whose text arrives without a file (evaluation corpora, JSONL collections).

    A given title wins over the one the layout rules find: collections state their titles.
    """
    cleaned = clean([text])
    content_hash = hashlib.sha256(f"{title or ''}\n{text}".encode()).hexdigest()
    return Document(
        doc_id=doc_id or content_hash[:DOC_ID_LENGTH],
        source=source,
        text=cleaned.text,
        meta=extract_metadata(cleaned.text, title=title, stated=cleaned.stated),
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
