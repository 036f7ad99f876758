"""PDF: one text per page from the text layer (pypdf); page numbers are kept for citations."""

from __future__ import annotations

import io
from pathlib import Path

import pypdf
from pypdf.errors import DependencyError

from indexer.errors import UnreadableFile
from indexer.ingest.files import nonblank

# A PDF whose pages average fewer visible characters than this is a scan (page numbers at most).
MIN_CHARS_PER_PAGE = 10


def extract_pdf(path: Path, data: bytes) -> tuple[list[str], str | None]:
    pages: list[str] = []
    title = None
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        # Many official PDFs are encrypted only to restrict printing: they open with an empty password.
        locked = reader.is_encrypted and not reader.decrypt("")
        if not locked:
            pages = [page.extract_text() or "" for page in reader.pages]
            title = reader.metadata.title if reader.metadata else None
    except DependencyError as exc:
        raise UnreadableFile(path, f"encrypted PDF: cannot decrypt ({exc})") from exc
    except Exception as exc:  # pypdf raises many kinds of error on damaged files, not just PdfReadError
        raise UnreadableFile(path, f"not a readable PDF: {type(exc).__name__}: {exc}") from exc
    if locked:
        raise UnreadableFile(path, "encrypted PDF: password required")
    if not pages:
        raise UnreadableFile(path, "not a readable PDF: it has no pages")
    visible = sum(len("".join(page.split())) for page in pages)
    if visible < MIN_CHARS_PER_PAGE * len(pages):
        raise UnreadableFile(path, f"no text layer: OCR needed ({len(pages)} pages, {visible} characters of text)")
    return pages, nonblank(title)
