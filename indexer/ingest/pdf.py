"""PDF: one text per page, from the text layer (pypdf) or, for a page without one, from OCR.

Page numbers are kept for citations. Mixed files are common (a typed reply with a scanned
attachment), so the choice is made page by page; pages for OCR are rendered by pypdfium2.
"""

from __future__ import annotations

import io
from pathlib import Path

import pypdf
import pypdfium2
from pypdf.errors import DependencyError

from indexer.errors import UnreadableFile
from indexer.ingest.files import nonblank
from indexer.ingest.limits import check_pages, render_scale
from indexer.ingest.ocr import RENDER_DPI, OcrMode, read_pages
from indexer.ingest.paragraphs import laid_out
from indexer.ingest.pdftext import page_boxes
from indexer.models import OcrPage

# A page with fewer visible characters than this has no text layer (a page number at most).
MIN_CHARS_PER_PAGE = 10


def extract_pdf(path: Path, data: bytes, ocr: OcrMode = "auto") -> tuple[list[str], str | None, list[OcrPage]]:
    """(page texts, title, OCR facts of the pages read by OCR)."""
    pages, title = _text_layer(path, data)
    if ocr == "force":
        scanned = list(range(len(pages)))
    else:
        scanned = [i for i, page in enumerate(pages) if _visible(page) < MIN_CHARS_PER_PAGE]
    if ocr != "off":
        check_pages(path, len(pages), len(scanned))  # before any page is rendered
    if ocr == "off" or not scanned:
        if sum(_visible(page) for page in pages) < MIN_CHARS_PER_PAGE * len(pages):
            raise UnreadableFile(path, f"no text layer: OCR needed, and OCR is off ({_summary(pages)})")
        return pages, nonblank(title), []
    read = read_pages(path, [(i + 1, _renderer(path, data, i)) for i in scanned])
    facts = []
    for i in scanned:
        text, page_facts = read[i + 1]
        pages[i] = text
        facts.append(page_facts)
    if not any(_visible(page) for page in pages):
        errors = sorted({f.error for f in facts if f.error})
        detail = f"; {errors[0]}" if errors else ""
        raise UnreadableFile(path, f"no text layer: OCR needed but it read no text ({len(pages)} pages{detail})")
    return pages, nonblank(title), facts


def _text_layer(path: Path, data: bytes) -> tuple[list[str], str | None]:
    pages: list[str] = []
    title = None
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        # Many official PDFs are encrypted only to restrict printing: they open with an empty password.
        locked = reader.is_encrypted and not reader.decrypt("")
        if not locked:
            check_pages(path, len(reader.pages))
            pages = _positioned_text(data) or [page.extract_text() or "" for page in reader.pages]
            title = reader.metadata.title if reader.metadata else None
    except DependencyError as exc:
        raise UnreadableFile(path, f"encrypted PDF: cannot decrypt ({exc})") from exc
    except UnreadableFile:
        raise
    except Exception as exc:  # pypdf raises many kinds of error on damaged files, not just PdfReadError
        raise UnreadableFile(path, f"not a readable PDF: {type(exc).__name__}: {exc}") from exc
    if locked:
        raise UnreadableFile(path, "encrypted PDF: password required")
    if not pages:
        raise UnreadableFile(path, "not a readable PDF: it has no pages")
    return pages, title


def _positioned_text(data: bytes) -> list[str] | None:
    """The pages laid out from pdfium's character boxes; None when pdfium cannot read the file
    (pypdf's plain extraction stands in)."""
    try:
        return laid_out(page_boxes(data))
    except pypdfium2.PdfiumError:
        return None


def _renderer(path: Path, data: bytes, index: int):
    """Renders page ``index`` when called, so only one page image is in memory at a time, and never
    larger than ``limits.MAX_RENDER_PIXELS`` whatever size the page declares."""

    def render():
        import pypdfium2

        document = pypdfium2.PdfDocument(data)
        try:
            page = document[index]
            width, height = page.get_size()
            return page.render(scale=render_scale(width, height, RENDER_DPI)).to_pil()
        finally:
            document.close()

    return render


def _visible(page: str) -> int:
    return len("".join(page.split()))


def _summary(pages: list[str]) -> str:
    return f"{len(pages)} pages, {sum(_visible(page) for page in pages)} characters of text"
